"""``bronze/market_tokens``: one row per outcome token of the markets in that day's ``bronze/markets``
partition, read back from their raw JSON (no API request)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from polymarket_assets.bronze.engine.object_walk import DayRow, Fetched, ObjectWalkSpec
from polymarket_assets.bronze.engine.upstream import iter_raw_objects
from polymarket_assets.bronze.rows import token_row
from polymarket_assets.bronze.schemas import MARKET_TOKENS
from polymarket_assets.clients.api_clients import ApiClients
from polymarket_assets.clients.gamma import gamma_market_tokens
from polymarket_assets.lake import LakePath

ASSET = "market_tokens"
UPSTREAM = "markets"


def _rows(fetched: Fetched) -> list[DayRow]:
    return [(fetched.day, token_row(t, fetched.fetched_at)) for t in gamma_market_tokens(fetched.obj)]


def _walk(days: list[dt.date], clients: ApiClients | None, bronze_root: LakePath) -> Iterator[Fetched]:
    return iter_raw_objects(bronze_root, UPSTREAM, days, kind="market")


SPEC = ObjectWalkSpec(
    asset=ASSET,
    schema=MARKET_TOKENS,
    to_rows=_rows,
    row_key=lambda row: row["token_id"],
    walk=_walk,
    max_days_per_walk=31,
    noun="markets",
    uses_api=False,
)

"""``bronze/markets``: Gamma markets whose start date falls on the partition day (UTC), one row per market."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from polymarket_assets.bronze.datasets.gamma_events import event_window_params
from polymarket_assets.bronze.engine.object_walk import DayRow, Fetched, ObjectWalkSpec, fetched_items, on_day_of
from polymarket_assets.bronze.rows import market_row
from polymarket_assets.bronze.schemas import MARKETS
from polymarket_assets.clients.api_clients import ApiClients
from polymarket_assets.clients.gamma import parse_gamma_market
from polymarket_assets.lake import LakePath

ASSET = "markets"
MARKETS_PAGE_SIZE = 100
MAX_DAYS_PER_WALK = 7


def _rows(fetched: Fetched) -> list[DayRow]:
    return on_day_of(market_row(parse_gamma_market(fetched.obj), fetched.fetched_at), "start_date")


def _walk(days: list[dt.date], clients: ApiClients | None, bronze_root: LakePath) -> Iterator[Fetched]:
    assert clients is not None
    yield from fetched_items(clients.gamma.iter_market_pages(event_window_params(days), page_size=MARKETS_PAGE_SIZE), kind="market")


SPEC = ObjectWalkSpec(
    asset=ASSET,
    schema=MARKETS,
    to_rows=_rows,
    row_key=lambda row: row["market_id"],
    walk=_walk,
    max_days_per_walk=MAX_DAYS_PER_WALK,
    noun="markets",
)

"""``bronze/market_tokens``: one row per outcome token of the markets in ``bronze/markets`` that day."""

# No `from __future__ import annotations`: Dagster reads the config/resource annotations at decoration time.

import datetime as dt

import dagster as dg

from polymarket_assets.bronze.asset_defaults import bronze_asset_kwargs
from polymarket_assets.bronze.config import BronzeRunConfig
from polymarket_assets.bronze.daily_runner import DatasetSpec, DayRow, Fetched, QuarantineSink, run_daily
from polymarket_assets.bronze.rows import token_row
from polymarket_assets.bronze.markets import markets
from polymarket_assets.bronze.partitions import partition_days
from polymarket_assets.bronze.schemas import MARKET_TOKENS
from polymarket_assets.bronze.upstream import iter_raw_objects, require_partitions
from polymarket_assets.clients import gamma_market_tokens
from polymarket_assets.resources import LakeResource

ASSET = "market_tokens"


def _rows(fetched: Fetched) -> list[DayRow]:
    return [(fetched.day, token_row(t, fetched.fetched_at)) for t in gamma_market_tokens(fetched.obj)]


SPEC = DatasetSpec(
    asset=ASSET,
    schema=MARKET_TOKENS,
    to_rows=_rows,
    row_key=lambda row: row["token_id"],
    max_days_per_walk=31,
    noun="markets",
)


def walk_market_partitions(bronze_root):
    def walk(days: list[dt.date], sink: QuarantineSink):
        return iter_raw_objects(bronze_root, "markets", days, kind="market")

    return walk


@dg.asset(
    name=ASSET,
    deps=[markets],
    **bronze_asset_kwargs(
        kinds={"polymarket"},
        pool=None,
        description=(
            "One row per outcome token of every market in the same day's `bronze/markets` partition (markets "
            "whose start date falls on that day): token_id, condition_id, market_id, outcome, outcome index, "
            "price (Gamma `outcomePrices` at fetch time) and winner (only when the resolution is confirmed by "
            "closed + UMA 'resolved' + 0/1 prices, else null). No API request: derived from the markets' raw "
            "JSON. Key: `token_id`."
        ),
    ),
)
def market_tokens(context: dg.AssetExecutionContext, config: BronzeRunConfig, lake: LakeResource) -> dg.MaterializeResult:
    require_partitions(lake.bronze, "markets", partition_days(context), ASSET)
    return run_daily(context, SPEC, lake=lake, config=config, stats=None, walk=walk_market_partitions(lake.bronze))

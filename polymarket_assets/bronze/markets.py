"""``bronze/markets``: Gamma markets whose start date falls on the partition day (UTC)."""

# No `from __future__ import annotations`: Dagster reads the config/resource annotations at decoration time.

import datetime as dt

import dagster as dg

from polymarket_assets.bronze.api import RunApi
from polymarket_assets.bronze.asset_defaults import POOL_GAMMA, bronze_asset_kwargs
from polymarket_assets.bronze.config import BronzeRunConfig
from polymarket_assets.bronze.daily_runner import DatasetSpec, DayRow, Fetched, QuarantineSink, fetched_items, on_day_of, run_daily
from polymarket_assets.bronze.gamma_events import event_window_params
from polymarket_assets.bronze.rows import market_row
from polymarket_assets.bronze.schemas import MARKETS
from polymarket_assets.clients import parse_gamma_market
from polymarket_assets.resources import LakeResource, PolymarketApiResource

ASSET = "markets"
MARKETS_PAGE_SIZE = 100
MAX_DAYS_PER_WALK = 7


def _rows(fetched: Fetched) -> list[DayRow]:
    return on_day_of(market_row(parse_gamma_market(fetched.obj), fetched.fetched_at), "start_date")


SPEC = DatasetSpec(
    asset=ASSET,
    schema=MARKETS,
    to_rows=_rows,
    row_key=lambda row: row["market_id"],
    max_days_per_walk=MAX_DAYS_PER_WALK,
    noun="markets",
)


def walk_markets(api: RunApi):
    def walk(days: list[dt.date], sink: QuarantineSink):
        client = api.gamma(sink.page_hook)
        yield from fetched_items(client.iter_market_pages(event_window_params(days), page_size=MARKETS_PAGE_SIZE), kind="market")

    return walk


@dg.asset(
    name=ASSET,
    **bronze_asset_kwargs(
        kinds={"polymarket"},
        pool=POOL_GAMMA,
        description=(
            "Gamma markets whose `startDate` falls on the partition day (UTC): parsed fields (outcomes, prices, "
            "token ids, lifecycle flags, resolution) plus the raw market JSON. Source: Gamma `GET /markets/keyset` "
            "filtered by `start_date_min`/`start_date_max` (legacy `/markets` offset paging as fallback). "
            "Key: `market_id`."
        ),
    ),
)
def markets(
    context: dg.AssetExecutionContext, config: BronzeRunConfig, polymarket_api: PolymarketApiResource, lake: LakeResource
) -> dg.MaterializeResult:
    api = RunApi(polymarket_api, config.timeout)
    return run_daily(context, SPEC, lake=lake, config=config, stats=api.stats, walk=walk_markets(api))

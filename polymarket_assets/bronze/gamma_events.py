"""``bronze/gamma_events``: Gamma events whose start date falls on the partition day (UTC)."""

# No `from __future__ import annotations`: Dagster reads the config/resource annotations at decoration time.

import datetime as dt

import dagster as dg

from polymarket_assets.bronze.api import RunApi
from polymarket_assets.bronze.asset_defaults import POOL_GAMMA, bronze_asset_kwargs
from polymarket_assets.bronze.config import BronzeRunConfig
from polymarket_assets.bronze.daily_runner import DatasetSpec, DayRow, Fetched, QuarantineSink, fetched_items, on_day_of, run_daily
from polymarket_assets.bronze.rows import event_row
from polymarket_assets.bronze.partitions import iso_z, range_bounds
from polymarket_assets.bronze.schemas import GAMMA_EVENTS
from polymarket_assets.clients import parse_gamma_event
from polymarket_assets.resources import LakeResource, PolymarketApiResource

ASSET = "gamma_events"
EVENTS_PAGE_SIZE = 500
#: Days paged together in one /events/keyset walk of a range run (bounds open partitions and memory).
MAX_DAYS_PER_WALK = 7


def _rows(fetched: Fetched) -> list[DayRow]:
    return on_day_of(event_row(parse_gamma_event(fetched.obj), fetched.fetched_at), "start_date")


SPEC = DatasetSpec(
    asset=ASSET,
    schema=GAMMA_EVENTS,
    to_rows=_rows,
    row_key=lambda row: row["event_id"],
    max_days_per_walk=MAX_DAYS_PER_WALK,
    noun="events",
)


def event_window_params(days: list[dt.date]) -> dict[str, str]:
    """Gamma filters for "start date within these days" (the end bound is re-checked locally: rows are
    routed by their own ``startDate``)."""
    start, end = range_bounds(days)
    return {"start_date_min": iso_z(start), "start_date_max": iso_z(end)}


def walk_events(api: RunApi):
    def walk(days: list[dt.date], sink: QuarantineSink):
        client = api.gamma(sink.page_hook)
        yield from fetched_items(client.iter_event_pages(event_window_params(days), page_size=EVENTS_PAGE_SIZE), kind="event")

    return walk


@dg.asset(
    name=ASSET,
    **bronze_asset_kwargs(
        kinds={"polymarket"},
        pool=POOL_GAMMA,
        description=(
            "Gamma events whose `startDate` falls on the partition day (UTC), one row per event, with their tag "
            "ids/slugs and market ids and the raw event JSON. Source: Gamma `GET /events/keyset` filtered by "
            "`start_date_min`/`start_date_max` (legacy `/events` offset paging as fallback). Key: `event_id`."
        ),
    ),
)
def gamma_events(
    context: dg.AssetExecutionContext, config: BronzeRunConfig, polymarket_api: PolymarketApiResource, lake: LakeResource
) -> dg.MaterializeResult:
    api = RunApi(polymarket_api, config.timeout)
    return run_daily(context, SPEC, lake=lake, config=config, stats=api.stats, walk=walk_events(api))

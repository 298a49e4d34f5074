"""``bronze/gamma_categories``: Gamma tags created that day, plus the tag links of that day's events."""

# No `from __future__ import annotations`: Dagster reads the config/resource annotations at decoration time.

import datetime as dt

import dagster as dg

from polymarket_assets.bronze.api import RunApi
from polymarket_assets.bronze.asset_defaults import POOL_GAMMA, bronze_asset_kwargs
from polymarket_assets.bronze.config import BronzeRunConfig
from polymarket_assets.bronze.daily_runner import DatasetSpec, DayRow, Fetched, QuarantineSink, fetched_items, on_day_of, run_daily
from polymarket_assets.bronze.gamma_events import gamma_events
from polymarket_assets.bronze.rows import tag_row
from polymarket_assets.bronze.partitions import partition_days
from polymarket_assets.bronze.schemas import GAMMA_CATEGORIES
from polymarket_assets.bronze.upstream import iter_raw_objects, require_partitions
from polymarket_assets.clients import ParseError, parse_gamma_event, parse_gamma_tag
from polymarket_assets.resources import LakeResource, PolymarketApiResource

ASSET = "gamma_categories"
TAGS_PAGE_SIZE = 100
#: /tags has no date filter, so a range run lists all tags once per chunk: keep chunks long.
MAX_DAYS_PER_WALK = 366


def _rows(fetched: Fetched) -> list[DayRow]:
    if fetched.kind == "tag":
        return on_day_of(tag_row(parse_gamma_tag(fetched.obj), fetched.fetched_at), "created_at")
    # an event read back from bronze/gamma_events: one link row per embedded tag
    event = parse_gamma_event(fetched.obj)
    tags = fetched.obj.get("tags") or []
    if not isinstance(tags, list):
        raise ParseError(f"event {event['event_id']}: tags is not an array", fetched.obj)
    return [(fetched.day, tag_row(parse_gamma_tag(tag), fetched.fetched_at, event_id=event["event_id"])) for tag in tags]


SPEC = DatasetSpec(
    asset=ASSET,
    schema=GAMMA_CATEGORIES,
    to_rows=_rows,
    row_key=lambda row: (row["record_type"], row["tag_id"], row["event_id"]),
    max_days_per_walk=MAX_DAYS_PER_WALK,
    counts_toward_limit=lambda fetched: fetched.kind == "event",
    noun="tags and events",
)


def walk_categories(api: RunApi, bronze_root):
    def walk(days: list[dt.date], sink: QuarantineSink):
        yield from fetched_items(api.gamma(sink.page_hook).iter_tag_pages(page_size=TAGS_PAGE_SIZE), kind="tag")
        yield from iter_raw_objects(bronze_root, "gamma_events", days, kind="event")

    return walk


@dg.asset(
    name=ASSET,
    deps=[gamma_events],
    **bronze_asset_kwargs(
        kinds={"polymarket"},
        pool=POOL_GAMMA,
        description=(
            "Gamma categories (tags). Two kinds of row, told apart by `record_type`: 'tag' = a tag whose "
            "`createdAt` falls on the partition day (source: Gamma `GET /tags`, all pages; the API has no date "
            "filter); 'event_tag' = a link from an event in the same day's `bronze/gamma_events` partition "
            "(events starting that day) to one of its tags, tag columns repeating the tag as embedded in the "
            "event. Key: (`record_type`, `tag_id`, `event_id`)."
        ),
    ),
)
def gamma_categories(
    context: dg.AssetExecutionContext, config: BronzeRunConfig, polymarket_api: PolymarketApiResource, lake: LakeResource
) -> dg.MaterializeResult:
    require_partitions(lake.bronze, "gamma_events", partition_days(context), ASSET)
    api = RunApi(polymarket_api, config.timeout)
    return run_daily(context, SPEC, lake=lake, config=config, stats=api.stats, walk=walk_categories(api, lake.bronze))

"""``bronze/gamma_categories``: Gamma tags created that day (``record_type='tag'``), plus the tag links of
that day's events in ``bronze/gamma_events`` (``record_type='event_tag'``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from polymarket_assets.bronze.engine.object_walk import DayRow, Fetched, ObjectWalkSpec, fetched_items, on_day_of
from polymarket_assets.bronze.engine.upstream import iter_raw_objects
from polymarket_assets.bronze.rows import tag_row
from polymarket_assets.bronze.schemas import GAMMA_CATEGORIES
from polymarket_assets.clients.api_clients import ApiClients
from polymarket_assets.clients.gamma import parse_gamma_event, parse_gamma_tag
from polymarket_assets.clients.wire import ParseError
from polymarket_assets.lake import LakePath

ASSET = "gamma_categories"
UPSTREAM = "gamma_events"
TAGS_PAGE_SIZE = 100
#: /tags has no date filter, so a range run lists all tags once per walk: keep walks long.
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


def _walk(days: list[dt.date], clients: ApiClients | None, bronze_root: LakePath) -> Iterator[Fetched]:
    assert clients is not None
    yield from fetched_items(clients.gamma.iter_tag_pages(page_size=TAGS_PAGE_SIZE), kind="tag")
    yield from iter_raw_objects(bronze_root, UPSTREAM, days, kind="event")


SPEC = ObjectWalkSpec(
    asset=ASSET,
    schema=GAMMA_CATEGORIES,
    to_rows=_rows,
    row_key=lambda row: (row["record_type"], row["tag_id"], row["event_id"]),
    walk=_walk,
    max_days_per_walk=MAX_DAYS_PER_WALK,
    counts_toward_limit=lambda fetched: fetched.kind == "event",
    noun="tags and events",
)

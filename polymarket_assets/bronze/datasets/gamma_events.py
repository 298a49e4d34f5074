"""``bronze/gamma_events``: Gamma events whose start date falls on the partition day (UTC), one row per event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from polymarket_assets.bronze.engine.object_walk import DayRow, Fetched, ObjectWalkSpec, fetched_items, on_day_of
from polymarket_assets.bronze.partitions import iso_z, range_bounds
from polymarket_assets.bronze.rows import event_row
from polymarket_assets.bronze.schemas import GAMMA_EVENTS
from polymarket_assets.clients.api_clients import ApiClients
from polymarket_assets.clients.gamma import parse_gamma_event
from polymarket_assets.lake import LakePath

ASSET = "gamma_events"
EVENTS_PAGE_SIZE = 500
#: Days paged together in one /events/keyset walk of a range run (bounds open partitions and memory).
MAX_DAYS_PER_WALK = 7


def event_window_params(days: list[dt.date]) -> dict[str, str]:
    """Gamma filters for "start date within these days" (the end bound is re-checked locally: rows are
    routed by their own ``startDate``)."""
    start, end = range_bounds(days)
    return {"start_date_min": iso_z(start), "start_date_max": iso_z(end)}


def _rows(fetched: Fetched) -> list[DayRow]:
    return on_day_of(event_row(parse_gamma_event(fetched.obj), fetched.fetched_at), "start_date")


def _walk(days: list[dt.date], clients: ApiClients | None, bronze_root: LakePath) -> Iterator[Fetched]:
    assert clients is not None
    yield from fetched_items(clients.gamma.iter_event_pages(event_window_params(days), page_size=EVENTS_PAGE_SIZE), kind="event")


SPEC = ObjectWalkSpec(
    asset=ASSET,
    schema=GAMMA_EVENTS,
    to_rows=_rows,
    row_key=lambda row: row["event_id"],
    walk=_walk,
    max_days_per_walk=MAX_DAYS_PER_WALK,
    noun="events",
)

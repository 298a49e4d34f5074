"""The one daily partitioning shared by every bronze asset, and the day arithmetic around it.

A partition key is a UTC calendar day ``YYYY-MM-DD``; its time window is ``[00:00, next 00:00)`` UTC.
``end_offset=1`` makes *today* a partition too, so the leaderboard can take today's snapshot.
The first day comes from ``POLYMARKET_BRONZE_START_DATE`` (default ``2025-01-01``), read at import time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import dagster as dg

from polymarket_assets.settings import bronze_start_date

UTC = dt.timezone.utc


DAILY_PARTITIONS = dg.DailyPartitionsDefinition(start_date=bronze_start_date(), timezone="UTC", end_offset=1)


def to_day(key: str | dt.date) -> dt.date:
    """``"2026-11-03"`` (a partition key) or a date → ``date``."""
    if isinstance(key, dt.datetime):
        raise TypeError("to_day() takes a partition key or a date, not a datetime; use day_of() for instants")
    return key if isinstance(key, dt.date) else dt.date.fromisoformat(key)


def day_bounds(day: dt.date | str) -> tuple[dt.datetime, dt.datetime]:
    """``(start, end)`` of a UTC day, half-open: ``start <= t < end``."""
    d = to_day(day)
    start = dt.datetime(d.year, d.month, d.day, tzinfo=UTC)
    return start, start + dt.timedelta(days=1)


def range_bounds(days: Iterable[dt.date]) -> tuple[dt.datetime, dt.datetime]:
    """Half-open window covering every day given (first day 00:00 → day after the last)."""
    ordered = sorted(days)
    if not ordered:
        raise ValueError("range_bounds() needs at least one day")
    return day_bounds(ordered[0])[0], day_bounds(ordered[-1])[1]


def day_of(instant: dt.datetime) -> dt.date:
    """The UTC day an aware instant falls on (naive datetimes are refused: they are ambiguous)."""
    if instant.tzinfo is None:
        raise ValueError(f"naive datetime {instant!r}: bronze only deals in UTC-aware instants")
    return instant.astimezone(UTC).date()


def partition_days(context: dg.AssetExecutionContext | dg.OpExecutionContext) -> list[dt.date]:
    """Every day this run covers, oldest first: one for a single-partition run, all of a range run."""
    if context.has_partition_key_range:
        keys = context.partition_keys
        if not keys:
            span = context.partition_key_range
            raise dg.Failure(
                f"The partition range {span.start}...{span.end} holds no day: is it reversed? Give it oldest first, "
                f"e.g. --partition-range {min(span.start, span.end)}...{max(span.start, span.end)}."
            )
    else:
        keys = [context.partition_key]
    return sorted(to_day(k) for k in keys)


def contiguous_chunks(days: list[dt.date], max_days: int) -> list[list[dt.date]]:
    """Split sorted days into runs of consecutive days, each at most ``max_days`` long.

    Used to page an API once per chunk instead of once per day while bounding how many partitions are
    open at the same time.
    """
    if max_days < 1:
        raise ValueError("max_days must be >= 1")
    chunks: list[list[dt.date]] = []
    for day in sorted(days):
        if chunks and (day - chunks[-1][-1]).days == 1 and len(chunks[-1]) < max_days:
            chunks[-1].append(day)
        else:
            chunks.append([day])
    return chunks


def utc_now() -> dt.datetime:
    return dt.datetime.now(UTC)


def utc_today(now: dt.datetime | None = None) -> dt.date:
    return (now or dt.datetime.now(UTC)).astimezone(UTC).date()


def iso_z(instant: dt.datetime) -> str:
    """``2026-11-03T00:00:00Z`` — the form Gamma's ``*_date_min/max`` filters take."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

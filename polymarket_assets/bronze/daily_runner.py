"""The loop every day-partitioned bronze asset of this module family runs.

One run covers one day or a range of days. The runner:

1. drops the days an earlier failed attempt of the same range already committed (``checkpoint.py``), unless
   ``fresh: true``;
2. groups the remaining days into chunks of consecutive days (``spec.max_days_per_walk``) and, per chunk,
   walks the source **once** for the whole chunk window, routing each row to its day's ``PartitionWriter``
   (so a 7-day backfill costs one listing walk, not seven);
3. parses and types every object; an object that cannot be parsed or typed goes to quarantine with the
   reason (never silently dropped); an undecodable page is quarantined and re-fetched (``GuardedEndpoint``);
   a JSON page of the wrong shape is quarantined and the walk restarted (at most ``MAX_WALK_RESTARTS``);
4. fails the chunk (nothing committed) when the share of *objects* quarantined passes
   ``max_quarantine_share`` (quarantined pages that a re-fetch or restart recovered are reported in the
   metadata but lose no data, so they do not count; a page that cannot be recovered fails the run), else
   commits each day atomically and records it in the checkpoint;
5. returns one ``MaterializeResult`` with the shared metadata plus per-day figures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
import pyarrow as pa

from polymarket_assets.bronze.checkpoint import RangeCheckpoint
from polymarket_assets.bronze.coerce import RowCoercionError, coerce_row
from polymarket_assets.bronze.config import BronzeRunConfig
from polymarket_assets.clients.guarded_endpoint import QuarantinedResponseError
from polymarket_assets.bronze.metadata import add_partition_metadata, materialization_metadata, rows_by_day_md
from polymarket_assets.bronze.parquet_io import PartitionWriter, partition_exists, partition_stats
from polymarket_assets.bronze.partitions import contiguous_chunks, day_of, partition_days, range_bounds, utc_now
from polymarket_assets.bronze.quarantine import Quarantine, check_threshold
from polymarket_assets.clients.errors import MalformedResponseError
from polymarket_assets.clients.pagination import Page
from polymarket_assets.clients import ParseError, compact_json

MAX_WALK_RESTARTS = 2
WRITE_BATCH_ROWS = 2_000
PREVIEW_KEEP = 5


@dataclass(frozen=True)
class Fetched:
    """One object from a source: the decoded JSON value, where it came from, when it was fetched.

    ``day`` is set by sources that already know the partition (e.g. rows read back from another bronze
    partition); ``kind`` lets one dataset mix objects of several kinds.
    """

    obj: Any
    url: str | None
    fetched_at: dt.datetime
    kind: str = "object"
    day: dt.date | None = None
    extra: dict[str, Any] = field(default_factory=dict)


DayRow = tuple[dt.date | None, dict[str, Any]]


def fetched_items(pages: Iterable[Page], kind: str) -> Iterator[Fetched]:
    """Every object of every page as a ``Fetched`` stamped with the time its page arrived."""
    for page in pages:
        fetched_at = utc_now()
        for obj in page.items:
            yield Fetched(obj, page.url, fetched_at, kind=kind)


def on_day_of(row: dict[str, Any], column: str) -> list[DayRow]:
    """``row`` routed to the UTC day of its ``column`` instant (``None`` when it is null: quarantined)."""
    instant = row[column]
    return [(day_of(instant) if instant is not None else None, row)]


@dataclass(frozen=True)
class DatasetSpec:
    asset: str
    schema: pa.Schema
    #: Fetched → rows (untyped values are fine, the runner coerces them) each with its day (None = unknown).
    to_rows: Callable[[Fetched], list[DayRow]]
    #: Identity of a typed row within a partition; repeats (CDN-cached pages, walk restarts) are skipped.
    row_key: Callable[[dict[str, Any]], Hashable]
    max_days_per_walk: int = 7
    #: Whether a fetched object counts toward ``limit`` ("at most N markets/events").
    counts_toward_limit: Callable[[Fetched], bool] = lambda fetched: True
    #: What the source unit is called in messages ("events", "markets", ...).
    noun: str = "objects"


class QuarantineSink:
    """Routes rejects to the quarantine of the right day (the chunk's first day when unknown)."""

    def __init__(self, quarantine_root: Any, asset: str, days: list[dt.date]):
        self.by_day = {d: Quarantine(quarantine_root, asset, d) for d in days}
        self.default_day = days[0]
        self.window = f"{days[0].isoformat()}..{days[-1].isoformat()}"
        self.objects = 0  # object-level rejects: what the threshold counts

    @property
    def count(self) -> int:
        return sum(q.count for q in self.by_day.values())

    def reasons(self) -> dict[str, int]:
        merged: dict[str, int] = {}
        for q in self.by_day.values():
            for k, v in q.reasons.items():
                merged[k] = merged.get(k, 0) + v
        return merged

    def add(self, body: bytes | str, reason: str, url: str | None, *, day: dt.date | None = None, context: dict | None = None) -> None:
        target = self.by_day.get(day) if day is not None else None
        context = {"window": self.window, **(context or {})}
        if context.get("level") == "object":
            self.objects += 1
        (target or self.by_day[self.default_day]).add(body, reason, url, context)

    def page_hook(self, body: bytes, reason: str, url: str) -> None:
        """For ``GuardedEndpoint``: an undecodable page (its day is unknown: filed under the chunk's first day)."""
        self.add(body, reason, url, context={"level": "page"})


Walk = Callable[[list[dt.date], QuarantineSink], Iterator[Fetched]]


@dataclass
class RunTotals:
    written: dict[str, tuple[int, int]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    unwritten_due_to_limit: list[str] = field(default_factory=list)
    preview: list[dict[str, Any]] = field(default_factory=list)
    quarantined: int = 0
    quarantined_objects: int = 0
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    accepted_objects: int = 0
    duplicates: int = 0
    out_of_window: int = 0
    walk_restarts: int = 0
    limited: bool = False


def run_daily(
    context: dg.AssetExecutionContext,
    spec: DatasetSpec,
    *,
    lake: Any,
    config: BronzeRunConfig,
    stats: Any | None,
    walk: Walk,
    extra_metadata: dict[str, Any] | None = None,
) -> dg.MaterializeResult:
    days = partition_days(context)
    checkpoint = RangeCheckpoint(lake.state, spec.asset, days[0], days[-1]) if len(days) > 1 else None
    done = checkpoint.load(fresh=config.fresh) if checkpoint else set()
    done = {d for d in done if partition_exists(lake.bronze, spec.asset, d)}
    todo = [d for d in days if d not in done]
    totals = RunTotals(skipped=sorted(d.isoformat() for d in done))
    if done:
        context.log.info(f"{spec.asset}: resuming range {days[0]}..{days[-1]}: {len(done)} day(s) already written, {len(todo)} to do")
    before = stats.snapshot() if stats is not None else {}
    remaining = config.limit
    run_id = getattr(context, "run_id", None)

    for chunk in contiguous_chunks(todo, spec.max_days_per_walk):
        if remaining is not None and remaining <= 0:
            totals.unwritten_due_to_limit += [d.isoformat() for d in chunk]
            continue
        used = _run_chunk(context, spec, lake, config, walk, chunk, totals, remaining)
        if remaining is not None:
            remaining -= used
        for day in chunk:
            rows, size = totals.written[day.isoformat()]
            if checkpoint is not None:
                checkpoint.mark_done(day, rows, size, run_id)
    if checkpoint is not None:
        checkpoint.clear()  # the range is complete: a later run of it refreshes every day

    stats_delta = stats.since(before) if stats is not None else {}
    rows_total = sum(r for r, _ in totals.written.values())
    bytes_total = sum(b for _, b in totals.written.values())
    per_day: dict[str, tuple[int, int, str]] = {}
    for day in days:
        key = day.isoformat()
        if key in totals.written:
            per_day[key] = (*totals.written[key], "written")
        elif key in totals.skipped:
            per_day[key] = (*partition_stats(lake.bronze, spec.asset, day), "kept: written by an earlier attempt of this range")
        else:
            per_day[key] = (0, 0, "not written: run config limit reached")
    add_partition_metadata(context, per_day)
    extra: dict[str, Any] = {
        "rows_in_run": dg.MetadataValue.int(rows_total),
        "partitions_written": dg.MetadataValue.int(len(totals.written)),
        "rows_by_day": dg.MetadataValue.md(rows_by_day_md(totals.written, totals.skipped)),
        "duplicates_skipped": dg.MetadataValue.int(totals.duplicates),
        "out_of_window_rows": dg.MetadataValue.int(totals.out_of_window),
        "walk_restarts": dg.MetadataValue.int(totals.walk_restarts),
        "quarantined_objects": dg.MetadataValue.int(totals.quarantined_objects),
        "quarantined_pages": dg.MetadataValue.int(totals.quarantined - totals.quarantined_objects),
        "quarantine_reasons": dg.MetadataValue.json(totals.quarantine_reasons),
        "limited": dg.MetadataValue.bool(totals.limited),
    }
    if totals.skipped:
        extra["resumed_skipped_days"] = dg.MetadataValue.text(", ".join(totals.skipped))
    if totals.unwritten_due_to_limit:
        extra["days_not_written_due_to_limit"] = dg.MetadataValue.text(", ".join(totals.unwritten_due_to_limit))
    extra.update(extra_metadata or {})
    metadata = materialization_metadata(
        table_or_rows_count=rows_total,
        schema=spec.schema,
        stats_delta=stats_delta,
        bytes_written=bytes_total,
        window=range_bounds(days),
        preview=totals.preview,
        quarantined=totals.quarantined,
        extra=extra,
    )
    return dg.MaterializeResult(metadata=metadata)


def _run_chunk(
    context: dg.AssetExecutionContext,
    spec: DatasetSpec,
    lake: Any,
    config: BronzeRunConfig,
    walk: Walk,
    chunk: list[dt.date],
    totals: RunTotals,
    remaining: int | None,
) -> int:
    """Walk one chunk, write its days, commit them. Returns how many limit-counted objects it used."""
    sink = QuarantineSink(lake.quarantine, spec.asset, chunk)
    seen: dict[dt.date, set[Hashable]] = {d: set() for d in chunk}
    buffers: dict[dt.date, list[dict[str, Any]]] = {d: [] for d in chunk}
    accepted = 0
    used = 0
    limited = False
    with ExitStack() as stack:
        writers = {d: stack.enter_context(PartitionWriter(lake.bronze, spec.asset, d, spec.schema)) for d in chunk}
        restarts = 0
        while True:
            try:
                for fetched in walk(chunk, sink):
                    new_rows = _accept(spec, fetched, sink, seen, buffers, writers, totals)
                    if new_rows is None:
                        continue
                    accepted += 1
                    if new_rows and spec.counts_toward_limit(fetched):
                        used += 1
                        if remaining is not None and used >= remaining:
                            limited = True
                            break
                break
            except MalformedResponseError as exc:
                if not getattr(exc, "already_quarantined", False):
                    sink.add(exc.body, exc.reason, exc.url, context={"level": "page", "error": str(exc)[:500]})
                restarts += 1
                totals.walk_restarts += 1
                if restarts > MAX_WALK_RESTARTS or isinstance(exc, QuarantinedResponseError) and restarts > 1:
                    raise dg.Failure(
                        description=(
                            f"{spec.asset} {chunk[0]}..{chunk[-1]}: the API kept returning unusable pages "
                            f"({exc.reason}); gave up after {restarts} attempt(s). Every bad body is under "
                            f"{lake.quarantine / spec.asset}. Nothing was committed for these days; re-run later."
                        )
                    ) from exc
                context.log.warning(f"{spec.asset}: restarting the walk for {chunk[0]}..{chunk[-1]} after a malformed page ({exc.reason})")
        for day, rows in buffers.items():
            if rows:
                writers[day].write_rows(rows)
                rows.clear()
        rejected = sink.objects
        check_threshold(rejected, accepted + rejected, config.max_quarantine_share, what=spec.noun)
        for day in chunk:
            written = writers[day].commit()
            totals.written[day.isoformat()] = (written.rows, written.bytes)
    totals.quarantined += sink.count
    totals.quarantined_objects += sink.objects
    for k, v in sink.reasons().items():
        totals.quarantine_reasons[k] = totals.quarantine_reasons.get(k, 0) + v
    totals.accepted_objects += accepted
    totals.limited = totals.limited or limited
    return used


def _accept(
    spec: DatasetSpec,
    fetched: Fetched,
    sink: QuarantineSink,
    seen: dict[dt.date, set[Hashable]],
    buffers: dict[dt.date, list[dict[str, Any]]],
    writers: dict[dt.date, PartitionWriter],
    totals: RunTotals,
) -> list[dict[str, Any]] | None:
    """Parse, type, route and buffer one object. ``None`` = quarantined; ``[]`` = nothing new for this chunk."""
    try:
        day_rows = spec.to_rows(fetched)
        typed = [(day, coerce_row(row, spec.schema)) for day, row in day_rows]
    except (ParseError, RowCoercionError, ValueError, TypeError, KeyError, AttributeError) as exc:
        sink.add(_object_body(fetched.obj), f"{type(exc).__name__}: {exc}", fetched.url, day=fetched.day, context={"level": "object", "kind": fetched.kind})
        return None
    new: list[dict[str, Any]] = []
    for day, row in typed:
        if day is None:
            sink.add(_object_body(fetched.obj), "no partition day: the object has no usable date for this dataset", fetched.url, day=fetched.day, context={"level": "object", "kind": fetched.kind})
            return None
    for day, row in typed:
        if day not in writers:
            totals.out_of_window += 1
            continue
        key = spec.row_key(row)
        if key in seen[day]:
            totals.duplicates += 1
            continue
        seen[day].add(key)
        buffers[day].append(row)
        new.append(row)
        if len(totals.preview) < PREVIEW_KEEP:
            totals.preview.append(row)
        if len(buffers[day]) >= WRITE_BATCH_ROWS:
            writers[day].write_rows(buffers[day])
            buffers[day] = []
    return new


def _object_body(obj: Any) -> bytes:
    try:
        return compact_json(obj).encode("utf-8")
    except (TypeError, ValueError):
        return repr(obj).encode("utf-8")



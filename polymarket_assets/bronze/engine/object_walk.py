"""The dataset shape of the Gamma assets: walk a source of JSON objects over a few days, map each object to
rows of its day, skip repeats. ``ObjectWalk(spec)`` is a :class:`~polymarket_assets.bronze.engine.dataset.Dataset`.

Per batch of at most ``spec.max_days_per_walk`` consecutive pending days, the source is walked **once** for
the whole window (so a 7-day backfill costs one listing walk, not seven); every object goes through
``spec.to_rows`` (parse → ``bronze/rows.py``) and ``coerce_row``, and each row to the day ``to_rows`` gives it:

* an object that cannot be parsed or typed, or has no usable day, is quarantined with the reason (never
  silently dropped) and counts toward ``max_quarantine_share``, which is checked over the batch's objects;
* an undecodable page is quarantined and re-fetched (``GuardedEndpoint``); a JSON page of the wrong shape is
  quarantined and the walk restarted (at most ``MAX_WALK_RESTARTS``); rows seen before (CDN-cached pages, a
  restart) are skipped by ``spec.row_key``; rows of days outside the batch are counted and dropped;
* run config ``limit`` stops after that many objects (``spec.counts_toward_limit``); later batches are not
  walked and their days are reported as not written;
* when the walk ends, every day of the batch is committed (``Complete``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import dagster as dg
import pyarrow as pa

from polymarket_assets.bronze.coerce import RowCoercionError, coerce_row
from polymarket_assets.bronze.engine.dataset import Complete, Item, NotWritten, Rows
from polymarket_assets.bronze.partitions import contiguous_chunks, day_of, utc_now
from polymarket_assets.clients.api_clients import ApiClients
from polymarket_assets.clients.errors import MalformedResponseError
from polymarket_assets.clients.guarded_endpoint import QuarantinedResponseError
from polymarket_assets.clients.pagination import Page
from polymarket_assets.clients.wire import ParseError
from polymarket_assets.lake import LakePath

if TYPE_CHECKING:
    from polymarket_assets.bronze.engine.run import RunContext

MAX_WALK_RESTARTS = 2
LIMIT_REACHED = "not written: run config limit reached"


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


DayRow = tuple["dt.date | None", dict[str, Any]]
#: ``walk(days, clients, bronze_root)``: the objects of a window (``clients`` is ``None`` for a source with no API).
Walk = Callable[[list[dt.date], "ApiClients | None", LakePath], Iterable[Fetched]]


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
class ObjectWalkSpec:
    asset: str
    schema: pa.Schema
    #: Fetched → rows (untyped values are fine: they are coerced) each with its day (None = unknown).
    to_rows: Callable[[Fetched], list[DayRow]]
    #: Identity of a typed row within a partition; repeats (CDN-cached pages, walk restarts) are skipped.
    row_key: Callable[[dict[str, Any]], Hashable]
    walk: Walk
    max_days_per_walk: int = 7
    #: Whether a fetched object counts toward ``limit`` ("at most N markets/events").
    counts_toward_limit: Callable[[Fetched], bool] = lambda fetched: True
    #: What the source unit is called in messages ("events", "markets", ...).
    noun: str = "objects"
    #: Whether the walk calls an API (then its clients are guarded by the batch's quarantine).
    uses_api: bool = True


class ObjectWalk:
    """One run of an :class:`ObjectWalkSpec` (the counters of this run live here, not in the spec)."""

    writer_options: dict[str, int] = {}
    copied_to_partitions: tuple[str, ...] = ("range",)

    def __init__(self, spec: ObjectWalkSpec):
        self.spec = spec
        self.asset = spec.asset
        self.schema = spec.schema
        self.remaining: int | None = None
        self.duplicates = 0
        self.out_of_window = 0
        self.walk_restarts = 0
        self.rejected_objects = 0
        self.limited = False

    def prepare(self, run: RunContext) -> None:
        self.remaining = run.config.limit

    def batches(self, pending: list[dt.date]) -> list[list[dt.date]]:
        return contiguous_chunks(pending, self.spec.max_days_per_walk)

    def fetch(self, batch: list[dt.date], run: RunContext) -> Iterator[Item]:
        if self.remaining is not None and self.remaining <= 0:
            yield NotWritten(batch, LIMIT_REACHED)
            return
        window = f"{batch[0].isoformat()}..{batch[-1].isoformat()}"
        book = run.book

        def bad_page(body: bytes, reason: str, url: str) -> None:
            """An undecodable page: its day is unknown, so it is filed under the batch's first day."""
            book.quarantine(batch[0], body, reason, url, {"window": window, "level": "page"})

        clients = run.clients(on_bad_body=bad_page) if self.spec.uses_api else None
        seen: dict[dt.date, set[Hashable]] = {d: set() for d in batch}
        used = 0
        restarts = 0
        while True:
            try:
                for fetched in self.spec.walk(batch, clients, run.lake.bronze):
                    items = self._accept(fetched, batch, window, seen, run)
                    if items is None:
                        continue
                    yield from items
                    if any(item.rows for item in items) and self.spec.counts_toward_limit(fetched):
                        used += 1
                        if self.remaining is not None and used >= self.remaining:
                            self.limited = True
                            break
                break
            except MalformedResponseError as exc:
                if not getattr(exc, "already_quarantined", False):
                    context = {"window": window, "level": "page", "error": str(exc)[:500]}
                    book.quarantine(batch[0], exc.body, exc.reason, exc.url, context)
                restarts += 1
                self.walk_restarts += 1
                if restarts > MAX_WALK_RESTARTS or isinstance(exc, QuarantinedResponseError) and restarts > 1:
                    raise dg.Failure(
                        description=(
                            f"{self.asset} {window}: the API kept returning unusable pages ({exc.reason}); gave up "
                            f"after {restarts} attempt(s). Every bad body is under {run.lake.quarantine / self.asset}. "
                            f"Nothing was committed for these days; re-run later."
                        )
                    ) from exc
                run.log.warning(f"{self.asset}: restarting the walk for {window} after a malformed page ({exc.reason})")
        yield Complete(batch, what=self.spec.noun)
        if self.remaining is not None:
            self.remaining -= used

    def _accept(
        self, fetched: Fetched, batch: list[dt.date], window: str, seen: dict[dt.date, set[Hashable]], run: RunContext
    ) -> list[Rows] | None:
        """Parse, type and route one object: its new rows per day (the object counted once, on the first), or
        ``None`` when it was quarantined."""
        home = fetched.day if fetched.day in seen else batch[0]
        context = {"window": window, "level": "object", "kind": fetched.kind}
        try:
            typed = [(day, coerce_row(row, self.schema)) for day, row in self.spec.to_rows(fetched)]
        except (ParseError, RowCoercionError, ValueError, TypeError, KeyError, AttributeError) as exc:
            self.rejected_objects += 1
            run.book.reject(home, fetched.obj, f"{type(exc).__name__}: {exc}", fetched.url, context)
            return None
        if any(day is None for day, _ in typed):
            self.rejected_objects += 1
            run.book.reject(home, fetched.obj, "no partition day: the object has no usable date for this dataset", fetched.url, context)
            return None
        by_day: dict[dt.date, list[dict[str, Any]]] = {}
        for day, row in typed:
            if day not in seen:
                self.out_of_window += 1
                continue
            key = self.spec.row_key(row)
            if key in seen[day]:
                self.duplicates += 1
                continue
            seen[day].add(key)
            by_day.setdefault(day, []).append(row)
        if not by_day:
            return [Rows(home, [], units=1)]
        return [Rows(day, rows, units=1 if i == 0 else 0) for i, (day, rows) in enumerate(by_day.items())]

    def metadata(self, run: RunContext) -> dict[str, Any]:
        report = run.book.report
        quarantined = sum(report.quarantined.values())
        extra: dict[str, Any] = {
            "rows_in_run": dg.MetadataValue.int(sum(r for r, _ in report.written.values())),
            "duplicates_skipped": dg.MetadataValue.int(self.duplicates),
            "out_of_window_rows": dg.MetadataValue.int(self.out_of_window),
            "walk_restarts": dg.MetadataValue.int(self.walk_restarts),
            "quarantined_objects": dg.MetadataValue.int(self.rejected_objects),
            "quarantined_pages": dg.MetadataValue.int(quarantined - self.rejected_objects),
            "quarantine_reasons": dg.MetadataValue.json(report.quarantine_reasons),
            "limited": dg.MetadataValue.bool(self.limited),
        }
        kept = sorted(run.checkpoint.resumed)
        if kept:
            extra["resumed_skipped_days"] = dg.MetadataValue.text(", ".join(kept))
        not_written = sorted(d.isoformat() for d, status in report.not_written.items() if status == LIMIT_REACHED)
        if not_written:
            extra["days_not_written_due_to_limit"] = dg.MetadataValue.text(", ".join(not_written))
        return extra

    def written_status(self, day: dt.date, run_id: str) -> str:
        return f"written by run {run_id}"

"""The pending days of one bronze run: each day's writer, quarantine, counters and preview, and its commit.

:class:`DayBook` is what a dataset's ``fetch`` writes through (via the items it yields) and quarantines
into (``quarantine`` / ``reject`` / ``lose``, safe from any thread). A day is committed when the dataset
yields ``Complete``: the quarantined share of the completed days is checked against
``max_quarantine_share`` (``check_threshold``), then each day's partition is swapped in atomically
(``PartitionWriter.commit``; a day without rows still gets its zero-row partition) and ``on_commit`` records
it in the range checkpoint. ``abort`` discards every uncommitted day (the visible partitions stay as they
were).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from polymarket_assets.bronze.engine.dataset import Complete, Item, Kept, NotWritten, Rows, Table
from polymarket_assets.bronze.engine.quarantine import Quarantine, check_threshold
from polymarket_assets.bronze.parquet_io import PartitionWriter, WrittenPartition, partition_stats
from polymarket_assets.clients.wire import compact_json

#: Rows buffered per day before they are handed to the writer as one Arrow batch.
WRITE_BATCH_ROWS = 2_000
PREVIEW_ROWS = 5

#: ``on_commit(day, written, resume)``: record a committed day (the range checkpoint).
OnCommit = Callable[[dt.date, WrittenPartition, "dict[str, Any] | None"], None]


@dataclass
class DayState:
    day: dt.date
    quarantine: Quarantine
    writer: PartitionWriter | None = None
    buffer: list[dict[str, Any]] = field(default_factory=list)
    rows: int = 0  # rows handed to the writer or buffered
    accepted: int = 0  # units the threshold counts as fetched fine
    rejected: int = 0  # units quarantined or lost: the threshold's numerator
    preview: list[dict[str, Any]] = field(default_factory=list)
    written: WrittenPartition | None = None


@dataclass
class RunReport:
    """What the run committed, per day: ``(rows, bytes)``, the first rows, the quarantine count and reasons;
    the days left alone with their status; and the run's length."""

    written: dict[dt.date, tuple[int, int]] = field(default_factory=dict)
    previews: dict[dt.date, list[dict[str, Any]]] = field(default_factory=dict)
    quarantined: dict[dt.date, int] = field(default_factory=dict)
    #: units of the day that did not land (rows quarantined with a reason, or counted as lost with a page):
    #: rows written + rejected = what the API holds for the day
    rejected: dict[dt.date, int] = field(default_factory=dict)
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    not_written: dict[dt.date, str] = field(default_factory=dict)
    #: days whose existing partition the dataset kept (``Kept``): ``(rows, bytes, status)``.
    kept_existing: dict[dt.date, tuple[int, int, str]] = field(default_factory=dict)
    elapsed_seconds: float = 0.0


def object_body(obj: Any) -> bytes:
    """An API object (or anything) as the bytes a quarantine body file keeps."""
    if isinstance(obj, bytes):
        return obj
    if isinstance(obj, str):
        return obj.encode("utf-8")
    try:
        return compact_json(obj).encode("utf-8")
    except (TypeError, ValueError):
        return repr(obj).encode("utf-8")


class DayBook:
    def __init__(
        self,
        bronze_root: Any,
        quarantine_root: Any,
        *,
        asset: str,
        schema: Any,
        pending: Sequence[dt.date],
        writer_options: dict[str, int],
        max_quarantine_share: float,
        on_commit: OnCommit,
        log: Any = None,
    ):
        self.bronze_root = bronze_root
        self.quarantine_root = quarantine_root
        self.asset = asset
        self.schema = schema
        self.writer_options = dict(writer_options)
        self.max_share = max_quarantine_share
        self.on_commit = on_commit
        self.log = log
        self.days = {d: DayState(d, Quarantine(quarantine_root, asset, d)) for d in pending}
        self.report = RunReport()
        self._lock = threading.Lock()  # quarantine adds come from request threads too

    # -- quarantine ---------------------------------------------------------------------------------
    def quarantine(self, day: dt.date, body: Any, reason: str, url: str | None, context: dict[str, Any] | None = None) -> None:
        """Keep an unusable body (a page, a response) under ``day``; it does not count toward the threshold."""
        with self._lock:
            self.days[day].quarantine.add(object_body(body), reason, url, context)

    def reject(
        self, day: dt.date, obj: Any, reason: str, url: str | None, context: dict[str, Any] | None = None, *, units: int = 1
    ) -> None:
        """Quarantine an object bronze could not use; it counts ``units`` toward ``day``'s threshold."""
        with self._lock:
            state = self.days[day]
            state.quarantine.add(object_body(obj), reason, url, context)
            state.rejected += units

    def lose(self, day: dt.date, units: int) -> None:
        """Count ``units`` that could not be fetched at all (a page or request given up) toward the threshold."""
        with self._lock:
            self.days[day].rejected += units

    # -- items from the dataset ---------------------------------------------------------------------
    def handle(self, item: Item) -> None:
        if isinstance(item, Rows):
            self._rows(item)
        elif isinstance(item, Table):
            self._table(item)
        elif isinstance(item, Complete):
            self.complete(item)
        elif isinstance(item, NotWritten):
            for day in item.days:
                self.report.not_written[day] = item.status
        elif isinstance(item, Kept):
            for day in item.days:
                self.report.kept_existing[day] = (*partition_stats(self.bronze_root, self.asset, day), item.status)
        else:
            raise TypeError(f"{self.asset}: a dataset's fetch yielded {type(item).__name__}, not Rows/Table/Complete/NotWritten/Kept")

    def _writer(self, state: DayState) -> PartitionWriter:
        if state.writer is None:
            state.writer = PartitionWriter(self.bronze_root, self.asset, state.day, self.schema, **self.writer_options)
        return state.writer

    def _rows(self, item: Rows) -> None:
        state = self.days[item.day]
        state.accepted += len(item.rows) if item.units is None else item.units
        if not item.rows:
            return
        state.rows += len(item.rows)
        state.buffer.extend(item.rows)
        if len(state.preview) < PREVIEW_ROWS:
            state.preview.extend(item.rows[: PREVIEW_ROWS - len(state.preview)])
        if len(state.buffer) >= WRITE_BATCH_ROWS:
            self._flush(state)

    def _flush(self, state: DayState) -> None:
        if state.buffer:
            self._writer(state).write_rows(state.buffer)
            state.buffer = []

    def _table(self, item: Table) -> None:
        state = self.days[item.day]
        n = item.table.num_rows
        state.accepted += n
        if n == 0:
            return
        self._writer(state).write_table(item.table)
        state.rows += n
        if len(state.preview) < PREVIEW_ROWS:
            state.preview.extend(item.table.slice(0, PREVIEW_ROWS - len(state.preview)).to_pylist())

    def complete(self, item: Complete) -> None:
        states = [self.days[d] for d in item.days if self.days[d].written is None]
        rejected = sum(s.rejected for s in states)
        check_threshold(rejected, sum(s.accepted for s in states) + rejected, self.max_share, what=item.what,
                        where=f"{self.quarantine_root}/{self.asset}/")
        for state in states:
            self._flush(state)
            state.written = self._writer(state).commit()
            state.writer = None
            written = state.written
            self.report.written[state.day] = (written.rows, written.bytes)
            self.report.previews[state.day] = state.preview
            with self._lock:
                self.report.quarantined[state.day] = state.quarantine.count
                self.report.rejected[state.day] = state.rejected
                for reason, n in state.quarantine.reasons.items():
                    self.report.quarantine_reasons[reason] = self.report.quarantine_reasons.get(reason, 0) + n
            self.on_commit(state.day, written, item.resume)
            if self.log is not None:
                self.log.info(f"{self.asset}: committed {state.day} ({written.rows} rows, {written.bytes} bytes)")

    def abort(self) -> None:
        """Discard every day not committed yet (its temporary file goes; the visible partition stays)."""
        for state in self.days.values():
            if state.writer is not None and state.written is None:
                state.writer.abort()
                state.writer = None
            state.buffer = []

"""What a bronze dataset gives the engine: the :class:`Dataset` protocol and the items its ``fetch`` yields.

The engine (``run.py``) owns everything the day-partitioned datasets share: the days of the run, the range
checkpoint and resume, each day's writer, quarantine, counters and preview, the quarantine threshold, the
atomic commit + checkpoint mark, the failure message naming the committed days, and the metadata. A dataset
only says how its source is fetched and which day each row belongs to:

* ``prepare(run)`` once, before any batch (e.g. find the markets active in the range);
* ``batches(pending)``: the pending days it fetches together (a Gamma walk: ≤ 7 days; trades: the whole
  range; prices: one window of one fidelity);
* ``fetch(batch, run)`` yields :class:`Rows` / :class:`Table` (typed rows of one day), then
  :class:`Complete` once some days can get no more rows (the engine checks the threshold over them and
  commits each), :class:`NotWritten` for days it leaves alone, or :class:`Kept` for days whose existing
  partition it keeps as their content (never overwritten). It quarantines through ``run.book``;
* ``metadata(run)``: its own run metadata keys; ``written_status(day)``: a committed day's status text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, Union

import pyarrow as pa

if TYPE_CHECKING:
    from polymarket_assets.bronze.engine.run import RunContext


@dataclass(frozen=True)
class Rows:
    """Typed rows (``bronze/rows.py`` + ``coerce_row``) of one day. ``units``: how many fetched units the
    quarantine threshold counts as good for them (default: one per row; the Gamma walks count objects)."""

    day: dt.date
    rows: list[dict[str, Any]]
    units: int | None = None


@dataclass(frozen=True)
class Table:
    """Arrow rows of one day, already of the dataset's schema (or castable to it)."""

    day: dt.date
    table: pa.Table


@dataclass(frozen=True)
class Complete:
    """``days`` will get no more rows: fail when their quarantined share passes ``max_quarantine_share``
    (``what`` names the unit in that message), else commit each atomically and mark it in the checkpoint,
    with ``resume`` (what a later attempt needs to restart after it) when given."""

    days: Sequence[dt.date]
    what: str
    resume: dict[str, Any] | None = None


@dataclass(frozen=True)
class NotWritten:
    """``days`` are left as they are (e.g. the run config ``limit`` was reached); ``status`` says why."""

    days: Sequence[dt.date]
    status: str


@dataclass(frozen=True)
class Kept:
    """``days``' existing partitions are kept as they are and stay their content (their rows and bytes are
    reported as the partition's); ``status`` says why (e.g. a snapshot that can never be taken again)."""

    days: Sequence[dt.date]
    status: str


Item = Union[Rows, Table, Complete, NotWritten, Kept]


class Dataset(Protocol):
    """One day-partitioned bronze dataset's own part (see the module docstring)."""

    asset: str
    schema: pa.Schema
    #: ``PartitionWriter`` options (``row_group_size``, ``max_buffer_bytes``) for this dataset's days.
    writer_options: dict[str, int]
    #: run metadata keys also given to every partition of a range (request counters are run-wide).
    copied_to_partitions: tuple[str, ...]

    def prepare(self, run: RunContext) -> None: ...

    def batches(self, pending: list[dt.date]) -> list[list[dt.date]]: ...

    def fetch(self, batch: list[dt.date], run: RunContext) -> Iterator[Item]: ...

    def metadata(self, run: RunContext) -> dict[str, Any]: ...

    def written_status(self, day: dt.date, run_id: str) -> str: ...

"""What the market-driven range assets (``bronze/trades``, ``bronze/prices``) share around their own engines.

Both run one Dagster run per range (``BackfillPolicy.single_run``) the same way:

1. :func:`open_range` opens the range's checkpoint and lists the days still to fetch;
2. :func:`discover_markets` finds the markets active in the range once (Gamma), every unusable body or
   market object going to a :class:`DiscoverySink`;
3. the asset's engine fetches the pending days and commits each one into the ``RangeCheckpoint``, filling a
   :class:`RangeReport`; :func:`resume_hint_on_failure` around it turns any error into a ``dg.Failure``
   saying which days are committed and how a re-run resumes;
4. :func:`range_run_result` builds the run's metadata (days kept from an earlier attempt included) and gives
   each partition of a range its own figures.

(The Gamma assets and the leaderboard use ``daily_runner.py`` / ``metadata.add_partition_metadata``
instead: other figures per partition, no market discovery.)
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
import pyarrow as pa

from polymarket_assets.bronze.active_markets import ActiveMarket, markets_active_in
from polymarket_assets.bronze.api import RunApi
from polymarket_assets.bronze.checkpoint import RangeCheckpoint
from polymarket_assets.bronze.metadata import materialization_metadata, rows_by_day_md
from polymarket_assets.bronze.parquet_io import WrittenPartition, partition_exists
from polymarket_assets.bronze.partitions import day_bounds, range_bounds
from polymarket_assets.bronze.quarantine import Quarantine
from polymarket_assets.clients.errors import MalformedResponseError
from polymarket_assets.clients import compact_json

# ------------------------------------------------------------------------------------------------
# Starting
# ------------------------------------------------------------------------------------------------


def open_range(lake: Any, asset: str, days: Sequence[dt.date], run_id: str | None, *, fresh: bool) -> tuple[RangeCheckpoint, list[dt.date]]:
    """The range's checkpoint (``RangeCheckpoint.open``: days an earlier failed attempt committed are kept when
    their partition is still on disk, unless ``fresh``) and the days still to fetch, in order."""
    checkpoint = RangeCheckpoint.open(lake.state, asset, days, run_id, fresh=fresh, exists=lambda d: partition_exists(lake.bronze, asset, d))
    return checkpoint, [d for d in days if d not in checkpoint.resumed_days]


# ------------------------------------------------------------------------------------------------
# Market discovery
# ------------------------------------------------------------------------------------------------


class DiscoverySink:
    """The quarantine callback of a range's market discovery, filed under one ``day``: takes raw bodies (the
    ``GuardedEndpoint`` hook) and unreadable Gamma market objects (``markets_active_in(on_reject=...)``).
    Thread-safe; ``.box`` is the ``Quarantine`` behind it."""

    def __init__(self, quarantine_root: Any, asset: str, day: dt.date):
        self.box = Quarantine(quarantine_root, asset, day)
        self._lock = threading.Lock()

    def __call__(self, obj: Any, reason: str, url: str | None) -> None:
        body = obj if isinstance(obj, (bytes, str)) else compact_json(obj)
        with self._lock:
            self.box.add(body, reason, url, {"level": "gamma market discovery"})

    @property
    def count(self) -> int:
        return self.box.count


def discover_markets(
    api: RunApi, sink: DiscoverySink, first: dt.date, last: dt.date, *, limit: int | None, unusable_page: Callable[[str], str]
) -> list[ActiveMarket]:
    """The markets active in ``first..last`` (``markets_active_in``), through a Gamma client guarded by ``sink``.

    A page of the wrong shape is quarantined too and fails the run, ``dg.Failure(description=
    unusable_page(reason))``: without the market list no day can be complete.
    """
    try:
        return markets_active_in(api.gamma(sink), first, last, limit=limit, on_reject=sink)
    except MalformedResponseError as exc:
        if not getattr(exc, "already_quarantined", False):
            sink(exc.body, exc.reason, exc.url)
        raise dg.Failure(description=unusable_page(exc.reason)) from exc


# ------------------------------------------------------------------------------------------------
# Committing and failing
# ------------------------------------------------------------------------------------------------


@dataclass
class RangeReport:
    """Per committed day: ``(rows, bytes)``, the first rows (preview) and how many bodies went to quarantine.
    The engines' reports extend it with their own counters."""

    written: dict[dt.date, tuple[int, int]] = field(default_factory=dict)
    previews: dict[dt.date, list[dict[str, Any]]] = field(default_factory=dict)
    quarantined: dict[dt.date, int] = field(default_factory=dict)

    def record_commit(self, day: dt.date, written: WrittenPartition, preview: list[dict[str, Any]], quarantined: int) -> None:
        self.written[day] = (written.rows, written.bytes)
        self.previews[day] = preview
        self.quarantined[day] = quarantined


@contextmanager
def resume_hint_on_failure(asset: str, days: Sequence[dt.date], checkpoint: RangeCheckpoint) -> Iterator[None]:
    """Around the fetching part of a range run: on any error the checkpoint is marked ``failed`` (kept for the
    next attempt) and the error re-raised as a ``dg.Failure`` naming the days already committed and how a
    re-run resumes (a ``dg.Failure`` keeps its own description below that, and its metadata). What is not an
    ``Exception`` (``KeyboardInterrupt``, ...) is re-raised unchanged once the checkpoint is marked."""
    try:
        yield
    except BaseException as exc:
        checkpoint.fail(f"{type(exc).__name__}: {exc}")
        done = sorted(checkpoint.done_days)
        remaining = [d for d in days if d not in checkpoint.done_days]
        message = (
            f"{asset} {days[0]}..{days[-1]} failed: {type(exc).__name__}: {str(exc)[:800]}\n"
            f"Committed and checkpointed: {', '.join(map(str, done)) or 'none'}. Re-running the same range resumes "
            f"with the {len(remaining)} remaining day(s) ({checkpoint.path}); run config fresh: true refetches all."
        )
        if isinstance(exc, dg.Failure):
            raise dg.Failure(description=message + f"\n{exc.description}", metadata=exc.metadata) from exc
        if isinstance(exc, Exception):
            raise dg.Failure(description=message) from exc
        raise


# ------------------------------------------------------------------------------------------------
# Metadata
# ------------------------------------------------------------------------------------------------


def range_label(days: Sequence[dt.date]) -> str:
    """The ``range`` metadata text (run-wide request counters are for the whole range, not one partition)."""
    return f"{days[0]}..{days[-1]} ({len(days)} day(s); requests/retries/429s are for the whole run)"


def range_run_result(
    context: dg.AssetExecutionContext,
    *,
    schema: pa.Schema,
    days: Sequence[dt.date],
    report: RangeReport,
    kept: Mapping[str, Mapping[str, Any]],
    stats_delta: Mapping[str, float],
    markets_active: int,
    quarantined_elsewhere: int,
    extra: Mapping[str, Any],
    copied_to_partitions: Sequence[str] = ("range",),
    written_status: Callable[[dt.date], str] | None = None,
) -> dg.MaterializeResult:
    """The run's result: ``materialization_metadata`` over the whole range (rows of the days written *and*
    kept, ``kept`` = ``checkpoint.resumed``; bytes written by this run; the first non-empty preview; the
    quarantine count of every day plus ``quarantined_elsewhere``, i.e. market discovery) with the keys
    ``rows_by_day``, ``partitions_written``, ``partitions_kept_from_checkpoint``, ``markets_active`` and then
    ``extra`` (the asset's own figures).

    In a range (more than one day) each partition also gets its own ``materialization_metadata`` (rows,
    bytes, day window, preview, quarantine count; request counters stay run-wide), ``partition_status`` and
    the ``copied_to_partitions`` keys of the run metadata. Status of a day written by this run:
    ``written_status(day)`` (default "written by run <id>"); of a kept day: "kept: committed by run <id> at
    <time>".
    """
    per_day = {d.isoformat(): v for d, v in report.written.items()}
    common = {
        "rows_by_day": dg.MetadataValue.md(rows_by_day_md(per_day, sorted(kept))),
        "partitions_written": dg.MetadataValue.int(len(report.written)),
        "partitions_kept_from_checkpoint": dg.MetadataValue.int(len(kept)),
        "markets_active": dg.MetadataValue.int(markets_active),
    }
    run_metadata = materialization_metadata(
        table_or_rows_count=sum(r for r, _ in report.written.values()) + sum(int(v.get("rows", 0)) for v in kept.values()),
        schema=schema,
        stats_delta=stats_delta,
        bytes_written=sum(b for _, b in report.written.values()),
        window=range_bounds(days),
        preview=next((p for p in report.previews.values() if p), []),
        quarantined=sum(report.quarantined.values()) + quarantined_elsewhere,
        extra={**common, **extra},
    )
    if len(days) > 1:
        copied = {k: run_metadata[k] for k in copied_to_partitions}
        for day in days:
            context.add_asset_metadata(
                {**_partition_metadata(context, day, schema, report, kept, stats_delta, written_status), **copied},
                partition_key=day.isoformat(),
            )
    return dg.MaterializeResult(metadata=run_metadata)


def _partition_metadata(
    context: dg.AssetExecutionContext,
    day: dt.date,
    schema: pa.Schema,
    report: RangeReport,
    kept: Mapping[str, Mapping[str, Any]],
    stats_delta: Mapping[str, float],
    written_status: Callable[[dt.date], str] | None,
) -> dict[str, Any]:
    if day in report.written:
        rows, size = report.written[day]
        status = written_status(day) if written_status else f"written by run {context.run_id}"
        preview, quarantined = report.previews.get(day, []), report.quarantined.get(day, 0)
    else:
        record = kept.get(day.isoformat(), {})
        rows, size = int(record.get("rows", 0)), 0
        status = f"kept: committed by run {record.get('run_id')} at {record.get('committed_at')}"
        preview, quarantined = [], 0
    return {
        **materialization_metadata(
            table_or_rows_count=rows,
            schema=schema,
            stats_delta=stats_delta,
            bytes_written=size,
            window=day_bounds(day),
            preview=preview,
            quarantined=quarantined,
        ),
        "partition_status": dg.MetadataValue.text(status),
    }

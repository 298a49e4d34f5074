"""Materialization metadata every bronze asset reports, built the same way for all of them.

:func:`run_metadata` is the engine's: the run's figures over the whole range (rows of the days written *and*
kept, request counters, bytes, window, preview, quarantine count, ``rows_by_day``, ``partitions_written``,
``partitions_kept_from_checkpoint``) plus the dataset's own keys, and in a range each partition's own figures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import dagster as dg
import pyarrow as pa

from polymarket_assets.bronze.partitions import day_bounds, range_bounds

if TYPE_CHECKING:
    from polymarket_assets.bronze.engine.days import RunReport

PREVIEW_ROWS = 5
_CELL_MAX = 48
_PREVIEW_SKIP = ("raw_json", "description")


def table_schema(schema: pa.Schema) -> dg.TableSchema:
    """A pyarrow schema as Dagster's ``dagster/column_schema`` (types verbatim, nullability as a constraint)."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=field.name,
                type=str(field.type),
                constraints=dg.TableColumnConstraints(nullable=field.nullable),
            )
            for field in schema
        ]
    )


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        text = value.isoformat()
    elif isinstance(value, (list, tuple)):
        text = "[" + ", ".join(_cell(v) for v in value) + "]"
    else:
        text = str(value)
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= _CELL_MAX else text[: _CELL_MAX - 1] + "…"


def markdown_preview(rows: Sequence[Mapping[str, Any]], schema: pa.Schema, limit: int = PREVIEW_ROWS) -> str:
    columns = [f.name for f in schema if f.name not in _PREVIEW_SKIP]
    shown = list(rows)[:limit]
    if not shown:
        return "_no rows_"
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(r.get(c)) for c in columns) + " |" for r in shown]
    return "\n".join(lines)


def window_text(window: tuple[dt.datetime, dt.datetime] | str) -> str:
    if isinstance(window, str):
        return window
    start, end = window
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    days = (end - start).total_seconds() / 86400
    return f"[{start.strftime(fmt)}, {end.strftime(fmt)}) UTC ({days:g} day{'s' if days != 1 else ''})"


def materialization_metadata(
    *,
    table_or_rows_count: pa.Table | int,
    schema: pa.Schema,
    stats_delta: Mapping[str, float],
    bytes_written: int,
    window: tuple[dt.datetime, dt.datetime] | str,
    preview: Sequence[Mapping[str, Any]],
    quarantined: int,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Row count, column schema, request counters, bytes, time window, quarantine count and a preview.

    ``stats_delta`` is ``TransportStats.since(before)`` for this materialization (zeros for assets that
    make no requests). ``extra`` values are added as given (plain values or ``dg.MetadataValue``).
    """
    rows = table_or_rows_count.num_rows if isinstance(table_or_rows_count, pa.Table) else int(table_or_rows_count)
    if isinstance(table_or_rows_count, pa.Table) and not preview:
        preview = table_or_rows_count.slice(0, PREVIEW_ROWS).to_pylist()
    metadata: dict[str, Any] = {
        "dagster/row_count": dg.MetadataValue.int(rows),
        "dagster/column_schema": table_schema(schema),
        "requests": dg.MetadataValue.int(int(stats_delta.get("requests", 0))),
        "retries": dg.MetadataValue.int(int(stats_delta.get("retries", 0))),
        "http_429": dg.MetadataValue.int(int(stats_delta.get("http_429", 0))),
        "http_5xx": dg.MetadataValue.int(int(stats_delta.get("http_5xx", 0))),
        "connection_errors": dg.MetadataValue.int(int(stats_delta.get("connection_errors", 0))),
        "limiter_wait_seconds": dg.MetadataValue.float(float(stats_delta.get("limiter_wait_seconds", 0.0))),
        "bytes_received": dg.MetadataValue.int(int(stats_delta.get("bytes_received", 0))),
        "bytes_written": dg.MetadataValue.int(int(bytes_written)),
        "time_window": dg.MetadataValue.text(window_text(window)),
        "quarantined": dg.MetadataValue.int(int(quarantined)),
        "preview": dg.MetadataValue.md(markdown_preview(preview, schema)),
    }
    for key, value in (extra or {}).items():
        metadata[key] = value
    return metadata


def rows_by_day_md(
    written: Mapping[str, tuple[int, int]],
    skipped: Sequence[str] = (),
    kept_label: str = "kept (written by an earlier attempt of this range)",
    kept_existing: Mapping[str, tuple[int, int, str]] | None = None,
) -> str:
    """Per-day table for range runs: ``{day: (rows, bytes)}`` plus days skipped on resume, plus days whose
    existing partition the dataset kept (``{day: (rows, bytes, status)}``)."""
    kept_existing = kept_existing or {}
    lines = ["| day | rows | bytes | status |", "|---|---|---|---|"]
    for day in sorted(set(written) | set(skipped) | set(kept_existing)):
        if day in written:
            rows, size = written[day]
            lines.append(f"| {day} | {rows} | {size} | written |")
        elif day in kept_existing:
            rows, size, status = kept_existing[day]
            lines.append(f"| {day} | {rows} | {size} | {status} |")
        else:
            lines.append(f"| {day} | | | {kept_label} |")
    return "\n".join(lines)


def add_partition_metadata(
    context: Any,
    per_day: Mapping[str, tuple[int, int, str]],
) -> None:
    """In a range run, give each partition its own figures (``dagster/row_count``, ``bytes_written``,
    ``time_window``, ``partition_status``) on top of the run-wide metadata, which Dagster otherwise copies
    unchanged onto every partition of the range. ``per_day``: ``{day: (rows, bytes, status)}``."""
    if len(per_day) < 2:
        return
    for day, (rows, size, status) in per_day.items():
        start = dt.datetime.fromisoformat(day).replace(tzinfo=dt.timezone.utc)
        context.add_asset_metadata(
            {
                "dagster/row_count": dg.MetadataValue.int(rows),
                "bytes_written": dg.MetadataValue.int(size if status == "written" else 0),
                "partition_bytes": dg.MetadataValue.int(size),
                "time_window": dg.MetadataValue.text(window_text((start, start + dt.timedelta(days=1)))),
                "partition_status": dg.MetadataValue.text(status),
            },
            partition_key=day,
        )


def range_label(days: Sequence[dt.date]) -> str:
    """The ``range`` metadata text (run-wide request counters are for the whole range, not one partition)."""
    return f"{days[0]}..{days[-1]} ({len(days)} day(s); requests/retries/429s are for the whole run)"


def run_metadata(
    context: Any,
    *,
    schema: pa.Schema,
    days: Sequence[dt.date],
    report: RunReport,
    kept: Mapping[str, Mapping[str, Any]],
    stats_delta: Mapping[str, float],
    extra: Mapping[str, Any],
    copied_to_partitions: Sequence[str] = ("range",),
    written_status: Callable[[dt.date], str] | None = None,
) -> dg.MaterializeResult:
    """The run's result (see the module docstring). ``kept`` = ``checkpoint.resumed`` (days an earlier attempt
    committed). In a range (more than one day) each partition also gets its own ``materialization_metadata``
    (rows, bytes, day window, preview, quarantine count; request counters stay run-wide), ``partition_bytes``,
    ``partition_status`` and the ``copied_to_partitions`` keys of the run metadata. Status of a day written by
    this run: ``written_status(day)``; of a kept day: "kept: committed by run <id> at <time>"; of a day the
    dataset left alone: its ``NotWritten`` status; of a day whose existing partition it kept: its ``Kept``
    status (and that partition's rows and bytes, which count in the run's row count)."""
    per_day = {d.isoformat(): v for d, v in report.written.items()}
    kept_existing = {d.isoformat(): v for d, v in report.kept_existing.items()}
    common = {
        "rows_by_day": dg.MetadataValue.md(rows_by_day_md(per_day, sorted(kept), kept_existing=kept_existing)),
        "partitions_written": dg.MetadataValue.int(len(report.written)),
        "partitions_kept_from_checkpoint": dg.MetadataValue.int(len(kept)),
    }
    run_md = materialization_metadata(
        table_or_rows_count=sum(r for r, _ in report.written.values()) + sum(int(v.get("rows", 0)) for v in kept.values())
        + sum(r for r, _, _ in report.kept_existing.values()),
        schema=schema,
        stats_delta=stats_delta,
        bytes_written=sum(b for _, b in report.written.values()),
        window=range_bounds(days),
        preview=next((p for p in report.previews.values() if p), []),
        quarantined=sum(report.quarantined.values()),
        extra={**common, **extra},
    )
    if len(days) > 1:
        copied = {k: run_md[k] for k in copied_to_partitions if k in run_md}
        for day in days:
            context.add_asset_metadata(
                {**_partition_metadata(context, day, schema, report, kept, stats_delta, written_status), **copied},
                partition_key=day.isoformat(),
            )
    return dg.MaterializeResult(metadata=run_md)


def _partition_metadata(
    context: Any,
    day: dt.date,
    schema: pa.Schema,
    report: RunReport,
    kept: Mapping[str, Mapping[str, Any]],
    stats_delta: Mapping[str, float],
    written_status: Callable[[dt.date], str] | None,
) -> dict[str, Any]:
    preview: list[dict[str, Any]] = []
    quarantined = bytes_written = 0
    if day in report.written:
        rows, size = report.written[day]
        bytes_written = size
        status = written_status(day) if written_status else f"written by run {context.run_id}"
        preview, quarantined = report.previews.get(day, []), report.quarantined.get(day, 0)
    elif day.isoformat() in kept:
        record = kept[day.isoformat()]
        rows, size = int(record.get("rows", 0)), int(record.get("bytes", 0))
        status = f"kept: committed by run {record.get('run_id')} at {record.get('committed_at')}"
    elif day in report.kept_existing:
        rows, size, status = report.kept_existing[day]
    else:
        rows = size = 0
        status = report.not_written.get(day, "not written")
    return {
        **materialization_metadata(
            table_or_rows_count=rows,
            schema=schema,
            stats_delta=stats_delta,
            bytes_written=bytes_written,
            window=day_bounds(day),
            preview=preview,
            quarantined=quarantined,
        ),
        "partition_bytes": dg.MetadataValue.int(size),
        "partition_status": dg.MetadataValue.text(status),
        # rows that did not land (quarantined with a reason, or a lost page's count): row_count + this = the API's
        # rows; "quarantined" counts bodies kept, including pages that were refetched and landed
        "rejected_rows": dg.MetadataValue.int(report.rejected.get(day, 0) if day in report.written else 0),
    }

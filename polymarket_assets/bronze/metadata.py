"""Materialization metadata every bronze asset reports, built the same way for all of them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg
import pyarrow as pa

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
) -> str:
    """Per-day table for range runs: ``{day: (rows, bytes)}`` plus days skipped on resume."""
    lines = ["| day | rows | bytes | status |", "|---|---|---|---|"]
    for day in sorted(set(written) | set(skipped)):
        if day in written:
            rows, size = written[day]
            lines.append(f"| {day} | {rows} | {size} | written |")
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

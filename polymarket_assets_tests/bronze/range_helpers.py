"""Helpers of the trades / prices / backfill tests (and ``bench/backfill.py``) around the replay's trades world."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

RANGE = [dt.date(2026, 11, 1) + dt.timedelta(days=i) for i in range(7)]


def range_tags(first: dt.date | str, last: dt.date | str) -> dict[str, str]:
    """Run tags that make ``dg.materialize`` run one partition range (what the CLI's --partition-range sets)."""
    return {"dagster/asset_partition_range_start": str(first), "dagster/asset_partition_range_end": str(last)}


def asset_config(op_name: str, **config: Any) -> dict[str, Any]:
    return {"ops": {op_name: {"config": config}}}


def table_content(table: Any, drop: Sequence[str] = ("fetched_at",)) -> list[dict[str, Any]]:
    """Rows without the fetch-time column, sorted: what "same content" means across two fetches."""
    rows = table.drop_columns([c for c in drop if c in table.column_names]).to_pylist()
    return sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, default=str))


def materialization_by_partition(result: Any) -> dict[str, Any]:
    return {e.materialization.partition: e.materialization for e in result.get_asset_materialization_events()}


"""Small helpers shared by the bronze-A tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import dagster as dg
import pyarrow as pa

from polymarket_assets.bronze.parquet_io import read_partition

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


def materialize(assets: list[Any], resources: dict[str, Any], *, partition: str | None = None, first: str | None = None,
                last: str | None = None, run_config: dict[str, Any] | None = None, raise_on_error: bool = True) -> dg.ExecuteInProcessResult:
    tags = {RANGE_START: first, RANGE_END: last} if first else None
    return dg.materialize(assets, resources=resources, partition_key=partition, tags=tags, run_config=run_config,
                          raise_on_error=raise_on_error)


def asset_config(asset_name: str, **config: Any) -> dict[str, Any]:
    return {"ops": {f"bronze__{asset_name}": {"config": config}}}


def materializations(result: dg.ExecuteInProcessResult, asset_name: str) -> list[dg.AssetMaterialization]:
    key = dg.AssetKey(["bronze", asset_name])
    return [e.materialization for e in result.get_asset_materialization_events() if e.asset_key == key]


def metadata(result: dg.ExecuteInProcessResult, asset_name: str, partition: str | None = None) -> dict[str, Any]:
    for m in materializations(result, asset_name):
        if partition is None or m.partition == partition:
            return {k: v.value for k, v in m.metadata.items()}
    raise AssertionError(f"no materialization of {asset_name} {partition}")


def table(tmp_path: Path, asset_name: str, day: str | dt.date) -> pa.Table:
    return read_partition(tmp_path / "bronze", asset_name, day)


def without(t: pa.Table, *columns: str) -> pa.Table:
    return t.drop_columns([c for c in columns if c in t.column_names])

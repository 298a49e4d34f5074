"""Small helpers shared by the bronze-A tests."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import dagster as dg
import pyarrow as pa

from polymarket_assets.bronze.parquet_io import read_partition

REPO = Path(__file__).resolve().parents[2]
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


def dagster_materialize_cli(args: list[str], tmp_path: Path, base_url: str) -> subprocess.CompletedProcess[str]:
    """``dagster asset materialize <args>`` in a subprocess: a fresh ``DAGSTER_HOME`` and data directory under
    ``tmp_path``, every API pointed at ``base_url``."""
    home = tmp_path / "dagster_home"
    home.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "DAGSTER_HOME": str(home),
        "POLYMARKET_GAMMA_URL": base_url,
        "POLYMARKET_DATA_URL": base_url,
        "POLYMARKET_CLOB_URL": base_url,
        "POLYMARKET_DATA_DIR": str(tmp_path / "data"),
        "POLYMARKET_RATELIMIT_DB": str(tmp_path / "rl.sqlite"),
    }
    dagster = Path(sys.executable).with_name("dagster")
    return subprocess.run([str(dagster), "asset", "materialize", *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600)

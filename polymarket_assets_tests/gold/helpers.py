"""Helpers for the gold tests: build silver then gold directly (the assets' code path minus Dagster), or through
Dagster with the real asset definitions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
from dagster_duckdb import DuckDBResource

from polymarket_assets.defs.gold.assets import gold_assets as GOLD_ASSETS
from polymarket_assets.defs.silver.assets import silver_assets as SILVER_ASSETS
from polymarket_assets.defs.silver.assets import silver_cross_table_checks as SILVER_CHECKS
from polymarket_assets.gold.models import GOLD_MODELS
from polymarket_assets.resources import LakeResource
from polymarket_assets.silver.duck import open_writer
from polymarket_assets.silver.load import LoadResult, load_model
from polymarket_assets_tests.silver.helpers import build_direct

GOLD_ORDER = ["token_ohlcv", "market_daily_volume", "calibration_points", "calibration_summary", "calibration_reliability",
              "btc15m_windows", "btc15m_calibration"]


def build_gold(lake: Path, db: Path, names: list[str] | None = None) -> dict[str, LoadResult]:
    out = {}
    with open_writer(db) as conn:
        for name in names or GOLD_ORDER:
            out[name] = load_model(conn, GOLD_MODELS[name], Path(lake) / "bronze")
    return out


def build_all(lake: Path, db: Path) -> dict[str, LoadResult]:
    return {**build_direct(lake, db), **build_gold(lake, db)}


def materialize_gold(lake: Path, db: Path, select: list[str] | None = None, config: dict[str, Any] | None = None,
                     raise_on_error: bool = True) -> dg.ExecuteInProcessResult:
    """Silver and gold through Dagster (``select``: gold table names; silver is then only a source)."""
    selection = [dg.AssetKey(["gold", s]) for s in select] if select else None
    run_config = {"ops": {f"gold__{n}": {"config": config} for n in (select or GOLD_ORDER)}} if config else None
    return dg.materialize([*SILVER_ASSETS, *SILVER_CHECKS, *GOLD_ASSETS], selection=selection, run_config=run_config,
                          resources={"duckdb": DuckDBResource(database=str(db)), "lake": LakeResource(data_dir=str(lake))},
                          raise_on_error=raise_on_error)

"""Helpers for the silver tests: materialize silver over a tmp lake, read the DuckDB file, pick events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from polymarket_assets.defs.silver.assets import silver_assets as SILVER_ASSETS
from polymarket_assets.defs.silver.assets import silver_cross_table_checks as SILVER_CHECKS
from polymarket_assets.resources import LakeResource


def resources(lake: Path, db: Path) -> dict[str, Any]:
    return {"duckdb": DuckDBResource(database=str(db)), "lake": LakeResource(data_dir=str(lake))}


def materialize(lake: Path, db: Path, select: list[str] | None = None, config: dict[str, Any] | None = None,
                raise_on_error: bool = True) -> dg.ExecuteInProcessResult:
    selection = [dg.AssetKey(["silver", s]) for s in select] if select else None
    run_config = None
    if config:
        names = select or [a.key.path[-1] for a in SILVER_ASSETS]
        run_config = {"ops": {f"silver__{n}": {"config": config} for n in names}}
    return dg.materialize([*SILVER_ASSETS, *SILVER_CHECKS], selection=selection, resources=resources(lake, db), run_config=run_config,
                          raise_on_error=raise_on_error)


def query(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple]:
    conn = duckdb.connect(str(db), read_only=True)
    try:
        conn.execute("SET TimeZone = 'UTC'")
        return conn.execute(sql, params or []).fetchall()
    finally:
        conn.close()


def scalar(db: Path, sql: str, params: list[Any] | None = None) -> Any:
    return query(db, sql, params)[0][0]


def mat_metadata(result: dg.ExecuteInProcessResult) -> dict[str, dict[str, Any]]:
    out = {}
    for e in result.get_asset_materialization_events():
        out[e.asset_key.path[-1]] = {k: v.value for k, v in e.materialization.metadata.items()}
    return out


def checks(result: dg.ExecuteInProcessResult) -> dict[tuple[str, str], Any]:
    return {(e.asset_key.path[-1], e.check_name): e for e in result.get_asset_check_evaluations()}


BUILD_ORDER = ["event_dim", "category_dim", "event_category", "market_dim", "market_token_dim", "trader_dim",
               "trade_fact", "price_history_fact", "leaderboard_fact", "market_resolution_dim", "orderbook_snapshot_fact",
               "orderbook_top_of_book_1m"]


def build_direct(lake: Path, db: Path, names: list[str] | None = None) -> dict[str, Any]:
    """Load silver without Dagster (same code path as the assets, minus the run): fast setup for tests."""
    from polymarket_assets.silver.duck import open_writer
    from polymarket_assets.silver.load import load_model
    from polymarket_assets.silver.models import MODELS

    out = {}
    with open_writer(db) as conn:
        for name in names or BUILD_ORDER:
            out[name] = load_model(conn, MODELS[name], Path(lake) / "bronze")
    return out


def step_errors(result: dg.ExecuteInProcessResult) -> str:
    """Every failed step's error and its causes, one ``Class: message`` per line."""
    messages = []
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            while error is not None:
                messages.append(f"{error.cls_name}: {error.message}")
                error = error.cause
    return "\n".join(messages)

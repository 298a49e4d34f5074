"""The documented command, through the real CLI and the project's code location, on a fresh database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from polymarket_assets_tests.silver.bronze_fixtures import EXPECTED_ROWS
from polymarket_assets_tests.silver.helpers import scalar

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_cli_materializes_one_silver_table_from_bronze(tmp_path, lake):
    db = tmp_path / "polymarket.duckdb"
    home = tmp_path / "dagster_home"
    home.mkdir()
    env = {**os.environ, "PYTHONPATH": str(REPO), "DAGSTER_HOME": str(home), "POLYMARKET_DATA_DIR": str(lake),
           "POLYMARKET_DUCKDB_PATH": str(db)}
    dagster = Path(sys.executable).with_name("dagster")
    done = subprocess.run([str(dagster), "asset", "materialize", "-m", "polymarket_assets", "--select", "silver/trade_fact"],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-3000:]
    assert "RUN_SUCCESS" in out
    assert "Asset check 'references_known_token_and_market' on 'silver/trade_fact'" in out
    assert scalar(db, "SELECT count(*) FROM silver.trade_fact") == 7


@pytest.mark.slow
def test_cli_materializes_every_silver_table_from_bronze(tmp_path, lake):
    """The README's `--select 'key:silver/*'` on a fresh database: every table, the order-book ones included
    (the minute series after the fact it is computed from), and their checks."""
    db = tmp_path / "polymarket.duckdb"
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO / "dagster.yaml").read_text())
    env = {**os.environ, "PYTHONPATH": str(REPO), "DAGSTER_HOME": str(home), "POLYMARKET_DATA_DIR": str(lake),
           "POLYMARKET_DUCKDB_PATH": str(db)}
    dagster = Path(sys.executable).with_name("dagster")
    done = subprocess.run([str(dagster), "asset", "materialize", "-m", "polymarket_assets", "--select", "key:silver/*"],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-3000:]
    assert "RUN_SUCCESS" in out
    counts = {table: scalar(db, f"SELECT count(*) FROM silver.{table}") for table in EXPECTED_ROWS}
    assert counts == EXPECTED_ROWS

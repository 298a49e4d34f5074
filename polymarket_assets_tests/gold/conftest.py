"""Fixtures for the gold tests: the gold fixture lake, built once per module; tests copy its DuckDB file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from polymarket_assets_tests.gold.gold_fixtures import write_gold_lake
from polymarket_assets_tests.gold.helpers import build_all


@pytest.fixture(scope="module")
def gold_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("gold-built")
    lake = write_gold_lake(base / "lake")
    db = base / "polymarket.duckdb"
    build_all(lake, db)
    return lake, db


@pytest.fixture
def gold_built(gold_template: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    """A private copy of the module's DuckDB file (the lake is shared: tests that change bronze use ``gold_lake``)."""
    lake, db = gold_template
    copy = tmp_path / "polymarket.duckdb"
    shutil.copy(db, copy)
    return lake, copy


@pytest.fixture
def gold_lake(tmp_path: Path) -> Path:
    return write_gold_lake(tmp_path / "lake")

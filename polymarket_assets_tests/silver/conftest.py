"""Fixtures for the silver tests: a bronze lake of real-body rows in tmp, and its DuckDB file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from polymarket_assets_tests.silver.bronze_fixtures import write_lake
from polymarket_assets_tests.silver.helpers import materialize


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    return write_lake(tmp_path / "lake")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "polymarket.duckdb"


@pytest.fixture(scope="module")
def built_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One silver build of the fixture lake per module; tests copy it (building costs a Dagster run)."""
    base = tmp_path_factory.mktemp("silver-built")
    lake = write_lake(base / "lake")
    db = base / "polymarket.duckdb"
    materialize(lake, db)
    return lake, db


@pytest.fixture
def built(built_template: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    """A private copy (lake + DuckDB file) of the module's silver build; inode-preserving lake copy is not
    possible, so the lake stays shared and read-only: tests that change bronze use ``lake`` instead."""
    lake, db = built_template
    copy = tmp_path / "polymarket.duckdb"
    shutil.copy(db, copy)
    return lake, copy

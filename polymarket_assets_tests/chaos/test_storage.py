"""Storage failures: a full disk during a bronze write, a corrupt bronze Parquet file, a corrupt DuckDB file.
Each fails with a message naming the file and what to do, and loses nothing already committed.
(A DuckDB file locked by another process: ``silver/test_concurrency.py``.)"""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from polymarket_assets.bronze.parquet_io import read_partition
from polymarket_assets.replay.fake_api import FakeApi
from polymarket_assets.replay.trades_world import TradesWorld
from polymarket_assets.storage_errors import DiskFullError
from polymarket_assets_tests.bronze.range_helpers import RANGE, table_content
from polymarket_assets_tests.chaos import worker
from polymarket_assets_tests.silver.bronze_fixtures import DAY1, write_lake
from polymarket_assets_tests.silver.helpers import materialize, query


def _step_error(result: Any) -> str:
    messages = []
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            while error is not None:
                messages.append(f"{error.cls_name}: {error.message}")
                error = error.cause
    return "\n".join(messages)


def _trades(root: Path) -> dict[str, Any]:
    out = {}
    for day in RANGE:
        if (root / "bronze" / "trades" / f"dt={day}").exists():
            out[str(day)] = table_content(read_partition(root / "bronze", "trades", day))
    return out


def _tmp_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.endswith(".tmp")]


def test_a_full_disk_mid_range_fails_naming_the_file_and_keeps_every_committed_day(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    full_day = str(RANGE[3])
    original = pq.ParquetWriter.write_table

    def write_table(self: Any, table: Any, *args: Any, **kwargs: Any) -> Any:
        if f"dt={full_day}." in str(getattr(self, "where", "")):
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(self, table, *args, **kwargs)

    with FakeApi() as api:
        TradesWorld(RANGE).install(api)
        reference_root = tmp_path / "reference"
        assert worker.run_bronze_backfill(reference_root, api.base_url).success
        reference = _trades(reference_root)

        root = tmp_path / "full"
        monkeypatch.setattr(pq.ParquetWriter, "write_table", write_table)
        with pytest.raises(Exception) as info:
            worker.run_bronze_backfill(root, api.base_url)
        message = str(info.value)
        assert "DiskFullError" in message and f"dt={full_day}" in message and str(root) in message and "No space left" in message
        assert "Free space there" in message and "POLYMARKET_DATA_DIR" in message
        kept = _trades(root)
        assert kept and full_day not in kept
        assert all(kept[day] == reference[day] for day in kept)  # every committed day is whole and kept
        assert _tmp_files(root) == []  # the half-written staging file is gone
        monkeypatch.setattr(pq.ParquetWriter, "write_table", original)
        assert worker.run_bronze_backfill(root, api.base_url).success  # space freed: the re-run completes
    assert _trades(root) == reference


def test_a_full_disk_while_writing_a_checkpoint_leaves_no_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from polymarket_assets import atomic_files

    def no_space(*_args: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic_files.os, "fsync", no_space)
    target = tmp_path / "_state" / "checkpoints" / "trades" / "2026-11-01..2026-11-07.json"
    with pytest.raises(DiskFullError) as info:
        atomic_files.atomic_write_json(target, {"days": []})
    assert str(target) in str(info.value)
    assert not target.exists() and _tmp_files(tmp_path) == []


def test_a_corrupt_bronze_parquet_file_is_named_with_the_fix_and_silver_keeps_its_rows(tmp_path: Path) -> None:
    lake = write_lake(tmp_path / "lake")
    db = tmp_path / "polymarket.duckdb"
    assert materialize(lake, db).success
    before = query(db, "SELECT * FROM silver.trade_fact ORDER BY ALL")
    broken = lake / "bronze" / "trades" / f"dt={DAY1}" / "part-0.parquet"
    broken.write_bytes(broken.read_bytes()[:300] + b"\x00garbage")  # a torn copy from another disk, say
    result = materialize(lake, db, select=["trade_fact"], raise_on_error=False)
    assert not result.success
    message = _step_error(result)
    assert "CorruptFileError" in message and str(broken) in message
    assert f"mv {broken} {broken}.corrupt" in message
    assert f"--select key:bronze/trades --partition {DAY1}" in message
    assert query(db, "SELECT * FROM silver.trade_fact ORDER BY ALL") == before  # nothing committed was lost


def test_a_corrupt_duckdb_file_is_named_with_the_fix_and_bronze_is_untouched(tmp_path: Path) -> None:
    lake = write_lake(tmp_path / "lake")
    bronze_before = {p: p.read_bytes() for p in (lake / "bronze").rglob("*.parquet")}
    db = tmp_path / "polymarket.duckdb"
    db.write_bytes(b"\x00" * 4096 + b"this is not a DuckDB file" * 200)
    result = materialize(lake, db, select=["market_dim"], raise_on_error=False)
    assert not result.success
    message = _step_error(result)
    assert "CorruptFileError" in message and str(db) in message and f"mv {db} {db}.corrupt" in message
    assert "group:silver or group:gold" in message
    assert {p: p.read_bytes() for p in (lake / "bronze").rglob("*.parquet")} == bronze_before
    # following the advice works
    db.rename(db.with_name(db.name + ".corrupt"))
    assert materialize(lake, db, select=["market_dim"]).success

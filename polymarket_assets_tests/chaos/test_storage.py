"""Storage failures: a full disk during a bronze write and during a silver load, a corrupt bronze Parquet file, a
corrupt DuckDB file.
Each fails with a message naming the file and what to do, and loses nothing already committed.
(A DuckDB file locked by another process: ``silver/test_concurrency.py``.)"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
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
from polymarket_assets_tests.silver.helpers import materialize, query, step_errors


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


def test_a_read_only_data_directory_is_named_with_the_settings_to_change(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from polymarket_assets import atomic_files
    from polymarket_assets.storage_errors import UnwritableError

    def read_only(*_args: Any, **_kwargs: Any) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(Path, "mkdir", read_only)  # a read-only mount (root ignores chmod, so it cannot be faked that way)
    target = tmp_path / "_state" / "checkpoints" / "trades" / "2026-11-01..2026-11-07.json"
    with pytest.raises(UnwritableError) as info:
        atomic_files.atomic_write_json(target, {"days": []})
    message = str(info.value)
    assert str(target.parent) in message and "POLYMARKET_DATA_DIR" in message and "POLYMARKET_LOCAL_DIR" in message


def test_a_temporary_file_left_by_a_killed_writer_is_removed_by_the_next_write(tmp_path: Path) -> None:
    from polymarket_assets import atomic_files

    target = tmp_path / "_state" / "checkpoints" / "trades" / "2026-11-01..2026-11-07.json"
    target.parent.mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a pid that no longer runs: the writer killed between write and rename
    me = atomic_files._writer_token()
    stale = target.with_name(f".{target.name}.{me}.{dead.pid}.1.tmp")
    stale.write_text('{"days": [')
    live = target.with_name(f".{target.name}.{me}.{os.getppid()}.1.tmp")  # a live process's write in progress
    live.write_text("{")
    elsewhere = target.with_name(f".{target.name}.other-host-4026531836.{dead.pid}.1.tmp")  # a pid we cannot judge
    elsewhere.write_text("{")
    old = target.with_name(f".{target.name}.other-host-4026531836.{dead.pid}.2.tmp")
    old.write_text("{")
    os.utime(old, (0, 0))  # far older than STALE_AFTER_SECONDS: stale whoever wrote it
    atomic_files.atomic_write_json(target, {"days": []})
    assert json.loads(target.read_text()) == {"days": []}
    assert not stale.exists() and live.exists() and elsewhere.exists() and not old.exists()


def test_a_corrupt_bronze_parquet_file_is_named_with_the_fix_and_silver_keeps_its_rows(tmp_path: Path) -> None:
    lake = write_lake(tmp_path / "lake")
    db = tmp_path / "polymarket.duckdb"
    assert materialize(lake, db).success
    before = query(db, "SELECT * FROM silver.trade_fact ORDER BY ALL")
    broken = lake / "bronze" / "trades" / f"dt={DAY1}" / "part-0.parquet"
    broken.write_bytes(broken.read_bytes()[:300] + b"\x00garbage")  # a torn copy from another disk, say
    result = materialize(lake, db, select=["trade_fact"], raise_on_error=False)
    assert not result.success
    message = step_errors(result)
    assert "CorruptFileError" in message and str(broken) in message
    assert f"mv {broken} {broken}.corrupt" in message
    assert f"--select key:bronze/trades --partition {DAY1}" in message
    assert query(db, "SELECT * FROM silver.trade_fact ORDER BY ALL") == before  # nothing committed was lost


def _garbage(db: Path) -> None:
    db.write_bytes(b"\x00" * 4096 + b"this is not a DuckDB file" * 200)


def _cut(db: Path) -> None:
    db.write_bytes(db.read_bytes()[: db.stat().st_size // 3])  # a copy that stopped part-way


def _overwritten_blocks(db: Path) -> None:
    data = bytearray(db.read_bytes())
    for start in range(3 * 4096, len(data) - 4096, 262_144):  # the first bytes of every 256 KiB block
        data[start + 64 : start + 64 + 512] = b"\xa5" * 512
    db.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [_garbage, _cut, _overwritten_blocks], ids=["garbage header", "cut short", "blocks overwritten"])
def test_a_corrupt_duckdb_file_is_named_with_the_fix_and_bronze_is_untouched(tmp_path: Path, damage: Any) -> None:
    lake = write_lake(tmp_path / "lake")
    bronze_before = {p: p.read_bytes() for p in (lake / "bronze").rglob("*.parquet")}
    db = tmp_path / "polymarket.duckdb"
    if damage is not _garbage:
        assert materialize(lake, db).success
    damage(db)
    result = materialize(lake, db, raise_on_error=False)
    assert not result.success
    message = step_errors(result)
    assert "CorruptFileError" in message and str(db) in message and f"mv {db} {db}.corrupt" in message
    assert "group:silver or group:gold" in message
    assert {p: p.read_bytes() for p in (lake / "bronze").rglob("*.parquet")} == bronze_before
    # following the advice works
    db.rename(db.with_name(db.name + ".corrupt"))
    assert materialize(lake, db).success


def test_a_full_disk_during_a_silver_load_names_the_duckdb_file_and_keeps_every_committed_day(tmp_path: Path) -> None:
    """A real ENOSPC: the DuckDB file lives on a 31 MiB tmpfs in a private mount namespace (``unshare --mount``;
    ``--map-root-user`` when not root). Measured peaks with the WAL: 26.6 MiB for the first of three 50,000-trade
    days, 36.6 MiB for all three. The first day fits; adding the other two fills the disk part-way. The error
    names the file and what to do, every day committed (whole days: the load commits per day) is still there,
    and after the disk is made larger the re-run loads everything."""
    from bench.silver_data import generate

    lake = tmp_path / "lake"
    generate(lake, rows=150_000, days=3, markets=200, wallets=5000, log=lambda *_a: None)
    where = tmp_path / "small-disk"
    where.mkdir()
    namespace = ["unshare", "--mount"] + ([] if os.geteuid() == 0 else ["--map-root-user"])
    child = (f"mount -t tmpfs -o size=31m tmpfs {where} && exec {sys.executable} -m polymarket_assets_tests.chaos.duckdb_full_disk "
             f"{lake} {where} {tmp_path / 'aside'} 96m")
    done = subprocess.run([*namespace, "sh", "-c", child], capture_output=True, text=True, timeout=300, cwd=Path(__file__).parents[2])
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["first_success"], out["first_error"]
    assert not out["full_success"]
    assert "DiskFullError" in out["full_error"] and f"DuckDB file {out['db']}" in out["full_error"], out["full_error"]
    assert "No space left" in out["full_error"] and "POLYMARKET_DUCKDB_PATH" in out["full_error"]
    assert out["rows_after_first"] == 50_000
    kept = out["rows_after_full"]
    assert 50_000 <= kept < 150_000 and kept % 50_000 == 0  # whole committed days kept, nothing of the failed one
    assert out["rerun_success"], out["rerun_error"]
    assert out["rows_after_rerun"] == 150_000

"""The load ledger: partitions fingerprinted from disk, and the plan it derives."""

from __future__ import annotations

import datetime as dt
import os

import duckdb

from polymarket_assets.silver.ledger import LoadLedger, scan_partitions
from polymarket_assets_tests.silver.bronze_fixtures import board_rows, write_partition

D = dt.date.fromisoformat


def test_scan_lists_day_partitions_and_ignores_everything_else(tmp_path):
    write_partition(tmp_path, "leaderboard", "2026-09-08", board_rows())
    root = tmp_path / "bronze" / "leaderboard"
    (root / "dt=2026-09-08" / ".part-1.parquet").write_bytes(b"x")  # hidden
    (root / "dt=2026-09-08" / "part-1.parquet.tmp").write_bytes(b"x")  # temporary
    (root / "dt=2026-09-09").mkdir()  # empty day: nothing committed yet
    (root / "dt=not-a-day").mkdir()
    (root / "_staging").mkdir()
    parts = scan_partitions(root)
    assert list(parts) == [D("2026-09-08")]
    assert [f.name for f in parts[D("2026-09-08")].files] == ["part-0.parquet"]
    assert scan_partitions(tmp_path / "bronze" / "missing") == {}


def test_fingerprint_follows_the_files_not_the_content_read(tmp_path):
    write_partition(tmp_path, "leaderboard", "2026-09-08", board_rows())
    root = tmp_path / "bronze" / "leaderboard"
    first = scan_partitions(root)[D("2026-09-08")].fingerprint
    assert scan_partitions(root)[D("2026-09-08")].fingerprint == first  # stat only: stable
    write_partition(tmp_path, "leaderboard", "2026-09-08", board_rows())  # same rows, new file (atomic replace)
    assert scan_partitions(root)[D("2026-09-08")].fingerprint != first
    path = root / "dt=2026-09-08" / "part-0.parquet"
    second = scan_partitions(root)[D("2026-09-08")].fingerprint
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1))
    assert scan_partitions(root)[D("2026-09-08")].fingerprint != second


def test_plan_new_changed_unchanged_removed(tmp_path):
    for day in ("2026-09-07", "2026-09-08", "2026-09-09"):
        write_partition(tmp_path, "leaderboard", day, board_rows())
    root = tmp_path / "bronze" / "leaderboard"
    conn = duckdb.connect()
    ledger = LoadLedger(conn)
    parts = scan_partitions(root)
    plan = ledger.plan("leaderboard_fact", "leaderboard", parts, "v1")
    assert plan.new_days == list(parts) and not plan.unchanged
    for part in parts.values():
        ledger.record("leaderboard_fact", part, model_version="v1", source_rows=2, loaded_rows=2, dropped_rows=0, run_id="r1")

    write_partition(tmp_path, "leaderboard", "2026-09-09", board_rows())
    (root / "dt=2026-09-07" / "part-0.parquet").unlink()
    write_partition(tmp_path, "leaderboard", "2026-09-10", board_rows())
    plan = ledger.plan("leaderboard_fact", "leaderboard", scan_partitions(root), "v1")
    assert plan.new_days == [D("2026-09-10")]
    assert plan.changed_days == [D("2026-09-09")]
    assert plan.unchanged == [D("2026-09-08")]
    assert plan.removed == [D("2026-09-07")]
    # another model version: every day is to load again
    assert len(ledger.plan("leaderboard_fact", "leaderboard", scan_partitions(root), "v2").to_load) == 3
    assert ledger.days_of_latest_load("leaderboard_fact") == [D("2026-09-07"), D("2026-09-08"), D("2026-09-09")]

"""bronze/leaderboard: today's snapshot; yesterday only if missing; older partitions fail and stay untouched."""

from __future__ import annotations

import datetime as dt

from polymarket_assets.bronze.parquet_io import partition_exists, partition_file, write_partition
from polymarket_assets.bronze.schemas import LEADERBOARD
from polymarket_assets.defs.bronze.leaderboard import leaderboard
from polymarket_assets_tests.bronze.helpers import asset_config, materialize, metadata, table, without

TODAY = dt.datetime.now(dt.timezone.utc).date()
YESTERDAY = TODAY - dt.timedelta(days=1)
OLD = TODAY - dt.timedelta(days=2)


def test_today_takes_a_snapshot_of_all_eight_boards(tmp_path, resources, world, fake_api):
    result = materialize([leaderboard], resources, partition=TODAY.isoformat())
    t = table(tmp_path, "leaderboard", TODAY)
    assert t.schema.equals(LEADERBOARD, check_metadata=False)
    rows = t.to_pylist()
    boards = {(r["time_period"], r["sort_by"]) for r in rows}
    assert boards == {(p, s) for p in ("day", "week", "month", "all") for s in ("PNL", "VOLUME")}
    assert len({r["snapshot_at"] for r in rows}) == 1
    assert len(rows) == sum(len(b) for b in world.leaderboard.values())
    first = world.leaderboard[("week", "VOLUME")][0]
    row = next(r for r in rows if r["time_period"] == "week" and r["sort_by"] == "VOLUME" and r["rank"] == 1)
    assert row["user_id"] == first["user_id"] and row["pnl"] == first["pnl"] and row["category"] == "overall"
    md = metadata(result, "leaderboard")
    assert md["dagster/row_count"] == len(rows) and md["requests"] == fake_api.count("data:/leaderboard")


def test_max_rows_per_board_and_rerun_replaces(tmp_path, resources):
    run_config = asset_config("leaderboard", max_rows_per_board=5)
    materialize([leaderboard], resources, partition=TODAY.isoformat(), run_config=run_config)
    first = table(tmp_path, "leaderboard", TODAY)
    materialize([leaderboard], resources, partition=TODAY.isoformat(), run_config=run_config)
    second = table(tmp_path, "leaderboard", TODAY)
    assert first.num_rows == second.num_rows == 40  # replaced, never appended
    assert without(second, "snapshot_at", "fetched_at").equals(without(first, "snapshot_at", "fetched_at"))


def test_older_than_yesterday_fails_clearly_and_touches_nothing(tmp_path, resources, fake_api):
    bronze = tmp_path / "bronze"
    existing = write_partition(bronze, "leaderboard", OLD, LEADERBOARD, [])
    before = existing.path.read_bytes()
    result = materialize([leaderboard], resources, partition=OLD.isoformat(), raise_on_error=False)
    assert not result.success
    message = result.get_step_failure_events()[0].step_failure_data.error.message
    assert "keeps no leaderboard history" in message and OLD.isoformat() in message
    assert existing.path.read_bytes() == before
    assert fake_api.count() == 0


def test_existing_yesterday_is_kept(tmp_path, resources, fake_api):
    bronze = tmp_path / "bronze"
    materialize([leaderboard], resources, partition=TODAY.isoformat())
    existing = write_partition(bronze, "leaderboard", YESTERDAY, LEADERBOARD, table(tmp_path, "leaderboard", TODAY).to_pylist())
    before = existing.path.read_bytes()
    fake_api.reset_stats()
    result = materialize([leaderboard], resources, partition=YESTERDAY.isoformat())
    assert partition_file(bronze, "leaderboard", YESTERDAY).read_bytes() == before
    assert fake_api.count() == 0
    md = metadata(result, "leaderboard")
    assert md["kept_existing_days"] == YESTERDAY.isoformat() and md["dagster/row_count"] > 0


def test_missing_yesterday_gets_a_late_snapshot(tmp_path, resources):
    result = materialize([leaderboard], resources, partition=YESTERDAY.isoformat())
    assert partition_exists(tmp_path / "bronze", "leaderboard", YESTERDAY)
    assert metadata(result, "leaderboard")["late_snapshot_days"] == YESTERDAY.isoformat()
    snapshot_at = table(tmp_path, "leaderboard", YESTERDAY)["snapshot_at"][0].as_py()
    assert snapshot_at.date() == TODAY  # honest: taken today, filed under yesterday because it was missing

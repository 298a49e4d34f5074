"""The daily schedule: yesterday's partition of every bronze asset + today's leaderboard snapshot; starts off."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from polymarket_assets.bronze.daily_runs import LEADERBOARD_KEY, daily_run_requests
from polymarket_assets.defs.bronze.schedules import bronze_daily_schedule
from polymarket_assets_tests.support.code_location import code_location

AT = dt.datetime(2026, 11, 8, 0, 15, tzinfo=dt.timezone.utc)


def test_requests_yesterday_for_all_and_today_for_the_leaderboard():
    all_bronze, snapshot = daily_run_requests(AT)
    assert all_bronze.partition_key == "2026-11-07" and all_bronze.asset_selection is None
    assert snapshot.partition_key == "2026-11-08" and list(snapshot.asset_selection) == [LEADERBOARD_KEY]
    assert all_bronze.run_key != snapshot.run_key


def test_schedule_definition():
    assert bronze_daily_schedule.cron_schedule == "15 0 * * *"
    assert bronze_daily_schedule.execution_timezone == "UTC"
    assert bronze_daily_schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    context = dg.build_schedule_context(scheduled_execution_time=AT, repository_def=code_location().get_repository_def())
    requests = bronze_daily_schedule.evaluate_tick(context).run_requests
    assert [r.partition_key for r in requests] == ["2026-11-07", "2026-11-08"]


def test_the_jobs_cover_every_bronze_asset_of_the_code_location_once():
    job = code_location().get_job_def("bronze_daily_job")
    keys = set(job.asset_layer.selected_asset_keys)
    compaction = set(code_location().get_job_def("orderbook_compaction_job").asset_layer.selected_asset_keys)
    bronze = {k for k in code_location().resolve_asset_graph().get_all_asset_keys() if k.path[0] == "bronze"}
    assert keys | compaction == bronze and not keys & compaction
    assert {"gamma_events", "gamma_categories", "markets", "market_tokens", "trades", "prices", "leaderboard"} <= {k.path[1] for k in keys}

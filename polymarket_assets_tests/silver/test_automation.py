"""Silver refreshes on its own after bronze lands: the automation condition, and the files sensor."""

from __future__ import annotations

import dagster as dg
import pytest
from dagster_duckdb import DuckDBResource

from polymarket_assets.defs.silver.assets import silver_assets as SILVER_ASSETS
from polymarket_assets.defs.silver.assets import silver_cross_table_checks as SILVER_CHECKS
from polymarket_assets.defs.silver.sensors import silver_automation_sensor, silver_bronze_files_sensor
from polymarket_assets.resources import LakeResource
from polymarket_assets_tests.silver.bronze_fixtures import board_rows, book_rows_day2, write_partition

DAILY = dg.DailyPartitionsDefinition(start_date="2026-01-01")
BRONZE = ["gamma_events", "gamma_categories", "markets", "market_tokens", "trades", "prices", "leaderboard", "resolutions", "orderbook_snapshots"]
SILVER = lambda name: dg.AssetKey(["silver", name])


def _defs(tmp_path, silver_assets=SILVER_ASSETS, silver_checks=SILVER_CHECKS) -> dg.Definitions:
    bronze = [dg.AssetSpec(["bronze", s], partitions_def=DAILY) for s in BRONZE]
    return dg.Definitions(
        assets=[*bronze, *silver_assets],
        asset_checks=silver_checks,
        resources={"duckdb": DuckDBResource(database=str(tmp_path / "polymarket.duckdb")), "lake": LakeResource(data_dir=str(tmp_path))},
    )


def _requested(result: dg.EvaluateAutomationConditionsResult) -> set:
    return {r.key for r in result.results if r.true_subset.size}


@pytest.mark.filterwarnings("ignore")
def test_a_bronze_partition_landing_requests_its_silver_tables(tmp_path):
    defs, instance = _defs(tmp_path), dg.DagsterInstance.ephemeral()
    first = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    assert first.total_requested == 0

    instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=["bronze", "trades"], partition="2026-09-08"))
    tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor)
    assert _requested(tick) == {
        SILVER("trade_fact"), SILVER("trader_dim"),
        dg.AssetCheckKey(SILVER("trade_fact"), "references_known_token_and_market"),
    }
    # handled: nothing more until bronze lands again
    assert dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor).total_requested == 0


@pytest.mark.filterwarnings("ignore")
def test_the_run_that_refreshes_a_table_does_not_request_its_check_again(tmp_path):
    """The refresh run materializes trade_fact and then runs its cross-table check; the next tick must not
    ask for the check a second time (it did when the check's condition lacked since_last_handled)."""
    defs, instance = _defs(tmp_path), dg.DagsterInstance.ephemeral()
    tick = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=["bronze", "trades"], partition="2026-09-08"))
    tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
    check = dg.AssetCheckKey(SILVER("trade_fact"), "references_known_token_and_market")
    assert check in _requested(tick)
    for name in ("trade_fact", "trader_dim"):  # what the requested run does
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=SILVER(name)))
    instance.report_runless_asset_event(
        dg.AssetCheckEvaluation(asset_key=SILVER("trade_fact"), check_name=check.name, passed=True)
    )
    tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
    assert _requested(tick) == set()


@pytest.mark.filterwarnings("ignore")
def test_a_range_backfill_is_one_refresh_and_markets_recheck_trades(tmp_path):
    defs, instance = _defs(tmp_path), dg.DagsterInstance.ephemeral()
    first = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    for day in ("2026-09-01", "2026-09-02", "2026-09-03"):
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=["bronze", "markets"], partition=day))
    tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor)
    # one request for the three days; the checks that read market_dim come along (they run after it) and
    # re-evaluate the latest trades against it: orphan trades may have found their market
    assert _requested(tick) == {
        SILVER("market_dim"),
        dg.AssetCheckKey(SILVER("trade_fact"), "references_known_token_and_market"),
        dg.AssetCheckKey(SILVER("market_token_dim"), "outcomes_match_tokens"),
    }


@pytest.mark.filterwarnings("ignore")
def test_order_books_land_then_the_fact_then_the_minute_series(tmp_path):
    """The minute series is computed from the fact, so it follows the fact's materialization, not bronze."""
    defs, instance = _defs(tmp_path), dg.DagsterInstance.ephemeral()
    tick = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=["bronze", "orderbook_snapshots"], partition="2026-09-08"))
    tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
    # requested with the fact (it runs after it in the same run)...
    assert _requested(tick) == {SILVER("orderbook_snapshot_fact"), SILVER("orderbook_top_of_book_1m")}
    instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=SILVER("orderbook_snapshot_fact")))
    instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=SILVER("orderbook_top_of_book_1m")))
    quiet = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
    assert _requested(quiet) == set()
    # ... and on its own after a fact refresh
    instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=SILVER("orderbook_snapshot_fact")))
    assert _requested(dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=quiet.cursor)) == {
        SILVER("orderbook_top_of_book_1m")}


@pytest.mark.filterwarnings("ignore")
def test_eager_would_never_fire_for_unpartitioned_silver_over_daily_bronze(tmp_path):
    """Why silver does not use AutomationCondition.eager(): one missing bronze day blocks it forever."""
    trade_fact = next(a for a in SILVER_ASSETS if a.key == SILVER("trade_fact"))
    eager = trade_fact.map_asset_specs(lambda spec: spec.replace_attributes(automation_condition=dg.AutomationCondition.eager()))
    defs, instance = _defs(tmp_path, [eager], []), dg.DagsterInstance.ephemeral()
    first = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=["bronze", "trades"], partition="2026-09-08"))
    tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor)
    assert SILVER("trade_fact") not in _requested(tick)


def test_the_silver_sensor_targets_every_silver_asset_and_check():
    assert silver_automation_sensor.default_status == dg.DefaultSensorStatus.RUNNING
    from polymarket_assets.defs.silver import sensors

    names = {s.name for s in dg.load_definitions_from_module(sensors).sensors or []}
    assert names == {"silver_automation_sensor", "silver_bronze_files_sensor"}


def test_files_sensor_requests_silver_for_bronze_written_outside_dagster(tmp_path):
    lake = LakeResource(data_dir=str(tmp_path))
    ctx = dg.build_sensor_context(resources={"lake": lake})
    first = silver_bronze_files_sensor(ctx)
    assert isinstance(first, dg.SkipReason)  # no bronze at all: nothing changed

    write_partition(tmp_path, "leaderboard", "2026-09-08", board_rows())
    ctx = dg.build_sensor_context(resources={"lake": lake}, cursor=ctx.cursor)
    request = silver_bronze_files_sensor(ctx)
    assert isinstance(request, dg.RunRequest)
    assert set(request.asset_selection) == {SILVER("leaderboard_fact"), SILVER("trader_dim")}

    ctx = dg.build_sensor_context(resources={"lake": lake}, cursor=ctx.cursor)
    assert isinstance(silver_bronze_files_sensor(ctx), dg.SkipReason)

    # order books: the fact; the minute series follows the fact (automation condition), not the files
    write_partition(tmp_path, "orderbook_snapshots", "2026-09-09", book_rows_day2())
    ctx = dg.build_sensor_context(resources={"lake": lake}, cursor=ctx.cursor)
    request = silver_bronze_files_sensor(ctx)
    assert isinstance(request, dg.RunRequest)
    assert set(request.asset_selection) == {SILVER("orderbook_snapshot_fact")}

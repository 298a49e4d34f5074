"""Gold refreshes after silver through the same automation condition, evaluated by gold_automation_sensor."""

from __future__ import annotations

import dagster as dg
import pytest
from dagster_duckdb import DuckDBResource

from polymarket_assets.defs.gold.assets import gold_assets as GOLD_ASSETS
from polymarket_assets.defs.gold.sensors import gold_automation_sensor
from polymarket_assets.defs.silver.assets import silver_assets as SILVER_ASSETS
from polymarket_assets.defs.silver.assets import silver_cross_table_checks as SILVER_CHECKS
from polymarket_assets.resources import LakeResource
from polymarket_assets_tests.silver.test_automation import BRONZE, DAILY

GOLD = lambda name: dg.AssetKey(["gold", name])
SILVER = lambda name: dg.AssetKey(["silver", name])


def _defs(tmp_path) -> dg.Definitions:
    return dg.Definitions(
        assets=[*(dg.AssetSpec(["bronze", s], partitions_def=DAILY) for s in BRONZE), *SILVER_ASSETS, *GOLD_ASSETS],
        asset_checks=SILVER_CHECKS,
        resources={"duckdb": DuckDBResource(database=str(tmp_path / "polymarket.duckdb")), "lake": LakeResource(data_dir=str(tmp_path))},
    )


def _gold_requested(result: dg.EvaluateAutomationConditionsResult) -> set:
    return {r.key for r in result.results if r.true_subset.size and isinstance(r.key, dg.AssetKey) and r.key.path[0] == "gold"}


@pytest.mark.filterwarnings("ignore")
def test_a_silver_refresh_requests_the_gold_tables_that_read_it(tmp_path):
    defs, instance = _defs(tmp_path), dg.DagsterInstance.ephemeral()
    tick = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    assert _gold_requested(tick) == set()

    instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=SILVER("trade_fact")))
    tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
    assert _gold_requested(tick) == {GOLD("token_ohlcv"), GOLD("market_daily_volume")}
    for name in ("token_ohlcv", "market_daily_volume"):  # what the requested run does
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=GOLD(name)))
    tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
    assert _gold_requested(tick) == set()  # handled

    # a resolution lands: the calibration tables and the BTC windows, with the tables computed from them
    instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=SILVER("market_resolution_dim")))
    tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
    assert _gold_requested(tick) == {GOLD("calibration_points"), GOLD("calibration_summary"), GOLD("calibration_reliability"),
                                     GOLD("btc15m_windows"), GOLD("btc15m_calibration")}


def test_the_gold_sensor_is_on_by_default_and_targets_the_gold_group():
    assert gold_automation_sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert gold_automation_sensor.asset_selection == dg.AssetSelection.groups("gold")

"""End to end through the real CLI and the project's code location (``-m polymarket_assets``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from polymarket_assets.bronze.parquet_io import read_partition
from polymarket_assets_tests.bronze.helpers import dagster_materialize_cli

REPO = Path(__file__).resolve().parents[2]
GAMMA_ASSETS = "bronze/gamma_events,bronze/gamma_categories,bronze/markets,bronze/market_tokens"


@pytest.mark.slow
def test_cli_range_of_the_gamma_assets_in_one_run(tmp_path, world, fake_api):
    done = dagster_materialize_cli(["-m", "polymarket_assets", "--select", GAMMA_ASSETS, "--partition-range", "2026-11-01...2026-11-03"], tmp_path, fake_api.base_url)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert (done.stdout + done.stderr).count("RUN_SUCCESS") == 1
    bronze = tmp_path / "data" / "bronze"
    for day in world.days[:3]:
        assert sorted(read_partition(bronze, "gamma_events", day)["event_id"].to_pylist()) == sorted(e["id"] for e in world.events_on(day))
        assert read_partition(bronze, "markets", day).num_rows == len(world.markets_on(day))
        assert read_partition(bronze, "market_tokens", day).num_rows > 0
        assert read_partition(bronze, "gamma_categories", day).num_rows > 0
    assert fake_api.count("gamma:/events") == 1 and fake_api.count("gamma:/markets") == 1  # 3 days, one walk each


@pytest.mark.slow
def test_cli_leaderboard_today_and_the_history_refusal(tmp_path, fake_api):
    today = dt.datetime.now(dt.timezone.utc).date()
    done = dagster_materialize_cli(["-m", "polymarket_assets", "--select", "bronze/leaderboard", "--partition", today.isoformat()], tmp_path, fake_api.base_url)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert read_partition(tmp_path / "data" / "bronze", "leaderboard", today).num_rows > 0
    old = (today - dt.timedelta(days=5)).isoformat()
    refused = dagster_materialize_cli(["-m", "polymarket_assets", "--select", "bronze/leaderboard", "--partition", old], tmp_path, fake_api.base_url)
    assert refused.returncode != 0
    assert "keeps no leaderboard history" in refused.stdout + refused.stderr


@pytest.mark.slow
def test_cli_run_config_for_the_rate_limiter_reaches_the_limiter_every_request_uses(tmp_path, world, fake_api):
    """README "Settings": a run config for ``rate_limiter`` (here its store) is the limiter the API clients use,
    not only the top-level resource (a nested resource bound at definition time would ignore it)."""
    configured = tmp_path / "configured-limiter.sqlite"
    run_config = tmp_path / "limiter.yaml"
    run_config.write_text(f"resources:\n  rate_limiter:\n    config:\n      db_path: {configured}\n      budgets:\n        \"gamma:/events\": 50\n")
    day = world.days[0].isoformat()
    done = dagster_materialize_cli(["-m", "polymarket_assets", "--select", "bronze/gamma_events", "--partition", day, "-c", str(run_config)],
                                   tmp_path, fake_api.base_url)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert fake_api.count("gamma:/events") >= 1
    assert configured.exists()  # every request went through the configured store ...
    assert not (tmp_path / "rl.sqlite").exists()  # ... not the default one (POLYMARKET_RATELIMIT_DB)

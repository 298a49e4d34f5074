"""A range that fails halfway resumes from the days not yet written (checkpoint), unless fresh: true."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from urllib.parse import parse_qs

import pytest

from polymarket_assets.bronze.datasets import markets as markets_dataset
from polymarket_assets.bronze.engine.checkpoint import checkpoint_path
from polymarket_assets.bronze.parquet_io import partition_exists, partition_file
from polymarket_assets.defs.bronze.markets import markets
from polymarket_assets.replay.fake_api import FakeRequest, json_reply
from polymarket_assets.replay.gamma_world import _keyset
from polymarket_assets_tests.bronze.helpers import asset_config, materialize, metadata, table

FIRST, LAST = "2026-11-01", "2026-11-07"


@pytest.fixture
def two_day_walks(monkeypatch):
    """Page markets two days at a time so a 7-day range has 4 walks (the default is 7 days per walk)."""
    monkeypatch.setattr(markets_dataset, "SPEC", dataclasses.replace(markets_dataset.SPEC, max_days_per_walk=2))


@pytest.fixture
def broken_from_day3(fake_api, world):
    """/markets/keyset answers 500 for windows starting 2026-11-03 while ``state['broken']``."""
    state = {"broken": True}
    serve = _keyset(world.markets, "markets", 100)

    def handler(request: FakeRequest):
        if state["broken"] and (request.param("start_date_min") or "").startswith("2026-11-03"):
            return json_reply({"error": "injected outage"}, 500)
        return serve(request)

    fake_api.route("GET", "/markets/keyset", handler, group=("gamma:/markets", "gamma"))
    return state


def _window_starts(fake_api):
    return [parse_qs(r.query)["start_date_min"][0][:10] for r in fake_api.records("gamma:/markets") if r.status == 200]


def test_failed_range_resumes_from_unwritten_days(tmp_path, resources, world, fake_api, two_day_walks, broken_from_day3):
    bronze = tmp_path / "bronze"
    failed = materialize([markets], resources, first=FIRST, last=LAST, raise_on_error=False)
    assert not failed.success
    written = [d for d in world.days if partition_exists(bronze, "markets", d)]
    assert written == [dt.date(2026, 11, 1), dt.date(2026, 11, 2)]  # the first walk committed; nothing partial after it
    checkpoint = checkpoint_path(tmp_path / "_state", "markets", FIRST, LAST)
    assert checkpoint.exists()
    inode_day1 = os.stat(partition_file(bronze, "markets", "2026-11-01")).st_ino

    broken_from_day3["broken"] = False
    fake_api.reset_stats()
    resumed = materialize([markets], resources, first=FIRST, last=LAST)
    assert _window_starts(fake_api) == ["2026-11-03", "2026-11-05", "2026-11-07"]  # days 1-2 not fetched again
    assert os.stat(partition_file(bronze, "markets", "2026-11-01")).st_ino == inode_day1  # kept, not rewritten
    for day in world.days:
        assert table(tmp_path, "markets", day).num_rows == len(world.markets_on(day))
    md = metadata(resumed, "markets", "2026-11-01")
    assert md["partition_status"].startswith("kept") and md["dagster/row_count"] == len(world.markets_on(world.days[0]))
    assert "2026-11-01, 2026-11-02" in metadata(resumed, "markets")["resumed_skipped_days"]
    assert not checkpoint.exists()  # complete: a later run of this range refreshes every day


def test_fresh_ignores_the_checkpoint(tmp_path, resources, world, fake_api, two_day_walks, broken_from_day3):
    materialize([markets], resources, first=FIRST, last=LAST, raise_on_error=False)
    broken_from_day3["broken"] = False
    fake_api.reset_stats()
    materialize([markets], resources, first=FIRST, last=LAST, run_config=asset_config("markets", fresh=True))
    assert _window_starts(fake_api) == ["2026-11-01", "2026-11-03", "2026-11-05", "2026-11-07"]


def test_a_completed_range_run_again_refreshes_everything(tmp_path, resources, fake_api):
    materialize([markets], resources, first=FIRST, last=LAST)
    fake_api.reset_stats()
    materialize([markets], resources, first=FIRST, last=LAST)
    assert _window_starts(fake_api) == [FIRST]

"""Every bronze dataset with the lake on S3 (the local moto server): the same rows as on a local disk, and the
same semantics — range checkpoints in the lake and the resume from them, quarantine in the lake, the
leaderboard's history rule."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from polymarket_assets.bronze.engine.checkpoint import checkpoint_path
from polymarket_assets.bronze.engine.quarantine import quarantined_files
from polymarket_assets.bronze.parquet_io import partition_exists, read_partition
from polymarket_assets.defs.bronze.gamma_categories import gamma_categories
from polymarket_assets.defs.bronze.gamma_events import gamma_events
from polymarket_assets.defs.bronze.leaderboard import leaderboard
from polymarket_assets.defs.bronze.market_tokens import market_tokens
from polymarket_assets.defs.bronze.markets import markets
from polymarket_assets.defs.bronze.prices import prices
from polymarket_assets.defs.bronze.trades import trades
from polymarket_assets.replay.fake_api import Fault
from polymarket_assets.replay.trades_world import TradesWorld
from polymarket_assets.resources import LakeResource
from polymarket_assets_tests.bronze.conftest import make_resources
from polymarket_assets_tests.bronze.range_helpers import RANGE, range_tags, table_content

GAMMA = [gamma_events, gamma_categories, markets, market_tokens]
FIRST, LAST = "2026-11-01", "2026-11-03"


def on_s3(lake: LakeResource, tmp_path: Path, base_url: str) -> dict[str, Any]:
    resources = make_resources(tmp_path, base_url)
    resources["lake"] = lake
    return resources


def contents(bronze: Any, asset: str, days: list[dt.date]) -> dict[dt.date, list[dict[str, Any]]]:
    return {d: table_content(read_partition(bronze, asset, d)) for d in days}


def test_the_gamma_datasets_on_s3_hold_the_rows_of_a_local_run(tmp_path, world, fake_api, s3_lake, s3_server, s3_bucket):
    days = [dt.date(2026, 11, d) for d in (1, 2, 3)]
    local = dg.materialize(GAMMA, resources=make_resources(tmp_path / "local-lake", fake_api.base_url), tags=range_tags(FIRST, LAST))
    remote = dg.materialize(GAMMA, resources=on_s3(s3_lake, tmp_path, fake_api.base_url), tags=range_tags(FIRST, LAST))
    assert local.success and remote.success
    for asset in ("gamma_events", "gamma_categories", "markets", "market_tokens"):
        expected = contents(tmp_path / "local-lake" / "bronze", asset, days)
        assert contents(s3_lake.bronze, asset, days) == expected, asset
        assert all(expected[d] for d in days), asset
    # no checkpoint left (the ranges completed), no temporary key; deleting a checkpoint leaves pyarrow's
    # zero-byte "directory/" marker, which every reader ignores
    keys = [k for k in s3_server.keys(s3_bucket) if not k.endswith("/")]
    assert all(k.startswith("lake/bronze/") and k.endswith("/part-0.parquet") for k in keys), keys
    assert len(keys) == 4 * len(days)


def test_trades_and_prices_on_s3_resume_from_their_checkpoint_in_the_lake(tmp_path, s3_lake):
    world = TradesWorld(RANGE[:3])
    days = RANGE[:3]
    config = {"ops": {"bronze__trades": {"config": {"page_size": 40}}, "bronze__prices": {"config": {}}}}
    tags = range_tags(days[0], days[-1])
    with world.serving() as api:
        assert dg.materialize([trades, prices], resources=make_resources(tmp_path / "local-lake", api.base_url), run_config=config, tags=tags).success
        full = api.count("data:/trades")
        reference = {a: contents(tmp_path / "local-lake" / "bronze", a, days) for a in ("trades", "prices")}

        api.reset_stats()
        world.fail_days.add(days[0])  # the oldest day breaks: the newer ones are committed first (feeds are newest first)
        failed = dg.materialize([trades], resources=on_s3(s3_lake, tmp_path, api.base_url), tags=tags, raise_on_error=False,
                                run_config={"ops": {"bronze__trades": config["ops"]["bronze__trades"]}})
        assert not failed.success
        checkpoint = checkpoint_path(s3_lake.state, "trades", days[0], days[-1])
        assert str(checkpoint).startswith("s3://") and checkpoint.exists()
        saved = json.loads(checkpoint.read_text())
        assert saved["status"] == "failed" and saved["days"] and days[0].isoformat() not in saved["days"]
        assert [partition_exists(s3_lake.bronze, "trades", d) for d in days] == [d.isoformat() in saved["days"] for d in days]

        world.fail_days.clear()
        api.reset_stats()
        resumed = dg.materialize([trades, prices], resources=on_s3(s3_lake, tmp_path, api.base_url), run_config=config, tags=tags)
        assert resumed.success
        assert api.count("data:/trades") < full  # the kept days were not fetched again
        assert not checkpoint.exists()  # the range is done
    for asset in ("trades", "prices"):
        assert contents(s3_lake.bronze, asset, days) == reference[asset], asset
        assert all(reference[asset][d] for d in days)


def test_quarantine_on_s3_keeps_the_raw_body_and_its_reason(tmp_path, world, fake_api, s3_lake):
    fake_api.inject(Fault.html(200), times=1, route="gamma:/events")
    day = dt.date(2026, 11, 3)
    result = dg.materialize([gamma_events], resources=on_s3(s3_lake, tmp_path, fake_api.base_url), partition_key=day.isoformat())
    assert result.success
    (body,) = quarantined_files(s3_lake.quarantine, "gamma_events", day)
    assert str(body).startswith("s3://") and body.read_bytes() == Fault.html(200).body
    sidecar = json.loads(body.with_suffix(".json").read_text())
    assert "HTML" in sidecar["reason"] and "/events/keyset" in sidecar["url"]
    assert read_partition(s3_lake.bronze, "gamma_events", day).num_rows == len(world.events_on(day))


def test_the_leaderboard_on_s3_snapshots_today_and_keeps_no_history(tmp_path, fake_api, s3_lake):
    today = dt.datetime.now(dt.timezone.utc).date()
    resources = on_s3(s3_lake, tmp_path, fake_api.base_url)
    assert dg.materialize([leaderboard], resources=resources, partition_key=today.isoformat()).success
    assert read_partition(s3_lake.bronze, "leaderboard", today).num_rows > 0
    old = (today - dt.timedelta(days=5)).isoformat()
    with pytest.raises(dg.Failure, match="keeps no leaderboard history"):
        dg.materialize([leaderboard], resources=resources, partition_key=old)
    assert not partition_exists(s3_lake.bronze, "leaderboard", old)

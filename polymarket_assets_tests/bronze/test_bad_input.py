"""Bad input goes to quarantine with the raw body and the reason; the run fails only past the threshold."""

from __future__ import annotations

import json

import pytest

from polymarket_assets.bronze.engine.quarantine import quarantined_files
from polymarket_assets.bronze.parquet_io import partition_exists, partition_file
from polymarket_assets.defs.bronze.gamma_events import gamma_events
from polymarket_assets.defs.bronze.markets import markets
from polymarket_assets.replay.fake_api import Fault
from polymarket_assets.replay.gamma_world import _keyset
from polymarket_assets_tests.bronze.conftest import DAY
from polymarket_assets_tests.bronze.helpers import asset_config, materialize, metadata, table

KEY = DAY.isoformat()


def _sidecars(tmp_path, asset):
    return [json.loads(p.with_suffix(".json").read_text()) for p in quarantined_files(tmp_path / "bronze" / "_quarantine", asset, DAY)]


@pytest.mark.parametrize(
    "fault, reason_word",
    [
        (Fault.html(200), "HTML"),
        (Fault.error(200, body=b'{"events": [{"id": "800200", "slug": "democratic-presid'), "truncated"),
        (Fault.error(200, body=b'{"events": [], "next_cursor": nul}'), "invalid JSON"),
    ],
    ids=["html-page", "truncated-json", "invalid-json"],
)
def test_undecodable_page_is_quarantined_and_refetched(tmp_path, resources, world, fake_api, fault, reason_word):
    fake_api.inject(fault, times=1, route="gamma:/events")
    result = materialize([gamma_events], resources, partition=KEY)
    assert result.success
    md = metadata(result, "gamma_events")
    assert md["quarantined"] == 1 and md["dagster/row_count"] == len(world.events_on(DAY))
    (sidecar,) = _sidecars(tmp_path, "gamma_events")
    assert reason_word in sidecar["reason"] and "/events/keyset" in sidecar["url"]
    body = quarantined_files(tmp_path / "bronze" / "_quarantine", "gamma_events", DAY)[0].read_bytes()
    assert body == fault.body  # the raw bytes, exactly as received


def test_json_of_the_wrong_shape_is_quarantined_and_the_walk_restarted(tmp_path, resources, world, fake_api):
    fake_api.inject(Fault.error(200, body=b'["not", "an", "envelope"]'), times=1, route="gamma:/markets")
    result = materialize([markets], resources, partition=KEY)
    md = metadata(result, "markets")
    assert md["quarantined"] == 1 and md["walk_restarts"] == 1
    assert md["dagster/row_count"] == len(world.markets_on(DAY))
    assert "expected dict" in _sidecars(tmp_path, "markets")[0]["reason"]


def _with_bad_objects(fake_api, world, bad):
    """Serve the world's events plus ``bad`` extra objects on the same keyset route."""
    events = list(world.events) + bad
    fake_api.route("GET", "/events/keyset", _keyset(events, "events", 500), group=("gamma:/events", "gamma"))


BAD_EVENTS = [
    {"slug": "no-id-at-all", "startDate": "2026-11-03T10:00:00Z"},  # required id missing
    {"id": "899998", "startDate": "2026-11-03T11:00:00Z", "tags": "politics"},  # tags is not an array
    {"id": "899999", "startDate": "2026-11-03T12:00:00Z", "volume": "a lot"},  # not a number
]


def test_unparseable_objects_are_quarantined_one_by_one(tmp_path, resources, world, fake_api):
    _with_bad_objects(fake_api, world, BAD_EVENTS)
    result = materialize([gamma_events], resources, partition=KEY, run_config=asset_config("gamma_events", max_quarantine_share=0.6))
    md = metadata(result, "gamma_events")
    assert md["quarantined"] == 3 and md["dagster/row_count"] == len(world.events_on(DAY))
    bodies = [json.loads(p.read_bytes()) for p in quarantined_files(tmp_path / "bronze" / "_quarantine", "gamma_events", DAY)]
    assert sorted(map(json.dumps, bodies)) == sorted(map(json.dumps, BAD_EVENTS))  # each object kept whole
    assert all(s["reason"] and s["context"]["level"] == "object" for s in _sidecars(tmp_path, "gamma_events"))


def test_past_the_threshold_the_run_fails_and_the_old_partition_stays(tmp_path, resources, world, fake_api):
    materialize([gamma_events], resources, partition=KEY)
    before = partition_file(tmp_path / "bronze", "gamma_events", DAY).read_bytes()
    _with_bad_objects(fake_api, world, BAD_EVENTS)
    result = materialize([gamma_events], resources, partition=KEY, raise_on_error=False,
                         run_config=asset_config("gamma_events", max_quarantine_share=0.2))
    assert not result.success
    message = result.get_step_failure_events()[0].step_failure_data.error.message
    assert "3 of 6 events" in message and "max_quarantine_share" in message
    assert partition_file(tmp_path / "bronze", "gamma_events", DAY).read_bytes() == before
    assert len(quarantined_files(tmp_path / "bronze" / "_quarantine", "gamma_events", DAY)) == 3


def test_a_body_that_stays_broken_fails_without_committing(tmp_path, resources, fake_api):
    fake_api.inject(Fault.html(200), times=50, route="gamma:/events")
    result = materialize([gamma_events], resources, partition=KEY, raise_on_error=False)
    assert not result.success
    assert "unusable pages" in result.get_step_failure_events()[0].step_failure_data.error.message
    assert not partition_exists(tmp_path / "bronze", "gamma_events", DAY)
    assert len(quarantined_files(tmp_path / "bronze" / "_quarantine", "gamma_events", DAY)) >= 3


def test_429_and_5xx_are_retried_and_counted(tmp_path, resources, world, fake_api):
    fake_api.inject(Fault.rate_limited(retry_after=0), times=1, route="gamma:/markets")
    fake_api.inject(Fault.error(503), times=1, route="gamma:/markets")
    result = materialize([markets], resources, partition=KEY)
    md = metadata(result, "markets")
    assert md["http_429"] == 1 and md["http_5xx"] == 1 and md["retries"] == 2 and md["requests"] == 3
    assert table(tmp_path, "markets", DAY).num_rows == len(world.markets_on(DAY))


def test_run_config_timeout_applies_to_this_run(tmp_path, resources, world, fake_api):
    fake_api.inject(Fault.slow(2.0), times=1, route="gamma:/markets")
    result = materialize([markets], resources, partition=KEY, run_config=asset_config("markets", timeout=0.5))
    md = metadata(result, "markets")
    assert md["connection_errors"] == 1 and md["retries"] == 1  # the 2 s answer hit the 0.5 s read timeout
    assert md["dagster/row_count"] == len(world.markets_on(DAY))

"""bronze/resolutions against the replay's trades world (real market objects, varied) and the real /v2/resolutions
records: every market closed on a day lands in that day's partition, found by one bounded Gamma walk."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Iterator
from urllib.parse import parse_qs

import pytest

from polymarket_assets.bronze.engine.quarantine import quarantined_files
from polymarket_assets.defs.bronze.resolutions import resolutions
from polymarket_assets.replay.fake_api import FakeApi, Fault
from polymarket_assets.replay.gamma_world import condition_id, iso, real, token_id
from polymarket_assets.replay.resolutions import Resolutions
from polymarket_assets.replay.trades_world import TradesWorld, _parse
from polymarket_assets_tests.bronze.conftest import make_resources
from polymarket_assets_tests.bronze.helpers import asset_config, materialize, metadata, table
from polymarket_assets_tests.bronze.range_helpers import RANGE

UTC = dt.timezone.utc
FIRST, LAST = dt.date(2026, 11, 2), dt.date(2026, 11, 4)
DAYS = [FIRST + dt.timedelta(days=i) for i in range(3)]


def _extra_markets() -> list[dict]:
    """An early resolution (closed ~2 years before its nominal end, like the real katana market) and a closed
    market Gamma lists without closedTime."""
    early = copy.deepcopy(real("gamma", "market_closed_binary_accepting_false.json"))
    early.update(id="3900001", conditionId=condition_id("early"), clobTokenIds=json.dumps([token_id("early/0"), token_id("early/1")]),
                 slug="early-resolution", startDate=iso(dt.datetime(2026, 10, 1, tzinfo=UTC)), endDate="2028-01-01T05:00:00Z",
                 closedTime="2026-11-03 10:00:00+00", umaEndDate="2026-11-03T10:00:00Z")
    no_time = copy.deepcopy(real("gamma", "market_sports_moneyline_closed.json"))
    no_time.update(id="3900002", conditionId=condition_id("no-time"), clobTokenIds=json.dumps([token_id("nt/0"), token_id("nt/1")]),
                   slug="closed-without-closed-time", startDate=iso(dt.datetime(2026, 11, 1, tzinfo=UTC)), endDate="2026-11-03T12:00:00Z")
    no_time.pop("closedTime")
    return [early, no_time]


@pytest.fixture(scope="module")
def world() -> TradesWorld:
    w = TradesWorld(RANGE)
    w.markets.extend(_extra_markets())
    return w


@pytest.fixture
def served(world: TradesWorld) -> Iterator[tuple[FakeApi, Resolutions]]:
    missing = {next(m["conditionId"] for m in world.markets if m["closed"] and _closed_day(m) == FIRST and m["id"] != "3900001")}
    res = Resolutions(world.markets, missing=missing)
    with world.serving() as api:
        res.install(api)
        yield api, res


def _closed_day(m: dict) -> dt.date | None:
    when = _parse(m.get("closedTime")) if m.get("closed") else None
    return when.date() if when else None


def _expected(world: TradesWorld, day: dt.date) -> set[str]:
    return {m["conditionId"] for m in world.markets if _closed_day(m) == day}


def _run(tmp_path, api, **config):
    return materialize([resolutions], make_resources(tmp_path, api.base_url), first=FIRST.isoformat(), last=LAST.isoformat(),
                       run_config=asset_config("resolutions", **config) if config else None)


def test_every_market_closed_on_a_day_is_in_its_partition(tmp_path, world, served):
    api, res = served
    result = _run(tmp_path, api)
    assert result.success
    for day in DAYS:
        rows = table(tmp_path, "resolutions", day).to_pylist()
        assert {r["condition_id"] for r in rows} == _expected(world, day), day
        for r in rows:
            assert r["closed"] is True and r["closed_time"].date() == day
            assert json.loads(r["raw_json"])["conditionId"] == r["condition_id"]
            assert r["outcomes"] == json.loads(json.loads(r["raw_json"])["outcomes"])
            if r["condition_id"] in res.missing:
                assert not r["resolution_found"] and r["resolution_status"] is None and r["resolution_raw_json"] is None
            else:
                record = res.records[r["condition_id"]]
                assert r["resolution_found"] and r["resolution_status"] == record["status"]
                assert r["resolution_tx_hash"] == record["transaction_hash"] and r["resolution_price"] == record["price"]
                assert r["resolution_updated_at"] == dt.datetime.fromtimestamp(int(record["last_update_timestamp"]), UTC)
                assert json.loads(r["resolution_raw_json"]) == [record]
    # the early resolution (nominal end 2028) is found on its day; the late closer (6.5 days after its end) too
    assert condition_id("early") in {r["condition_id"] for r in table(tmp_path, "resolutions", "2026-11-03").to_pylist()}
    md = metadata(result, "resolutions")
    assert md["closed_without_closed_time"] == 1
    assert md["resolutions_missing_pending"] == 1 and md["resolutions_found"] == sum(len(_expected(world, d)) for d in DAYS) - 1
    assert md["closed_on_other_days"] > 0 and md["closed_near_lookback_edge"] == 0
    assert 6 < md["max_days_closed_after_end"] < 7
    # one Gamma walk for the range: closed markets started before its end, nominal end ≥ 30 days before it
    walks = [parse_qs(r.query) for r in api.records("gamma:/markets") if "after_cursor" not in parse_qs(r.query)]
    assert len(walks) == 1
    assert walks[0]["closed"] == ["true"] and walks[0]["start_date_max"] == ["2026-11-05T00:00:00Z"]
    assert walks[0]["end_date_min"] == ["2026-10-03T00:00:00Z"] and not any(k.startswith("closed_time") for k in walks[0])
    assert res.requests and all(1 <= len(batch) <= 20 for batch in res.requests)


def test_a_short_lookback_misses_late_closers_and_says_so(tmp_path, world, served):
    api, _ = served
    late = next(m["conditionId"] for m in world.markets if _closed_day(m) == FIRST and m["startDate"] < iso(dt.datetime(2026, 10, 25, tzinfo=UTC)))
    short = _run(tmp_path / "short", api, lookback_days=3)
    assert late not in {r["condition_id"] for r in table(tmp_path / "short", "resolutions", FIRST).to_pylist()}
    edge = _run(tmp_path / "edge", api, lookback_days=7)
    assert late in {r["condition_id"] for r in table(tmp_path / "edge", "resolutions", FIRST).to_pylist()}
    assert metadata(edge, "resolutions")["closed_near_lookback_edge"] == 1  # 6.5 days late > 80 % of 7
    assert metadata(short, "resolutions")["lookback_days"] == 3


def test_a_wrong_shape_resolutions_body_is_quarantined_and_retried(tmp_path, world, served):
    api, _ = served
    api.inject(Fault.error(200, body=b'{"data": "temporarily unavailable"}'), times=1, route="data:/resolutions")
    result = _run(tmp_path, api)
    assert result.success
    assert metadata(result, "resolutions")["resolution_request_retries"] == 1
    assert quarantined_files(tmp_path / "bronze" / "_quarantine", "resolutions", FIRST)
    assert {r["condition_id"] for r in table(tmp_path, "resolutions", FIRST).to_pylist()} == _expected(world, FIRST)

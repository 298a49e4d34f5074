"""bronze/prices materialized in-process against the local world (CLOB /batch-prices-history)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from polymarket_assets.bronze.datasets import prices as prices_dataset
from polymarket_assets.bronze.engine.checkpoint import checkpoint_path
from polymarket_assets.bronze.parquet_io import partition_exists, partition_file, read_partition
from polymarket_assets.bronze.schemas import PRICES
from polymarket_assets.defs.bronze.prices import prices
from polymarket_assets.replay.fake_api import FakeApi, json_reply
from polymarket_assets.replay.trades_world import TradesWorld, midnight
from polymarket_assets_tests.bronze.conftest import make_resources
from polymarket_assets_tests.bronze.range_helpers import (
    RANGE,
    asset_config,
    materialization_by_partition,
    range_tags,
    table_content,
)

OP = "bronze__prices"
UTC = dt.timezone.utc


@pytest.fixture(scope="module")
def world() -> TradesWorld:
    return TradesWorld(RANGE)


@pytest.fixture
def api(world: TradesWorld) -> Iterator[FakeApi]:
    with world.serving() as server:
        yield server


def at_now(monkeypatch: pytest.MonkeyPatch, now: dt.datetime) -> None:
    monkeypatch.setattr(prices_dataset, "utc_now", lambda: now)


def run(tmp_path: Path, api: FakeApi, *, partition: str | None = None, first: dt.date | None = None, last: dt.date | None = None, raise_on_error: bool = True, **config: Any) -> dg.ExecuteInProcessResult:
    kwargs: dict[str, Any] = {"partition_key": partition} if partition else {"tags": range_tags(first, last)}
    return dg.materialize([prices], resources=make_resources(tmp_path, api.base_url), run_config=asset_config(OP, **config), raise_on_error=raise_on_error, **kwargs)


def expected_points(world: TradesWorld, day: dt.date, fidelity: int) -> dict[tuple[str, int], float]:
    lo, hi = int(midnight(day).timestamp()), int((midnight(day) + dt.timedelta(days=1)).timestamp())
    out = {}
    for market in world.markets:
        if day not in world.expect_active[market["id"]]:
            continue
        for token in json.loads(market["clobTokenIds"]):
            for point in world.points(token, lo, hi, fidelity):
                if point["t"] < hi:
                    out[(token, point["t"])] = point["p"]
    return out


def stored_points(root: Path, day: dt.date) -> dict[tuple[str, int], float]:
    table = read_partition(root / "bronze", "prices", day)
    return {(r["token_id"], int(r["ts"].timestamp())): float(r["price"]) for r in table.to_pylist()}


def test_a_recent_day_is_fetched_at_one_minute(tmp_path: Path, api: FakeApi, world: TradesWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    day = RANGE[3]
    at_now(monkeypatch, midnight(day) + dt.timedelta(days=2))
    result = run(tmp_path, api, partition=day.isoformat())
    assert result.success
    table = read_partition(tmp_path / "bronze", "prices", day)
    assert table.schema.equals(PRICES, check_metadata=False)
    expected = expected_points(world, day, 1)
    assert stored_points(tmp_path, day) == expected and len(expected) > 1440
    assert set(table.column("resolution_seconds").to_pylist()) == {60}
    assert set(table.column("source").to_pylist()) == {"clob:/batch-prices-history"}
    pairs = list(zip(table.column("token_id").to_pylist(), table.column("ts").to_pylist(), strict=True))
    assert len(pairs) == len(set(pairs))  # (token_id, ts) is the key
    assert isinstance(table.column("price").type.precision, int) and table.column("price").to_pylist()[0] == Decimal(str(table.column("price").to_pylist()[0]))
    assert all(len(r["tokens"]) <= 20 and r["fidelity"] == 1 for r in world.price_requests)
    assert all(r["end_ts"] - r["start_ts"] <= 15 * 86400 for r in world.price_requests)
    tokens_active = {t for t, _ in expected}
    assert {t for r in world.price_requests for t in r["tokens"]} == tokens_active  # only tokens of active markets
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    assert meta["dagster/row_count"].value == len(expected)
    assert meta["fidelity_minutes_by_day"].value == {day.isoformat(): 1}
    assert meta["requests"].value == api.count() and "token_id" in meta["preview"].value


TIERED_RETENTION = ((dt.timedelta(days=7), 1), (dt.timedelta(days=60), 5), (dt.timedelta(days=90), 30), (None, 180))


def test_clob_retention_is_one_minute_at_every_age() -> None:
    now = dt.datetime(2026, 11, 21, tzinfo=dt.timezone.utc)
    for age_days in (1, 8, 61, 91, 700):
        assert prices_dataset.finest_fidelity_minutes((now - dt.timedelta(days=age_days)).date(), now) == 1


def test_fidelity_minutes_config_overrides_the_retained_bucket(tmp_path: Path, api: FakeApi, world: TradesWorld) -> None:
    result = run(tmp_path, api, partition=RANGE[2].isoformat(), fidelity_minutes=60)
    assert result.success
    assert {r["fidelity"] for r in world.price_requests} == {60}
    resolutions = set(read_partition(tmp_path / "bronze", "prices", RANGE[2]).column("resolution_seconds").to_pylist())
    assert resolutions == {3600}


def test_a_range_shares_requests_across_days_and_follows_retention(tmp_path: Path, api: FakeApi, world: TradesWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    # A tiered retention table (the Data API v2's, §3.2) exercises windows that change fidelity mid-range.
    monkeypatch.setattr(prices_dataset, "RETENTION", TIERED_RETENTION)
    now = midnight(RANGE[-1]) + dt.timedelta(days=4, hours=12)  # 11-01..11-04 older than 7 days, 11-05.. younger
    at_now(monkeypatch, now)
    result = run(tmp_path, api, first=RANGE[0], last=RANGE[-1])
    assert result.success
    fidelity = {day: prices_dataset.finest_fidelity_minutes(day, now) for day in RANGE}
    assert set(fidelity.values()) == {1, 5}
    for day in RANGE:
        assert stored_points(tmp_path, day) == expected_points(world, day, fidelity[day])
        resolutions = set(read_partition(tmp_path / "bronze", "prices", day).column("resolution_seconds").to_pylist())
        assert resolutions == {fidelity[day] * 60}
    tokens = {t for day in RANGE for t, _ in expected_points(world, day, 5)}
    # one request per 20 tokens per window (two windows: the 5-minute days and the 1-minute days)
    assert len(world.price_requests) <= 2 * -(-len(tokens) // 20)
    events = materialization_by_partition(result)
    assert sorted(events) == [d.isoformat() for d in RANGE]
    for day in RANGE:
        assert events[day.isoformat()].metadata["dagster/row_count"].value == len(expected_points(world, day, fidelity[day]))


def test_materializing_twice_gives_the_same_content(tmp_path: Path, api: FakeApi, monkeypatch: pytest.MonkeyPatch) -> None:
    at_now(monkeypatch, midnight(RANGE[-1]) + dt.timedelta(days=20))
    assert run(tmp_path, api, first=RANGE[0], last=RANGE[2]).success
    before = {d: table_content(read_partition(tmp_path / "bronze", "prices", d)) for d in RANGE[:3]}
    assert run(tmp_path, api, first=RANGE[0], last=RANGE[2]).success
    for day in RANGE[:3]:
        assert table_content(read_partition(tmp_path / "bronze", "prices", day)) == before[day]


def test_malformed_points_are_quarantined_and_the_rest_kept(tmp_path: Path, api: FakeApi, world: TradesWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    day = RANGE[2]
    at_now(monkeypatch, midnight(day) + dt.timedelta(days=30))
    original = world._batch_prices

    def with_bad_points(request):  # type: ignore[no-untyped-def]
        body = original(request)
        token = next(t for t, points in body["history"].items() if points)
        body["history"][token] = [{"t": "soon", "p": 0.5}, {"t": body["history"][token][0]["t"], "p": "NaN?"}, *body["history"][token][1:]]
        return body

    api.route("POST", "/batch-prices-history", with_bad_points, group=("clob:/prices-history", "clob"))
    result = run(tmp_path, api, partition=day.isoformat())
    assert result.success
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    assert meta["quarantined"].value == 2
    reasons = [json.loads(p.read_text())["reason"] for p in (tmp_path / "bronze" / "_quarantine" / "prices").rglob("*.json")]
    assert any("t is not integer seconds" in r for r in reasons) and any("p is not a probability" in r for r in reasons)


def test_a_wrong_shape_body_is_retried_then_the_threshold_decides(tmp_path: Path, api: FakeApi, world: TradesWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    day = RANGE[2]
    at_now(monkeypatch, midnight(day) + dt.timedelta(days=30))
    api.route("POST", "/batch-prices-history", lambda request: {"history": "unavailable"}, group=("clob:/prices-history", "clob"))
    result = run(tmp_path, api, partition=day.isoformat(), raise_on_error=False)
    assert not result.success
    assert not partition_exists(tmp_path / "bronze", "prices", day)
    assert len(list((tmp_path / "bronze" / "_quarantine" / "prices").rglob("*.body"))) >= 3  # first try + 2 retries
    ok = run(tmp_path / "lenient", api, partition=day.isoformat(), max_quarantine_share=1.0)
    assert ok.success and read_partition(tmp_path / "lenient" / "bronze", "prices", day).num_rows == 0


def test_a_failed_range_resumes_from_the_windows_not_written(tmp_path: Path, api: FakeApi, world: TradesWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    at_now(monkeypatch, midnight(RANGE[-1]) + dt.timedelta(days=20))
    original = world._batch_prices
    fail_from = int(midnight(RANGE[4]).timestamp())

    def failing(request):  # type: ignore[no-untyped-def]
        if int(request.json()["start_ts"]) >= fail_from:
            return json_reply({"error": "injected"}, 500)
        return original(request)

    api.route("POST", "/batch-prices-history", failing, group=("clob:/prices-history", "clob"))
    failed = run(tmp_path, api, first=RANGE[0], last=RANGE[-1], window_days=2, raise_on_error=False)
    assert not failed.success
    committed = sorted(json.loads(checkpoint_path(tmp_path / "_state", "prices", RANGE[0], RANGE[-1]).read_text())["days"])
    assert committed == [d.isoformat() for d in RANGE[:4]]
    stamps = {d: partition_file(tmp_path / "bronze", "prices", d).stat().st_mtime_ns for d in RANGE[:4]}
    api.route("POST", "/batch-prices-history", original, group=("clob:/prices-history", "clob"))
    world.price_requests.clear()
    resumed = run(tmp_path, api, first=RANGE[0], last=RANGE[-1], window_days=2)
    assert resumed.success
    assert world.price_requests and all(r["start_ts"] >= fail_from for r in world.price_requests)  # only the rest
    assert {d: partition_file(tmp_path / "bronze", "prices", d).stat().st_mtime_ns for d in RANGE[:4]} == stamps
    now = midnight(RANGE[-1]) + dt.timedelta(days=20)
    for day in RANGE:
        assert stored_points(tmp_path, day) == expected_points(world, day, prices_dataset.finest_fidelity_minutes(day, now))
    events = materialization_by_partition(resumed)
    assert events[RANGE[0].isoformat()].metadata["partition_status"].value.startswith("kept")
    assert not checkpoint_path(tmp_path / "_state", "prices", RANGE[0], RANGE[-1]).exists()


def test_points_are_read_by_the_clob_parser_and_rounded_like_every_bronze_decimal() -> None:
    """Synthetic points of the real CLOB shape: a price with more decimals than the column keeps is rounded
    half-even from its JSON text (bronze coerce), never through a binary float cast."""
    from polymarket_assets.bronze.coerce import coerce_value

    day = RANGE[0]
    t0 = int(midnight(day).timestamp())
    span = prices_dataset.TokenSpan("tok", None, (day,))

    class Book:
        rejected: list[str] = []

        def reject(self, day: dt.date, obj: Any, reason: str, url: Any, context: Any = None) -> None:
            self.rejected.append(reason)

    book = Book()
    points = [{"t": t0 + 60, "p": 0.0000005}, {"t": t0, "p": 0.1234565}, {"t": t0 + 120, "p": 1.5}]
    ts, ps = prices_dataset.PricesDataset()._valid_points(span, points, {day}, book)  # type: ignore[arg-type]
    assert ts == [t0 * 1_000_000, (t0 + 60) * 1_000_000]
    assert ps == [Decimal("0.123456"), Decimal("0.000000")]  # half-even, as coerce_value rounds every decimal
    assert ps == [coerce_value(Decimal("0.1234565"), PRICES.field("price").type), coerce_value("5E-7", PRICES.field("price").type)]
    assert book.rejected == ["malformed price point: p is not a probability: 1.5"]

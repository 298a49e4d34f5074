"""bronze/trades materialized in-process against the local world (real /v2/trades rows, varied)."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import dagster as dg
import pyarrow.parquet as pq
import pytest

from polymarket_assets.bronze.engine.quarantine import quarantined_files
from polymarket_assets.bronze.parquet_io import partition_dir, read_partition
from polymarket_assets.bronze.schemas import TRADES
from polymarket_assets.defs.bronze.trades import trades
from polymarket_assets.replay.fake_api import FakeApi, Fault
from polymarket_assets.replay.trades_world import TradesWorld
from polymarket_assets_tests.bronze.conftest import make_resources
from polymarket_assets_tests.bronze.range_helpers import (
    RANGE,
    asset_config,
    materialization_by_partition,
    range_tags,
    table_content,
)

OP = "bronze__trades"
DAY = RANGE[2]


@pytest.fixture(scope="module")
def world() -> TradesWorld:
    return TradesWorld(RANGE)


@pytest.fixture
def api(world: TradesWorld) -> Iterator[FakeApi]:
    with world.serving() as server:
        yield server


def run(tmp_path: Path, api: FakeApi, *, partition: str | None = None, first: dt.date | None = None, last: dt.date | None = None, raise_on_error: bool = True, **config: Any) -> dg.ExecuteInProcessResult:
    config.setdefault("page_size", 40)
    kwargs: dict[str, Any] = {"partition_key": partition} if partition else {"tags": range_tags(first, last)}
    return dg.materialize(
        [trades],
        resources=make_resources(tmp_path, api.base_url),
        run_config=asset_config(OP, **config),
        raise_on_error=raise_on_error,
        **kwargs,
    )


def trade_requests(api: FakeApi) -> list[dict[str, list[str]]]:
    return [parse_qs(r.query) for r in api.records("data:/trades")]


def test_one_day_holds_every_trade_of_that_day(tmp_path: Path, api: FakeApi, world: TradesWorld) -> None:
    result = run(tmp_path, api, partition=DAY.isoformat())
    assert result.success
    table = read_partition(tmp_path / "bronze", "trades", DAY)
    expected = world.trades_on(DAY)
    assert table.num_rows == len(expected) > 50
    assert table.schema.equals(TRADES, check_metadata=False)
    # the same fills (byte-identical repeats included): compare the raw rows as a multiset
    assert Counter(table.column("raw_json").to_pylist()) == Counter(json.dumps(t, separators=(",", ":"), ensure_ascii=False) for t in expected)
    keys = table.column("trade_key").to_pylist()
    assert len(set(keys)) == len(keys)
    assert len(set(table.column("raw_json").to_pylist())) < len(keys)  # identical fills kept as distinct rows
    lo, hi = dt.datetime(DAY.year, DAY.month, DAY.day, tzinfo=dt.timezone.utc), dt.datetime(DAY.year, DAY.month, DAY.day, tzinfo=dt.timezone.utc) + dt.timedelta(days=1)
    assert all(lo <= ts < hi for ts in table.column("ts").to_pylist())
    assert any(ts == lo for ts in table.column("ts").to_pylist())  # a 00:00:00 trade belongs to this day
    # requests: taker-only, <= 20 conditions each, first page carries the limit and later ones the cursor
    queries = trade_requests(api)
    assert all(q["taker_only"] == ["true"] for q in queries)
    assert all(len(q["condition"][0].split(",")) <= 20 for q in queries)
    assert all(("cursor" in q) != ("limit" in q) for q in queries)
    files = list(partition_dir(tmp_path / "bronze", "trades", DAY).iterdir())
    assert [f.name for f in files] == ["part-0.parquet"]
    assert pq.ParquetFile(files[0]).metadata.row_group(0).column(0).compression == "ZSTD"
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    assert meta["dagster/row_count"].value == len(expected)
    assert meta["requests"].value == api.count() and meta["http_429"].value == 0
    assert meta["bytes_written"].value == files[0].stat().st_size
    assert "2026-11-03T00:00:00Z" in meta["time_window"].value
    assert "trade_key" in meta["preview"].value
    assert [c.name for c in meta["dagster/column_schema"].schema.columns] == TRADES.names


def test_range_run_pages_once_and_splits_by_day(tmp_path: Path, api: FakeApi, world: TradesWorld) -> None:
    result = run(tmp_path, api, first=RANGE[0], last=RANGE[-1])
    assert result.success
    for day in RANGE:
        assert read_partition(tmp_path / "bronze", "trades", day).num_rows == len(world.trades_on(day))
    # each condition is requested in exactly one cursor chain (never re-paged per day)
    first_pages = [q for q in trade_requests(api) if "cursor" not in q]
    conditions = [c for q in first_pages for c in q["condition"][0].split(",")]
    assert len(conditions) == len(set(conditions))
    never_active = {m["conditionId"] for m in world.markets if not world.expect_active[m["id"]]}
    assert not never_active & set(conditions)
    events = materialization_by_partition(result)
    assert sorted(events) == [d.isoformat() for d in RANGE]
    for day in RANGE:
        meta = events[day.isoformat()].metadata
        assert meta["dagster/row_count"].value == len(world.trades_on(day))
        assert day.isoformat() in meta["time_window"].value
        assert "rows_by_day" in meta and meta["partition_status"].value.startswith("written")
    assert not (tmp_path / "_state" / "checkpoints" / "trades" / "2026-11-01..2026-11-07.json").exists()


def test_materializing_twice_gives_the_same_content(tmp_path: Path, api: FakeApi) -> None:
    assert run(tmp_path, api, first=RANGE[1], last=RANGE[3]).success
    before = {d: table_content(read_partition(tmp_path / "bronze", "trades", d)) for d in RANGE[1:4]}
    assert run(tmp_path, api, first=RANGE[1], last=RANGE[3]).success
    for day in RANGE[1:4]:
        assert table_content(read_partition(tmp_path / "bronze", "trades", day)) == before[day]
        assert [f.name for f in partition_dir(tmp_path / "bronze", "trades", day).iterdir()] == ["part-0.parquet"]
    assert not any((tmp_path / "bronze" / "_staging").rglob("*.tmp"))


def test_an_html_page_is_quarantined_and_refetched(tmp_path: Path, api: FakeApi, world: TradesWorld) -> None:
    api.inject(Fault.html(), times=1, route="data:/trades")
    result = run(tmp_path, api, partition=DAY.isoformat())
    assert result.success
    assert read_partition(tmp_path / "bronze", "trades", DAY).num_rows == len(world.trades_on(DAY))
    bodies = list((tmp_path / "bronze" / "_quarantine" / "trades").rglob("*.body"))
    assert len(bodies) == 1 and b"<html" in bodies[0].read_bytes()
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    assert meta["quarantined"].value == 1


def test_a_wrong_shape_page_restarts_its_chain_without_duplicates(tmp_path: Path, api: FakeApi, world: TradesWorld) -> None:
    assert run(tmp_path / "ref", api, first=RANGE[2], last=RANGE[4]).success
    world.wrong_shape_pages = 0
    api.reset_stats()

    # let the first chain get a few pages in, then break one page
    calls = {"n": 0}
    original = world._trades

    def flaky(request):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 4:
            world.wrong_shape_pages = 1
        return original(request)

    api.route("GET", "/v2/trades", flaky, group=("data:/trades", "data"))
    result = run(tmp_path / "run", api, first=RANGE[2], last=RANGE[4])
    assert result.success
    for day in RANGE[2:5]:
        got = table_content(read_partition(tmp_path / "run" / "bronze", "trades", day))
        assert got == table_content(read_partition(tmp_path / "ref" / "bronze", "trades", day))
    meta = materialization_by_partition(result)[RANGE[2].isoformat()].metadata
    assert meta["chain_restarts"].value == 1
    assert len(list((tmp_path / "run" / "bronze" / "_quarantine" / "trades").rglob("*.body"))) == 1


def test_quarantine_share_over_the_threshold_fails_without_committing(tmp_path: Path, api: FakeApi, world: TradesWorld) -> None:
    world.wrong_shape_pages = 1000  # every page is broken: chains are abandoned after their restarts
    result = run(tmp_path, api, partition=DAY.isoformat(), raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "quarantine" in str(failure.event_specific_data.error).lower()
    assert not partition_dir(tmp_path / "bronze", "trades", DAY).exists()
    assert quarantined_files(tmp_path / "bronze" / "_quarantine", "trades", DAY)


def test_unreadable_rows_are_quarantined_and_counted(tmp_path: Path, api: FakeApi, world: TradesWorld) -> None:
    original = world._trades

    def one_bad_row(request):  # type: ignore[no-untyped-def]
        body = original(request)
        if isinstance(body, dict) and body.get("data") and not request.param("cursor"):
            body = {**body, "data": [{**body["data"][0], "price": "not a price"}, *body["data"][1:]]}
        return body

    api.route("GET", "/v2/trades", one_bad_row, group=("data:/trades", "data"))
    result = run(tmp_path, api, partition=RANGE[-1].isoformat(), max_quarantine_share=0.5)
    assert result.success
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    assert meta["quarantined"].value >= 1
    sidecars = list((tmp_path / "bronze" / "_quarantine" / "trades").rglob("*.json"))
    assert sidecars and "unreadable trade" in sidecars[0].read_text()


def test_limit_takes_at_most_n_markets(tmp_path: Path, api: FakeApi) -> None:
    result = run(tmp_path, api, partition=DAY.isoformat(), limit=2)
    assert result.success
    conditions = {c for q in trade_requests(api) for c in q["condition"][0].split(",")}
    assert len(conditions) <= 2
    assert result.get_asset_materialization_events()[0].materialization.metadata["limited"].value is True


def test_timeout_bounds_each_request(tmp_path: Path, api: FakeApi) -> None:
    api.inject(Fault.slow(3.0), times=50, route="data:/trades")
    started = time.monotonic()
    result = run(tmp_path, api, partition=DAY.isoformat(), timeout=0.3, raise_on_error=False)
    assert not result.success
    assert time.monotonic() - started < 20  # 3 attempts x 0.3 s (+ back-off), not 3 x 3 s
    error = str(next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE").event_specific_data.error)
    assert "/v2/trades" in error and "Committed and checkpointed: none" in error
    assert not partition_dir(tmp_path / "bronze", "trades", DAY).exists()

"""Pure pieces of bronze/trades and bronze/prices: keys, row mapping, chains, scheduling, activity rules,
retention, checkpoints. No server, no Dagster run."""

from __future__ import annotations

import datetime as dt
import json
import math
import threading
from decimal import Decimal

import pytest

from polymarket_assets.bronze.datasets.prices import finest_fidelity_minutes, price_windows, token_spans
from polymarket_assets.bronze.datasets.trade_chains import Chain, ChainScheduler, build_chains
from polymarket_assets.bronze.engine.active_markets import ActiveMarket, discovery_queries, markets_active_in
from polymarket_assets.bronze.engine.checkpoint import RangeCheckpoint, checkpoint_path
from polymarket_assets.bronze.rows import TradeKeyer, trade_row
from polymarket_assets.clients import parse_trade_v2
from polymarket_assets.clients.gamma import GammaClient
from polymarket_assets.clients.http import Endpoint, HttpOptions, HttpTransport
from polymarket_assets.replay.fake_api import FakeApi
from polymarket_assets.replay.gamma_world import real
from polymarket_assets.replay.trades_world import TradesWorld
from polymarket_assets_tests.bronze.range_helpers import RANGE

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 11, 21, 12, tzinfo=UTC)


def _at(day: dt.date, hour: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


# -- trade rows and keys --------------------------------------------------------------------------------


def test_trade_row_maps_the_real_v2_rows_to_the_trades_schema() -> None:
    fetched = dt.datetime(2026, 9, 8, tzinfo=UTC)
    raw = real("data_api", "v2_trades_data_array.json")
    base, row = trade_row(parse_trade_v2(raw[0]), fetched)
    assert row["token_id"] == raw[0]["token_id"] and isinstance(row["token_id"], str)
    assert row["condition_id"] == raw[0]["condition_id"]
    assert row["price"] == Decimal("0.620000") and row["size"] == Decimal("78.550000")
    assert row["usdc_size"] == Decimal("48.701000")  # price x size, 6 places
    assert row["ts"] == dt.datetime.fromtimestamp(1788887014, UTC)
    assert row["outcome_index"] is None  # the 999 sentinel
    assert row["event_slug"] is None  # "" sentinel
    assert row["market_slug"] == raw[0]["slug"] and row["trader_name"] == "mooseborzoi"
    assert json.loads(row["raw_json"]) == raw[0]
    assert "1788887014" in base and "0.620000" in base


def test_trade_row_keeps_real_outcome_indexes_and_event_slugs() -> None:
    raw = real("data_api", "v2_trades_data_array.json")[1]
    _, row = trade_row(parse_trade_v2({**raw, "outcome_index": 1, "event_slug": "nfl"}), NOW)
    assert (row["outcome_index"], row["event_slug"]) == (1, "nfl")
    _, row = trade_row(parse_trade_v2({**raw, "price": "0.1234567", "size": "3"}), NOW)
    assert (row["price"], row["usdc_size"]) == (Decimal("0.123457"), Decimal("0.370371"))  # p x s of the stored values


def test_trade_row_refuses_rows_missing_required_fields() -> None:
    raw = dict(real("data_api", "v2_trades_data_array.json")[0])
    raw.pop("proxy_wallet")
    with pytest.raises(ValueError, match="proxy_wallet"):
        trade_row(parse_trade_v2(raw), NOW)


def test_trade_key_is_deterministic_and_numbers_identical_fills() -> None:
    raw = real("data_api", "v2_trades_data_array.json")
    rows = [raw[0], raw[0], raw[1]]  # the same fill twice in one transaction, then another fill

    def keys() -> list[str]:
        keyer = TradeKeyer()
        out = []
        for obj in rows:
            base, row = trade_row(parse_trade_v2(obj), NOW)
            out.append(keyer.key(base, int(row["ts"].timestamp())))
        return out

    first, second = keys(), keys()
    assert first == second  # a re-fetch yields the same keys: re-runs are idempotent
    assert len(set(first)) == 3  # the repeated fill keeps its own row (ordinal 1)
    assert all(len(k) == 64 for k in first)


def test_trade_key_ordinal_counters_reset_when_the_timestamp_moves() -> None:
    keyer = TradeKeyer()
    a = keyer.key("x", 100)
    b = keyer.key("x", 100)
    assert a != b
    keyer.key("y", 99)
    keyer2 = TradeKeyer()
    assert keyer2.key("x", 100) == a


# -- chains and the lockstep scheduler -------------------------------------------------------------------


def _market(i: int, start: dt.datetime, end: dt.datetime | None, *, closed: bool = False, closed_time: dt.datetime | None = None, condition: str | None = None) -> ActiveMarket:
    cid = condition if condition is not None else "0x" + f"{i:064x}"
    return ActiveMarket(str(i), cid, (f"{i}1", f"{i}2"), start, end, closed, closed_time)


def test_build_chains_batches_20_conditions_with_the_earliest_active_day_as_boundary() -> None:
    days = RANGE
    markets = [_market(i, _at(days[i % 7]) - dt.timedelta(hours=1), _at(days[i % 7], 23), closed=True, closed_time=_at(days[i % 7], 23)) for i in range(45)]
    markets.append(_market(99, _at(days[0]), None, condition="not-a-condition"))
    chains, skipped = build_chains(markets, days)
    assert skipped == 1
    assert [len(c.conditions) for c in chains] == [20, 20, 5]
    assert sum(len(c.conditions) for c in chains) == 45
    for chain in chains:
        assert chain.boundary == min(_at(d) for d in days if any(m.condition_id in chain.conditions for m in markets if m.active_on(d))).timestamp()
    # markets with similar lifetimes share a batch: the first chain holds the earliest-ending markets
    assert chains[0].boundary == _at(days[0]).timestamp()


def test_build_chains_ignores_markets_not_active_on_pending_days() -> None:
    market = _market(1, _at(RANGE[0]), _at(RANGE[1], 12), closed=True, closed_time=_at(RANGE[1], 12))
    chains, _ = build_chains([market], RANGE[3:])
    assert chains == []


def test_scheduler_hands_out_the_newest_frontier_first_and_tracks_the_watermark() -> None:
    chains = [Chain(i, [f"c{i}"], boundary=0.0) for i in range(3)]
    chains[0].frontier, chains[1].frontier, chains[2].frontier = 100.0, 300.0, math.inf
    scheduler = ChainScheduler(chains)
    assert scheduler.watermark() == math.inf
    first = scheduler.acquire()
    assert first is chains[2]
    first.frontier = 50.0
    scheduler.release(first, done=False)
    assert scheduler.watermark() == 300.0
    assert scheduler.acquire() is chains[1]
    scheduler.release(chains[1], done=True)
    assert scheduler.watermark() == 100.0
    assert scheduler.acquire() is chains[0]
    scheduler.release(chains[0], done=True)
    assert scheduler.acquire() is chains[2]
    scheduler.release(chains[2], done=True)
    assert scheduler.live == 0 and scheduler.acquire() is None and scheduler.watermark() == -math.inf


def test_scheduler_stop_wakes_waiting_workers() -> None:
    chains = [Chain(0, ["c"], boundary=0.0)]
    scheduler = ChainScheduler(chains)
    assert scheduler.acquire() is chains[0]
    got: list[object] = []
    waiter = threading.Thread(target=lambda: got.append(scheduler.acquire()))
    waiter.start()
    scheduler.stop()
    waiter.join(timeout=5)
    assert got == [None]


# -- which markets are active on which day ----------------------------------------------------------------


def test_active_on_uses_closed_time_then_the_closed_flag_then_end_date() -> None:
    d = RANGE[3]
    early_close = _market(1, _at(d) - dt.timedelta(days=5), _at(d) + dt.timedelta(days=5), closed=True, closed_time=_at(d) - dt.timedelta(days=1))
    late_close = _market(2, _at(d) - dt.timedelta(days=9), _at(d) - dt.timedelta(days=5), closed=True, closed_time=_at(d, 1))
    open_past_end = _market(3, _at(d) - dt.timedelta(days=60), _at(d) - dt.timedelta(days=45), closed=False)
    starts_tomorrow = _market(4, _at(d) + dt.timedelta(days=1), None, closed=False)
    starts_before_midnight_end = _market(5, _at(d) - dt.timedelta(hours=1), _at(d) + dt.timedelta(minutes=5), closed=True)
    assert not early_close.active_on(d)
    assert late_close.active_on(d) and not late_close.active_on(d + dt.timedelta(days=1))
    assert open_past_end.active_on(d)
    assert not starts_tomorrow.active_on(d) and starts_tomorrow.active_on(d + dt.timedelta(days=1))
    assert starts_before_midnight_end.active_on(d) and not starts_before_midnight_end.active_on(d + dt.timedelta(days=1))


def test_discovery_queries_cover_overlap_late_closers_and_open_past_end() -> None:
    queries = discovery_queries(RANGE[0], RANGE[-1])
    assert queries[0] == {"start_date_max": "2026-11-08T00:00:00Z", "end_date_min": "2026-11-01T00:00:00Z"}
    assert queries[1]["end_date_max"] == "2026-11-01T00:00:00Z" and queries[1]["end_date_min"] == "2026-10-02T00:00:00Z"
    assert queries[2] == {"start_date_max": "2026-11-08T00:00:00Z", "end_date_max": "2026-10-02T00:00:00Z", "closed": False}


def _gamma(api: FakeApi) -> GammaClient:
    transport = HttpTransport(HttpOptions(user_agent="tests", max_retries=0))
    return GammaClient(Endpoint(transport, "gamma", api.base_url, "POLYMARKET_GAMMA_URL"))


def test_markets_active_in_finds_exactly_the_markets_of_each_day() -> None:
    world = TradesWorld(RANGE)
    with world.serving() as api:
        markets = markets_active_in(_gamma(api), RANGE[0], RANGE[-1])
        requests = api.count("gamma:/markets")
        limited = markets_active_in(_gamma(api), RANGE[0], RANGE[-1], limit=3)
    found = {m.market_id: m for m in markets}
    expected = {mid for mid, days in world.expect_active.items() if days}
    assert set(found) == expected
    for mid, days in world.expect_active.items():
        if mid in found:
            assert {d for d in RANGE if found[mid].active_on(d)} == days, mid
    assert requests == 3  # one pass: three filter sets, one page each
    assert len(limited) == 3
    assert all(m.token_ids and m.has_valid_condition for m in markets)


def test_markets_active_in_sends_unreadable_markets_to_on_reject() -> None:
    world = TradesWorld(RANGE[:2], markets_per_day=1, long_markets=1)
    world.markets[0]["clobTokenIds"] = "[not json"
    rejects: list[tuple[object, str, object]] = []
    with world.serving() as api:
        markets = markets_active_in(_gamma(api), RANGE[0], RANGE[1], on_reject=lambda o, r, u: rejects.append((o, r, u)))
    assert world.markets[0]["id"] not in {m.market_id for m in markets}
    assert len(rejects) >= 1 and "clobTokenIds" in rejects[0][1]


# -- prices: retention and windows ------------------------------------------------------------------------


TIERED = ((dt.timedelta(days=7), 1), (dt.timedelta(days=60), 5), (dt.timedelta(days=90), 30), (None, 180))


@pytest.fixture
def tiered_retention(monkeypatch: pytest.MonkeyPatch) -> None:
    """A tiered table (the Data API v2's, §3.2) exercises the lookup; the CLOB's own table is one tier."""
    from polymarket_assets.bronze.datasets import prices as prices_dataset

    monkeypatch.setattr(prices_dataset, "RETENTION", TIERED)


def test_finest_fidelity_follows_the_retention_table(tiered_retention: None) -> None:
    now = dt.datetime(2026, 11, 21, 12, tzinfo=UTC)
    assert finest_fidelity_minutes(dt.date(2026, 11, 20), now) == 1
    assert finest_fidelity_minutes(dt.date(2026, 11, 15), now) == 1  # 6 d 12 h old
    assert finest_fidelity_minutes(dt.date(2026, 11, 14), now) == 5  # 7 d 12 h: the 1-minute points may be gone
    assert finest_fidelity_minutes(dt.date(2026, 9, 23), now) == 5  # 59.5 days
    assert finest_fidelity_minutes(dt.date(2026, 9, 1), now) == 30
    assert finest_fidelity_minutes(dt.date(2026, 8, 1), now) == 180
    assert finest_fidelity_minutes(dt.date(2024, 1, 1), now) == 180


def test_price_windows_split_on_fidelity_changes_and_window_length(tiered_retention: None) -> None:
    now = _at(dt.date(2026, 11, 10), 12)
    days = [dt.date(2026, 11, 1) + dt.timedelta(days=i) for i in range(9)]  # 11-01 .. 11-09
    windows = price_windows(days, 7, now)
    assert windows == [(days[:3], 5), (days[3:7], 1), (days[7:], 1)]
    flat = [d for w, _ in windows for d in w]
    assert flat == days
    for window, minutes in windows:
        assert len(window) <= 7
        assert {finest_fidelity_minutes(d, now) for d in window} == {minutes}
    assert [m for _, m in windows] == sorted([m for _, m in windows], reverse=True)
    # a fixed bucket (run config fidelity_minutes) makes every window share it: only the length splits them
    assert price_windows(days, 7, now, 60) == [(days[:7], 60), (days[7:], 60)]


def test_token_spans_only_keep_active_tokens_ordered_by_lifetime() -> None:
    a = _market(1, _at(RANGE[2]), _at(RANGE[3], 12), closed=True, closed_time=_at(RANGE[3], 12))
    b = _market(2, _at(RANGE[0]) - dt.timedelta(days=3), None)
    c = _market(3, _at(RANGE[6]) + dt.timedelta(days=2), None)
    spans = token_spans([a, b, c], RANGE)
    assert [s.token_id for s in spans] == ["21", "22", "11", "12"]
    assert spans[0].days == tuple(RANGE) and spans[2].days == (RANGE[2], RANGE[3])


# -- checkpoints ------------------------------------------------------------------------------------------


def test_checkpoint_resumes_only_days_listed_and_on_disk(tmp_path) -> None:
    on_disk = {RANGE[5], RANGE[6]}
    cp = RangeCheckpoint.open(tmp_path, "trades", RANGE, "run-1", fresh=False, exists=lambda d: d in on_disk)
    assert cp.resumed_days == set()
    for day in (RANGE[6], RANGE[5], RANGE[4]):
        cp.mark_done(day, 10, 100, "run-1")
    cp.fail("boom")
    stored = json.loads(checkpoint_path(tmp_path, "trades", RANGE[0], RANGE[-1]).read_text())
    assert stored["status"] == "failed" and stored["runs"] == ["run-1"] and set(stored["days"]) == {d.isoformat() for d in RANGE[4:]}
    assert stored["days"][RANGE[6].isoformat()]["rows"] == 10 and "updated_at" in stored
    again = RangeCheckpoint.open(tmp_path, "trades", RANGE, "run-2", fresh=False, exists=lambda d: d in on_disk)
    assert again.resumed_days == on_disk  # RANGE[4] is listed but its files are gone: fetched again
    assert again.state["runs"] == ["run-1", "run-2"]
    fresh = RangeCheckpoint.open(tmp_path, "trades", RANGE, "run-3", fresh=True, exists=lambda d: True)
    assert fresh.resumed_days == set()
    assert not list(tmp_path.rglob("*.tmp"))


def test_checkpoint_is_per_range_and_cleared_when_the_range_completes(tmp_path) -> None:
    cp = RangeCheckpoint.open(tmp_path, "trades", RANGE, "run-1", fresh=False, exists=lambda d: True)
    cp.mark_done(RANGE[0], 1, 1, "run-1")
    other = RangeCheckpoint.open(tmp_path, "trades", RANGE[:3], "run-x", fresh=False, exists=lambda d: True)
    assert other.resumed_days == set()  # an overlapping range has its own checkpoint
    cp.clear()
    assert not cp.path.exists()
    assert RangeCheckpoint.open(tmp_path, "trades", RANGE, "run-2", fresh=False, exists=lambda d: True).resumed_days == set()


def test_checkpoint_low_level_api(tmp_path) -> None:
    cp = RangeCheckpoint(tmp_path, "markets", RANGE[0], RANGE[-1])
    assert cp.load(fresh=False) == set()
    cp.mark_done(RANGE[1], 5, 50, "r1")
    again = RangeCheckpoint(tmp_path, "markets", RANGE[0], RANGE[-1])
    assert again.load(fresh=False) == {RANGE[1]}
    assert again.load(fresh=True) == set()
    checkpoint_path(tmp_path, "markets", RANGE[0], RANGE[-1]).write_text("{torn")
    assert RangeCheckpoint(tmp_path, "markets", RANGE[0], RANGE[-1]).load(fresh=False) == set()

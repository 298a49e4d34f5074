"""Pure units: instrument keys and windows, clocks, record normalization, venue discovery rules."""

import json
import threading
import time

import pytest

from polymarket_assets.streaming.books import limitless_book, polymarket_book
from polymarket_assets.streaming.clock import iso_ms
from polymarket_assets.streaming.instruments import instrument_key, is_active, make_instrument, validate
from polymarket_assets.streaming.venues.limitless import LimitlessDiscovery, matches_underlying, skip_reason
from polymarket_assets.streaming.venues.polymarket_btc15m import PolymarketBtc15mDiscovery, slug_for, window_start
from polymarket_assets.streaming.venues.polymarket_general import PolymarketGeneralDiscovery
from polymarket_assets_tests.streaming.conftest import BOUNDARY
from polymarket_assets_tests.streaming.fake_clock import FakeClock
from polymarket_assets_tests.streaming.fake_venues import btc_tokens, fixtures_dir, limitless_market


def test_instrument_key_and_active_window():
    inst = make_instrument(venue="limitless", source="limitless", market_id="eth-daily", instrument_id="BOOK", poll_key="eth-daily",
                           active_from=100.0, active_until=200.0)
    assert inst["instrument_key"] == instrument_key("limitless", "eth-daily", "BOOK") == "limitless:eth-daily:BOOK"
    assert validate(inst)
    assert not is_active(inst, 99.999) and is_active(inst, 100.0) and is_active(inst, 199.999) and not is_active(inst, 200.0)
    with pytest.raises(ValueError):
        make_instrument(venue="kalshi", source="x", market_id="m", instrument_id="i", poll_key="p")
    json.dumps(inst)  # the instrument dict is JSON-serialisable (it goes into the snapshot file)


def test_fake_clock_offset_speed_and_step():
    clock = FakeClock(BOUNDARY - 3, speed=10.0)
    w0, m0 = clock.time(), clock.monotonic()
    time.sleep(0.05)
    assert 0.3 < clock.time() - w0 < 2.0 and 0.3 < clock.monotonic() - m0 < 2.0
    clock.advance(100)
    assert clock.time() - w0 > 100
    ev = threading.Event()
    t = time.monotonic()
    assert clock.wait(ev, 1.0) is False
    assert time.monotonic() - t < 0.5  # 1 s of clock time at 10x speed
    assert iso_ms(1767201300.1234) == "2025-12-31T17:15:00.123Z"


def test_records_are_exact_and_best_first():
    book = json.loads((fixtures_dir() / "clob/book_election_2024_oct.json").read_text())
    levels, ts, h, asset = polymarket_book(book)
    # the venue sends bids ascending and asks descending (best LAST); the record is best FIRST
    assert levels["bids"][0] == {"price": "0.1", "size": "125"} and levels["asks"][0] == {"price": "0.14", "size": "705"}
    assert (levels["best_bid"], levels["best_ask"], levels["mid"], levels["spread"]) == ("0.1", "0.14", "0.12", "0.04")
    assert ts == 1728799418.26 and h == "2fc4a3d6a98bc164e057589bcb74981852b87412" and asset.startswith("2336093998")
    frame = json.loads((fixtures_dir() / "limitless/ws_orderbookUpdate_full_book_eth_daily.json").read_text())[1]
    levels, ts = limitless_book(frame["orderbook"], frame["marketSlug"])
    assert levels["bids"][0] == {"price": "0.012", "size": "83.334"}  # raw 6-decimal size -> shares, exact
    assert levels["asks"][0]["price"] == "0.219" and ts is None


def test_btc_window_slug_and_lead():
    assert window_start(BOUNDARY - 0.001) == BOUNDARY - 900 and window_start(BOUNDARY) == BOUNDARY
    assert slug_for(BOUNDARY) == "btc-updown-15m-1767201300"
    disc = PolymarketBtc15mDiscovery(gamma=None, lead_seconds=60)
    assert disc.wanted_windows(BOUNDARY - 61) == [BOUNDARY - 900]
    assert disc.wanted_windows(BOUNDARY - 60) == [BOUNDARY - 900, BOUNDARY]


def test_btc_discovery_current_and_next_window(clients, server):
    gamma, _, _ = clients
    disc = PolymarketBtc15mDiscovery(gamma, lead_seconds=60)
    result = disc.discover(BOUNDARY - 30)
    slugs = {i["slug"] for i in result.instruments}
    assert slugs == {"btc-updown-15m-1767200400", "btc-updown-15m-1767201300"}
    assert len(result.instruments) == 4  # both outcome tokens of both windows
    cur = [i for i in result.instruments if i["slug"] == "btc-updown-15m-1767200400"]
    assert [i["outcome"] for i in cur] == ["Up", "Down"]
    assert [i["poll_key"] for i in cur] == btc_tokens(BOUNDARY - 900)
    assert cur[0]["active_from"] == BOUNDARY - 900 and cur[0]["active_until"] == BOUNDARY
    assert cur[0]["instrument_key"] == f"polymarket:{cur[0]['market_id']}:{cur[0]['instrument_id']}"
    assert cur[0]["market_id"].startswith("0x")
    # windows are cached: a second pass makes no request
    before = server.state.counts.get("gamma:event_by_slug", 0)
    disc.discover(BOUNDARY - 20)
    assert server.state.counts.get("gamma:event_by_slug", 0) == before
    # after the boundary the old window is dropped
    after = disc.discover(BOUNDARY + 1)
    assert {i["slug"] for i in after.instruments} == {"btc-updown-15m-1767201300"}


def test_btc_next_window_not_listed_yet_is_retried(clients, server):
    gamma, _, _ = clients
    server.state.btc_missing.add(BOUNDARY)
    disc = PolymarketBtc15mDiscovery(gamma, lead_seconds=60)
    result = disc.discover(BOUNDARY - 30)
    assert {i["slug"] for i in result.instruments} == {"btc-updown-15m-1767200400"}
    assert any("not found yet" in w for w in result.warnings)
    assert disc.interval_seconds == 2.0  # retried quickly while missing
    server.state.btc_missing.clear()
    assert {i["slug"] for i in disc.discover(BOUNDARY - 20).instruments} == {"btc-updown-15m-1767200400", "btc-updown-15m-1767201300"}
    assert disc.interval_seconds == 10.0


def test_general_discovery_top_n_and_slugs(clients, server):
    gamma, _, _ = clients
    server.state.general_markets = 5
    result = PolymarketGeneralDiscovery(gamma, top_n=3).discover(time.time())
    assert len(result.instruments) == 6 and len(result.markets) == 3
    # the top 3 by 24 h volume (the fake server lists markets lowest volume first unless asked to order)
    assert {i["slug"] for i in result.instruments} == {f"general-market-{i:04d}" for i in range(3)}
    assert {i["source"] for i in result.instruments} == {"polymarket_general"}
    by_slug = PolymarketGeneralDiscovery(gamma, slugs=["general-market-0007", "btc-updown-15m-1767200400", "nope"]).discover(time.time())
    assert {i["slug"] for i in by_slug.instruments} == {"general-market-0007", "btc-updown-15m-1767200400"}
    assert any("nope" in w for w in by_slug.warnings)


def test_limitless_discovery_pages_and_skips(clients, server):
    _, _, limitless = clients
    now = time.time()
    rows = [limitless_market(i) for i in range(27)]
    rows += [limitless_market(100, trade_type="amm"), limitless_market(101, expires_at=now - 60)]
    rows += [limitless_market(102, underlying="sol")]
    server.state.limitless_markets = rows  # 30 rows: two pages of 25
    result = LimitlessDiscovery(limitless, underlyings=["BTC"]).discover(now)
    assert len(result.instruments) == 27
    assert server.state.counts["limitless:active"] >= 2
    inst = result.instruments[0]
    assert inst["instrument_id"] == "BOOK" and inst["poll_key"] == inst["slug"] == inst["market_id"]
    assert inst["instrument_key"] == f"limitless:{inst['slug']}:BOOK" and inst["active_until"] > now
    assert any("amm=1" in w and "expired=1" in w and "underlying=1" in w for w in result.warnings)


def test_limitless_rules():
    now = time.time()
    assert skip_reason(limitless_market(1, trade_type="amm"), now) == "amm"
    assert skip_reason(limitless_market(1, expires_at=now - 1), now) == "expired"
    assert skip_reason({**limitless_market(1), "expired": True}, now) == "expired"
    assert skip_reason(limitless_market(1), now) is None
    assert matches_underlying({"slug": "ethereum-above-3000", "title": ""}, ["ETH"])
    assert not matches_underlying({"slug": "sol-up-or-down", "title": "Solana"}, ["BTC", "ETH"])
    assert matches_underlying({"slug": "anything"}, [])


def test_warns_when_limitless_markets_exceed_the_shared_budget(tmp_path):
    from types import SimpleNamespace

    from polymarket_assets.resources import PolymarketApiResource, RateLimiterResource
    from polymarket_assets.streaming.logger_run import OrderbookLoggerConfig, warn_if_over_budget

    api = PolymarketApiResource(rate_limiter=RateLimiterResource(db_path=str(tmp_path / "rl.sqlite"), budgets={"limitless": 50}))
    insts = [make_instrument(venue="limitless", source="limitless", market_id=f"m{i}", instrument_id="BOOK", poll_key=f"m{i}") for i in range(6)]
    logger = SimpleNamespace(discovery=SimpleNamespace(instruments=lambda: insts))
    warnings: list[str] = []
    log = SimpleNamespace(warning=warnings.append)
    warn_if_over_budget(api, OrderbookLoggerConfig(cadence_seconds=1.0), logger, log)
    assert warnings and "6 Limitless markets" in warnings[0] and "5.0 req/s" in warnings[0]
    warnings.clear()
    warn_if_over_budget(api, OrderbookLoggerConfig(cadence_seconds=2.0), logger, log)
    assert not warnings

"""The market-channel and Limitless protocol packages parse every real captured frame, and report bad input."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from polymarket_assets.clients import clob_ws, limitless_ws
from polymarket_assets.clients.clob_ws import (
    BestBidAskEvent,
    BookEvent,
    LastTradePriceEvent,
    MarketResolvedEvent,
    NewMarketEvent,
    PriceChangeEvent,
    TickSizeChangeEvent,
    UnknownEvent,
    parse_frame,
)

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"


def real_text(folder: str, name: str) -> str:
    return (REAL / folder / name).read_text()


def test_book_snapshots_of_both_eras():
    new = parse_frame(real_text("clob_ws", "book_snapshot_with_tick_size_2026.json"))
    old = parse_frame(real_text("clob_ws", "book_snapshot_trump_2024.json"))
    assert not new.problems and not old.problems
    book = new.events[0]
    assert isinstance(book, BookEvent) and book.tick_size == Decimal("0.01") and book.last_trade_price == Decimal("0.920")
    assert book.asset_id == "350977769852917329387037893294763093471844346281449484439085576212613048126"
    assert book.timestamp_ms == 1786604072222 and book.hash == "ed47eb91f3c7985fac1cb18cb7c19535eddd3c0a"
    assert book.bids[0] == (Decimal("0.01"), Decimal("3149725.72"))  # wire order kept: best bid is LAST
    assert isinstance(old.events[0], BookEvent) and old.events[0].tick_size is None
    assert len(old.events[0].asks) == 86 and len(old.events[0].bids) == 76


def test_array_frame_with_book_and_batched_price_changes():
    text = real_text("clob_ws", "market_channel_book_then_price_change_burst_2026.json")
    frame = parse_frame(text)
    assert not frame.problems
    assert [type(e) for e in frame.events] == [BookEvent] + [PriceChangeEvent] * 15
    first = frame.events[1]
    assert first.legacy is False and first.timestamp_ms == int(json.loads(text)[1]["timestamp"])
    change = first.changes[0]
    assert (change.price, change.size, change.side, change.best_bid, change.best_ask) == (
        Decimal("0.301"), Decimal("1000"), "BUY", Decimal("0.301"), Decimal("0.397"))
    assert frame.level_changes == 30
    assert any(c.size == 0 for e in frame.events[1:] for c in e.changes)  # "0" = remove the level


def test_legacy_flat_price_change():
    event = parse_frame(real_text("clob_ws", "price_change_legacy_v1_2024.json")).events[0]
    assert isinstance(event, PriceChangeEvent) and event.legacy
    assert event.changes[0].side == "SELL" and event.changes[0].price == Decimal("0.514")
    assert event.changes[0].best_bid is None and event.changes[0].best_ask is None


def test_other_event_types():
    trade = parse_frame(real_text("clob_ws", "last_trade_price_2024.json")).events[0]
    assert isinstance(trade, LastTradePriceEvent) and trade.size == Decimal("85.36") and trade.side == "SELL"
    tick = parse_frame(real_text("clob_ws", "tick_size_change_2025.json")).events[0]
    assert isinstance(tick, TickSizeChangeEvent) and (tick.old_tick_size, tick.new_tick_size) == (Decimal("0.01"), Decimal("0.001"))
    bba = parse_frame(real_text("clob_ws", "best_bid_ask.json")).events[0]
    assert isinstance(bba, BestBidAskEvent) and (bba.best_bid, bba.best_ask) == (Decimal("0.73"), Decimal("0.77"))
    new = parse_frame(real_text("clob_ws", "new_market.json")).events[0]
    assert isinstance(new, NewMarketEvent) and len(new.asset_ids) == 2 and new.slug == "nvda-above-240-on-january-30-2026"
    resolved = parse_frame(real_text("clob_ws", "market_resolved.json")).events[0]
    assert isinstance(resolved, MarketResolvedEvent) and resolved.winning_asset_id == resolved.asset_ids[0]


def test_unknown_types_are_kept_and_malformed_frames_reported():
    frame = parse_frame('[{"event_type": "some_future_event", "x": 1}, {"event_type": "book", "asset_id": "1", "bids": "nope"}]')
    assert isinstance(frame.events[0], UnknownEvent) and frame.events[0].raw == {"event_type": "some_future_event", "x": 1}
    assert len(frame.problems) == 1 and frame.problems[0].asset_id == "1"
    assert parse_frame("{not json").problems[0].message.startswith("not JSON")
    assert parse_frame("PONG").pong and not parse_frame("PONG").events
    # one bad entry of a batched price_change names its asset; the good entry still counts
    burst = json.loads(real_text("clob_ws", "market_channel_book_then_price_change_burst_2026.json"))[1]
    burst["price_changes"][0]["price"] = "abc"
    frame = parse_frame(json.dumps(burst))
    assert frame.level_changes == 1 and frame.problems[0].asset_id == burst["price_changes"][0]["asset_id"]


def test_client_messages_round_trip():
    first = clob_ws.initial_subscribe(["1", "2"])
    assert json.loads(first) == {"assets_ids": ["1", "2"], "type": "market", "custom_feature_enabled": True}
    assert clob_ws.parse_client_message(first) == ("subscribe", ["1", "2"])
    live = clob_ws.update_subscription(["3"], "unsubscribe")
    assert json.loads(live) == {"assets_ids": ["3"], "operation": "unsubscribe"}
    assert clob_ws.parse_client_message(live) == ("unsubscribe", ["3"])
    assert clob_ws.parse_client_message("PING") is None


def test_limitless_events():
    book = limitless_ws.parse_event_text(real_text("limitless", "ws_orderbookUpdate_full_book_eth_daily.json"))
    assert isinstance(book, limitless_ws.OrderbookUpdate)
    assert book.best_bid == Decimal("0.012") and book.bids[0][1] == Decimal("83.334")  # 83334000 raw units
    assert book.best_ask == Decimal("0.219") and book.version == 7861372
    resolved = limitless_ws.parse_event_text(real_text("limitless", "ws_marketResolved_btc_5min.json"))
    assert isinstance(resolved, limitless_ws.MarketResolved) and resolved.winning_index == 1
    oracle = limitless_ws.parse_event_text(real_text("limitless", "ws_oraclePriceData_eth_daily.json"))
    assert isinstance(oracle, limitless_ws.OraclePriceData) and oracle.value == Decimal("2440.91810993")
    system = limitless_ws.parse_event_text(real_text("limitless", "ws_system_subscribed.json"))
    assert isinstance(system, limitless_ws.SystemMessage) and system.markets == ["eth-up-or-down-daily-1788105600"]
    assert isinstance(limitless_ws.parse_event("newThing", [{"a": 1}]), limitless_ws.UnknownLimitlessEvent)
    assert isinstance(limitless_ws.parse_event("orderbookUpdate", [{"marketSlug": "x"}]), limitless_ws.LimitlessProblem)
    assert limitless_ws.subscribe_payload(["b", "a", "a"]) == {"marketSlugs": ["a", "b"]}

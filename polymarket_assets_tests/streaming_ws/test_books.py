"""The book state machines, fed records directly (no sockets): deltas, checks, staleness, gaps, REST resync."""

from __future__ import annotations

import copy
import json
from decimal import Decimal

from polymarket_assets.clients.clob_ws import initial_subscribe, update_subscription
from polymarket_assets.streaming.ws import records as R
from polymarket_assets.streaming.ws.limitless_books import LimitlessBooks
from polymarket_assets.streaming.ws.polymarket_books import PolymarketBooks
from polymarket_assets_tests.support.clob_ws_world import BURST, MarketWorld, real_frames
from polymarket_assets_tests.support.limitless_ws_server import real_frame

A = real_frames(BURST)[0]["asset_id"]


class Feeder:
    def __init__(self, machine, venue: str = "polymarket", conn: str = "S/p000.1"):
        self.machine, self.venue, self.conn, self.t = machine, venue, conn, 1_000

    def __call__(self, kind: str, data, conn: str | None = None):
        self.t += 1
        text = data if isinstance(data, str) else json.dumps(data)
        return self.machine.apply(R.Record(self.t, self.venue, conn or self.conn, kind, text))


def subscribed(asset_ids, **kwargs):
    machine = PolymarketBooks(**kwargs)
    feed = Feeder(machine)
    feed(R.SENT, initial_subscribe(asset_ids))
    return machine, feed


def test_real_burst_applies_with_every_check_passing():
    frames = real_frames(BURST)
    machine, feed = subscribed([A])
    for frame in frames:
        assert feed(R.RECV, frame) is None  # no resync, no lifecycle event
    world = MarketWorld.real_burst()
    for frame in world.scripted:
        world.apply_scripted(frame)
    assert machine.books()[A] == world.books[A].levels()  # independent implementation agrees
    assert machine.counts["bbo_checks"] == 15 and machine.counts["bbo_mismatches"] == 0
    assert machine.counts["changes_untracked"] == 15  # the complementary token was not subscribed
    book = machine.book(A)
    assert {"price": "0.4", "size": "4765"} in frames[0]["asks"] and Decimal("0.4") not in book.asks  # removed by size "0"
    assert (book.best_bid, book.best_ask) == (Decimal("0.311"), Decimal("0.36"))


def test_mismatch_marks_stale_opens_a_gap_and_a_new_book_closes_it():
    frames = real_frames(BURST)
    published = []
    machine, feed = subscribed([A], on_bbo=lambda *args: published.append(args))
    feed(R.RECV, frames[0])
    bad = copy.deepcopy(frames[1])
    bad["price_changes"][0]["best_bid"] = "0.302"  # the venue's top disagrees with the local book
    effects = feed(R.RECV, bad)
    assert effects.resync == [A]
    assert machine.book(A) is None and machine.status(A) == "stale"  # never published while known wrong
    assert len(published) == 1  # only the book's own top, not the inconsistent change
    assert feed(R.RECV, frames[2]) is None and machine.counts["changes_ignored_stale"] == 1
    [gap] = machine.open_gaps()
    assert gap.reason == "bbo_mismatch" and "venue 0.302/0.397" in gap.detail and gap.end_ns is None
    feed(R.RESYNC, {"via": "resubscribe", "assets": [A]})
    feed(R.RECV, [frames[0]])
    [closed] = machine.take_closed_gaps()
    assert closed.closed_by == "book" and closed.end_ns > closed.detected_ns >= closed.start_ns
    assert machine.status(A) == "fresh"


def test_tick_size_change_reconnect_and_stop_make_books_stale():
    frames = real_frames(BURST)
    machine, feed = subscribed([A])
    feed(R.RECV, frames[0])
    tick = {**real_frames("tick_size_change_2025.json"), "asset_id": A}
    assert feed(R.RECV, tick).resync == [A]
    assert machine.open_gaps()[0].reason == "tick_size_change"
    feed(R.RECV, frames[0])
    feed(R.CLOSE, {"reason": "ConnectionClosed"})
    assert machine.open_gaps()[0].reason == "reconnect"
    feed(R.SENT, initial_subscribe([A]), conn="S/p000.2")  # the reconnect replays the subscription
    feed(R.RECV, frames[0], conn="S/p000.2")
    feed(R.CLOSE, {"reason": "stop"}, conn="S/p000.2")
    assert machine.open_gaps()[0].reason == "stop"


def test_size_zero_removes_and_legacy_flat_changes_apply_without_a_check():
    legacy = real_frames("price_change_legacy_v1_2024.json")
    asset = legacy["asset_id"]
    machine, feed = subscribed([asset])
    feed(R.RECV, {"event_type": "book", "asset_id": asset, "market": legacy["market"], "timestamp": "1", "hash": "h",
                  "bids": [{"price": "0.5", "size": "10"}], "asks": [{"price": "0.6", "size": "5"}]})
    feed(R.RECV, legacy)  # SELL 0.514 x 21574.08
    assert machine.book(asset).asks == {Decimal("0.6"): Decimal("5"), Decimal("0.514"): Decimal("21574.08")}
    assert machine.counts["bbo_checks"] == 0
    feed(R.RECV, {**legacy, "size": "0"})
    assert machine.book(asset).best_ask == Decimal("0.6")


def test_unknown_malformed_untracked_and_unsubscribe():
    frames = real_frames(BURST)
    problems = []
    machine, feed = subscribed([A], on_problem=lambda conn, p: problems.append((conn, p.message)))
    feed(R.RECV, frames[0])
    feed(R.RECV, {"event_type": "brand_new_event", "asset_id": A})
    assert machine.counts["unknown"] == 1 and machine.unknown_types == {"brand_new_event": 1}
    feed(R.RECV, '{"event_type": "price_change", "market": ')
    assert problems[-1][0] == "S/p000.1" and problems[-1][1].startswith("not JSON")
    bad = copy.deepcopy(frames[1])
    bad["price_changes"][0]["size"] = None
    assert feed(R.RECV, bad).resync == [A]  # a lost change of a followed asset: its book is unknown now
    feed(R.SENT, update_subscription([A], "unsubscribe"))
    assert machine.status(A) is None and machine.take_closed_gaps()[0].closed_by == "unsubscribed"


def test_rest_resync_applies_buffered_deltas_newer_than_the_snapshot():
    frames = real_frames(BURST)
    machine, feed = subscribed([A])
    feed(R.RECV, frames[0])
    feed(R.CLOSE, {"reason": "ConnectionClosed"})
    feed(R.RESYNC, {"via": "rest", "assets": [A]})
    for frame in frames[1:4]:
        feed(R.RECV, frame)  # buffered while the REST answer is awaited
    assert machine.counts["changes_buffered"] == 3
    rest_book = {k: v for k, v in frames[0].items() if k != "event_type"}
    rest_book["timestamp"] = frames[2]["timestamp"]  # the snapshot already holds the first two changes
    world = MarketWorld.real_burst()
    for frame in frames[1:3]:
        world.apply_scripted(frame)
    rest_book["bids"] = [{"price": str(p), "size": str(s)} for p, s in sorted(world.books[A].bids.items())]
    rest_book["asks"] = [{"price": str(p), "size": str(s)} for p, s in sorted(world.books[A].asks.items(), reverse=True)]
    feed(R.REST, [rest_book])
    world.apply_scripted(frames[3])
    assert machine.books()[A] == world.books[A].levels()
    assert machine.take_closed_gaps()[0].closed_by == "rest"


def test_limitless_full_books_versions_reconnect_and_resolution():
    machine = LimitlessBooks()
    feed = Feeder(machine, venue="limitless", conn="S/l.1")
    full = real_frame("ws_orderbookUpdate_full_book_eth_daily.json")
    slug = full[1]["marketSlug"]
    feed(R.SENT, ["subscribe_market_prices", {"marketSlugs": [slug, "btc-up-or-down-5-min-1788267900"]}])
    feed(R.RECV, full)
    assert machine.book(slug).best_bid == Decimal("0.012") and machine.book(slug).bids[Decimal("0.012")] == Decimal("83.334")
    older = copy.deepcopy(full)
    older[1]["version"] -= 1
    older[1]["orderbook"]["bids"] = []
    feed(R.RECV, older)
    assert machine.counts["books_out_of_order"] == 1 and machine.book(slug).best_bid == Decimal("0.012")
    feed(R.CLOSE, {"reason": "transport close"})
    assert machine.book(slug) is None and machine.open_gaps()[0].reason == "reconnect"
    feed(R.RECV, full, conn="S/l.2")
    assert machine.book(slug) is not None and machine.take_closed_gaps()[0].closed_by == "book"
    last = real_frame("ws_orderbookUpdate_last_before_resolution_btc_5min.json")
    feed(R.RECV, last)
    resolved = feed(R.RECV, real_frame("ws_marketResolved_btc_5min.json"))
    assert resolved is not None and resolved.slug == "btc-up-or-down-5-min-1788267900"
    assert "btc-up-or-down-5-min-1788267900" not in machine.state()
    feed(R.RECV, ["someFutureEvent", {"x": 1}])
    feed(R.RECV, real_frame("ws_oraclePriceData_eth_daily.json"))
    assert machine.unknown_types == {"someFutureEvent": 1} and machine.counts["oraclePriceData"] == 1

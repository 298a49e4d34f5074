"""The market-channel stream against a local server speaking the real frames: every fault heals and the
rebuilt books equal the server's; the raw log replays to the same state."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from polymarket_assets.streaming.ws.config import StreamUnreachable
from polymarket_assets.streaming.ws.polymarket_books import PolymarketBooks
from polymarket_assets.streaming.ws.rawlog import iter_records, raw_files
from polymarket_assets_tests.streaming_ws.harness import bronze_replay, live_stream, until
from polymarket_assets_tests.support.clob_ws_world import MarketWorld, real_frames


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


def assert_replay_matches(live):
    """The raw log replays to the live state, and so do its bronze rows replayed asset by asset (silver's path)."""
    assert live.replayed_state() == live.state_after_stop
    assert live.bronze_state() == live.state_after_stop


def test_real_capture_book_then_burst(tmp_path):
    published = []

    async def scenario():
        world = MarketWorld.real_burst()
        machine = PolymarketBooks(on_bbo=lambda *args: published.append(args))
        async with live_stream(tmp_path, world, machine=machine) as live:
            await live.settle()
            await live.server.play_scripted()
            await live.settle()
            assert live.stream.machine.counts["level_changes"] == 15 and live.stream.machine.counts["bbo_mismatches"] == 0
        assert_replay_matches(live)
        assert live.stream.metrics.snapshot()["gaps_opened"] == 1  # only the "stop" gap at the end
    run(scenario())
    # the tops silver publishes from the bronze rows are exactly the ones the live machine published
    bbo = []
    bronze_replay(tmp_path, "polymarket", on_bbo=bbo.append)
    assert len(published) > 3
    assert [(b.asset_id, b.ts_received_us, b.best_bid, b.bid_size, b.best_ask, b.ask_size, b.verified) for b in bbo] == [
        (a[0], a[3] // 1000, *a[4:9]) for a in published]


def test_abrupt_disconnect_of_every_connection(tmp_path):
    async def scenario():
        async with live_stream(tmp_path, MarketWorld.synthetic(6), max_assets_per_connection=4) as live:
            await live.settle()
            assert len(live.server.conns) == 3
            await live.server.random_changes(100)
            await live.settle()
            assert live.server.drop() == 3
            await live.server.random_changes(50)  # sent while nobody listens: lost for the client
            await until(lambda: live.stream.metrics.counts["reconnects"] >= 3, what="3 reconnects")
            await live.server.random_changes(100)
            await live.settle()
            gaps = live.stream.machine.take_closed_gaps()
            assert {g.reason for g in gaps} == {"reconnect"} and all(g.closed_by == "book" for g in gaps)
            assert len({g.asset_id for g in gaps}) == 12
        assert_replay_matches(live)
    run(scenario())


def test_a_dropped_connection_never_stops_the_others(tmp_path):
    async def scenario():
        async with live_stream(tmp_path, MarketWorld.synthetic(4), max_assets_per_connection=4, backoff_initial=2.0, backoff_max=2.0) as live:
            await live.settle()
            victim = live.server.conn_of(live.subscribed()[0])
            others = sorted(a for a in live.subscribed() if a not in victim.assets)
            live.server.drop(victim.id)
            await until(lambda: live.stream.metrics.connections_open == 1, what="the drop to be seen")
            await live.server.random_changes(60, others)
            await live.settle(assets=others, timeout=0.9)  # applied while the victim is still backing off
            assert live.stream.metrics.connections_open == 1
            await live.settle()
        assert_replay_matches(live)
    run(scenario())


def test_silent_freeze_with_pong_still_answered(tmp_path):
    async def scenario():
        async with live_stream(tmp_path, MarketWorld.synthetic(2), silence_timeout=0.8) as live:
            await live.settle()
            conn = live.server.conn_of(live.subscribed()[0])
            live.server.freeze(conn.id)
            pings = conn.pings
            for _ in range(20):  # keep the venue busy: the frozen socket gets none of it
                await live.server.random_changes(2)
                await asyncio.sleep(0.02)
            await until(lambda: live.stream.machine.counts["stale_silence"] >= 1, what="the silence watchdog")
            assert conn.pings > pings  # the heartbeat kept working during the freeze
            await live.settle()
            [gap, *_] = live.stream.machine.take_closed_gaps()
            assert gap.reason == "silence" and gap.closed_by == "book"
            await live.server.random_changes(30)
            await live.settle()
        assert_replay_matches(live)
    run(scenario())


def test_malformed_frames_are_logged_with_their_connection_and_skipped(tmp_path, caplog):
    async def scenario():
        world = MarketWorld.synthetic(2)
        async with live_stream(tmp_path, world) as live:
            await live.settle()
            asset = live.subscribed()[0]
            with caplog.at_level(logging.WARNING):
                await live.server.broadcast_raw('{"event_type": "price_change", "market": ')
                bad = world.random_change(asset)
                bad["price_changes"][0]["price"] = "not-a-price"  # the server applied it; the client cannot: it must resync
                await live.server.broadcast(bad)
                await until(lambda: live.stream.machine.counts["malformed"] >= 2, what="two malformed frames")
            await live.server.random_changes(40)
            await live.settle()
            assert "malformed frame on T/p000.1 skipped: not JSON" in caplog.text
            assert live.stream.machine.counts["stale_malformed"] == 1
        texts = [r.data for r in iter_records(raw_files(tmp_path, "polymarket"))]
        assert '{"event_type": "price_change", "market": ' in texts  # kept as received
        assert_replay_matches(live)
    run(scenario())


def test_best_bid_ask_disagreeing_with_the_book_triggers_a_resync(tmp_path):
    async def scenario():
        world = MarketWorld.synthetic(2)
        async with live_stream(tmp_path, world) as live:
            await live.settle()
            asset = live.subscribed()[0]
            world.hidden_top_change(asset)  # a lost delta at the top of the book
            await live.server.random_changes(1, [asset])  # its best_bid/best_ask reveal it
            await until(lambda: live.stream.machine.counts["stale_bbo_mismatch"] >= 1, what="the mismatch")
            await live.settle()
            gaps = live.stream.machine.take_closed_gaps()
            assert {g.reason for g in gaps} == {"bbo_mismatch"} and all(g.closed_by == "book" for g in gaps)
            assert live.stream.metrics.counts["resyncs"] >= 1
            unsubs = [entry for entry in live.server.log if entry[2] == "unsubscribe"]
            assert unsubs and asset in unsubs[0][3]  # unsubscribe + subscribe: the venue ignores a duplicate subscribe
            await live.server.random_changes(40)
            await live.settle()
        assert_replay_matches(live)
    run(scenario())


def test_tick_size_change_drops_the_book_until_a_fresh_one(tmp_path):
    async def scenario():
        world = MarketWorld.synthetic(2)
        async with live_stream(tmp_path, world) as live:
            await live.settle()
            asset = live.subscribed()[1]
            await live.server.tick_size_change(asset, "0.01")
            await until(lambda: live.stream.machine.counts["stale_tick_size_change"] == 1, what="the tick-size change")
            await live.server.random_changes(40)
            await live.settle()
            [gap] = live.stream.machine.take_closed_gaps()
            assert (gap.asset_id, gap.reason, gap.detail) == (asset, "tick_size_change", "0.001 -> 0.01")
        assert_replay_matches(live)
    run(scenario())


def test_more_than_200_assets_are_sharded(tmp_path):
    async def scenario():
        world = MarketWorld.synthetic(230)  # 460 assets
        async with live_stream(tmp_path, world) as live:
            await live.settle(timeout=20)
            assert len(live.server.conns) == 3 and live.server.max_assets_per_conn <= 200
            assert all(len({world.books[a].market for a in shard.assets}) * 2 == len(shard.assets) for shard in live.stream.shards)
            await live.server.random_changes(300)
            await live.settle()
        assert_replay_matches(live)
    run(scenario())


def test_rest_resync_through_a_callable(tmp_path):
    world = MarketWorld.synthetic(2)
    calls = []

    def rest_books(token_ids):  # stands in for ClobClient.books (POST /books through the shared limiter)
        calls.append(list(token_ids))
        return [{k: v for k, v in world.books[t].frame().items() if k != "event_type"} for t in token_ids]

    async def scenario():
        async with live_stream(tmp_path, world, resync_via="rest", rest_books=rest_books) as live:
            await live.settle()
            asset = live.subscribed()[0]
            world.hidden_top_change(asset)
            await live.server.random_changes(1, [asset])
            await until(lambda: calls, what="a REST resync")
            await live.settle()
            gaps = live.stream.machine.take_closed_gaps()  # the asset and its mirrored complement
            assert gaps and all(g.closed_by == "rest" for g in gaps)
            assert live.stream.machine.counts["rest_books"] == len(gaps) == sum(map(len, calls))
            await live.server.random_changes(30)
            await live.settle()
        assert_replay_matches(live)
    run(scenario())


def test_unknown_event_types_are_kept_in_the_raw_log_and_counted(tmp_path):
    async def scenario():
        world = MarketWorld.synthetic(1)
        async with live_stream(tmp_path, world) as live:
            await live.settle()
            unknown = {**real_frames("best_bid_ask.json"), "event_type": "synthetic_future_event"}  # SYNTHETIC type
            await live.server.broadcast_raw(json.dumps(unknown))
            await until(lambda: live.stream.machine.counts["unknown"] == 1, what="the unknown event")
            assert live.stream.metrics.snapshot()["unknown_types"] == {"synthetic_future_event": 1}
        assert any("synthetic_future_event" in r.data for r in iter_records(raw_files(tmp_path, "polymarket")))
        replay = bronze_replay(tmp_path, "polymarket")  # kept in bronze too, and counted
        assert replay.stats.rows_by_type["unknown"] == 1
    run(scenario())


def test_all_active_follows_new_market_and_market_resolved(tmp_path):
    new_market = real_frames("new_market.json")
    resolved = real_frames("market_resolved.json")
    world = MarketWorld.synthetic(1)
    for token in new_market["clob_token_ids"]:  # SYNTHETIC books for the real new market's tokens
        world.books[token] = type(world.books[world.asset_ids()[0]])(token, new_market["market"], bids=dict(world.books[world.asset_ids()[0]].bids))

    async def scenario():
        async with live_stream(tmp_path, world, assets=world.asset_ids()[:2], all_active=True) as live:
            await live.settle()
            await live.server.broadcast_raw(json.dumps(new_market))
            await until(lambda: set(new_market["clob_token_ids"]) <= set(live.subscribed()), what="the new market's tokens")
            await live.settle()
            await live.server.broadcast_raw(json.dumps(resolved))
            await until(lambda: not set(resolved["assets_ids"]) & set(live.subscribed()), what="the resolved market's removal")
            ops = [(op, sorted(ids)) for _, _, op, ids in live.server.log]
            assert ("subscribe", sorted(new_market["clob_token_ids"])) in ops
            assert ("unsubscribe", sorted(resolved["assets_ids"])) in ops
    run(scenario())


def test_unreachable_url_fails_naming_the_setting(tmp_path):
    from polymarket_assets.streaming.ws.config import PolymarketWsOptions, ws_url
    from polymarket_assets.streaming.ws.polymarket_stream import PolymarketStream
    from polymarket_assets.streaming.ws.rawlog import RawLogWriter
    from polymarket_assets.streaming.ws.selection import Target

    async def scenario():
        url, origin = ws_url(__import__("polymarket_assets.settings", fromlist=["x"]).POLYMARKET_WS_URL, "ws://127.0.0.1:9/ws/market")
        writer = RawLogWriter(tmp_path, "polymarket", session="T").start()
        opts = PolymarketWsOptions(url=url, url_origin=origin, connect_attempts=3, backoff_initial=0.01, backoff_max=0.02, open_interval=0.0)
        stream = PolymarketStream(opts, writer=writer, targets=[Target("1")], session_tag="T/")
        with pytest.raises(StreamUnreachable) as info:
            await stream.run()
        writer.close()
        return str(info.value)

    message = run(scenario())
    assert "ws://127.0.0.1:9/ws/market" in message and "after 3 attempts" in message and "POLYMARKET_WS_URL" in message


def test_btc_15m_rollover_loses_no_change_across_the_boundary(tmp_path):
    from polymarket_assets.streaming.instruments import make_instrument
    from polymarket_assets.streaming.ws.records import RECV

    world = MarketWorld.synthetic(2)  # SYNTHETIC: market 0 = the current window, market 1 = the next one
    current, nxt = world.asset_ids()[:2], world.asset_ids()[2:]
    boundary = __import__("time").time() + 1.5

    def instruments(tokens, start, end):
        return [make_instrument(venue="polymarket", source="polymarket_btc15m", market_id=world.books[t].market, instrument_id=t,
                                poll_key=t, token_id=t, active_from=start, active_until=end) for t in tokens]

    def discover(now):  # like PolymarketBtc15mDiscovery: the next window shows up lead_seconds (here 1 s) early
        found = instruments(current, boundary - 900, boundary)
        if now >= boundary - 1.0:
            found += instruments(nxt, boundary, boundary + 900)
        return found

    async def scenario():
        async with live_stream(tmp_path, world, targets=[], discover=discover, discovery_interval=0.1, grace_seconds=0.5) as live:
            live.server.record_sent = True
            t = __import__("time")
            while t.time() < boundary + 1.0:
                await live.server.random_changes(2, world.asset_ids())
                await asyncio.sleep(0.01)
            await until(lambda: live.subscribed() == sorted(nxt), what="the expired window's removal")
            await live.settle()
            log = live.server.log
            first_next = min(ts for ts, _, op, ids in log if op == "subscribe" and set(ids) & set(nxt))
            last_current = max(ts for ts, _, op, ids in log if op == "unsubscribe" and set(ids) & set(current))
            assert first_next < boundary <= last_current  # subscribed before, unsubscribed after the boundary
            counts = live.stream.machine.counts
            assert counts["gaps_opened"] == 0 and counts["changes_ignored_stale"] == 0 and counts["bbo_mismatches"] == 0
            sent = [text for _, _, text in live.server.sent]
        received = [r.data for r in iter_records(raw_files(tmp_path, "polymarket")) if r.kind == RECV]
        assert [text for text in received if text != "PONG"] == sent  # every frame the venue sent, in order
        assert sum('"price_change"' in s for s in sent) > 100
        assert_replay_matches(live)
    run(scenario())


def test_an_asset_removed_while_its_connection_is_down_stops_being_followed(tmp_path):
    from polymarket_assets.streaming.ws.selection import Target

    async def scenario():
        world = MarketWorld.synthetic(2)
        async with live_stream(tmp_path, world, backoff_initial=1.0, backoff_max=1.0) as live:
            await live.settle()
            keep = world.asset_ids()[2:]
            live.server.drop()
            await until(lambda: live.stream.metrics.connections_open == 0, what="the drop")
            live.stream.selection.update_discovered([Target(a, world.books[a].market) for a in keep])
            await live.stream.reconcile()
            assert sorted(live.stream.machine.assets) == sorted(keep)  # no gap left open for a market we left
            await until(lambda: live.stream.metrics.connections_open == 1, what="the reconnect")
            await live.settle()
            assert sorted(live.server.log[-1][3]) == sorted(keep) and live.server.log[-1][2] == "subscribe"
            assert {g.closed_by for g in live.stream.machine.take_closed_gaps()} == {"unsubscribed", "book"}
        assert_replay_matches(live)
    run(scenario())


def test_a_connection_that_reopened_empty_starts_with_the_market_subscribe(tmp_path):
    from polymarket_assets.streaming.ws.selection import Target

    async def scenario():
        world = MarketWorld.synthetic(1)
        targets = [Target(a, world.books[a].market) for a in world.asset_ids()]
        async with live_stream(tmp_path, world) as live:
            await live.settle()
            live.stream.selection.update_discovered([])
            await live.stream.reconcile()  # every asset left: the shard stays open, empty
            live.server.drop()
            await until(lambda: live.stream.metrics.counts["reconnects"] == 1 and live.stream.metrics.connections_open == 1, what="an empty reconnect")
            live.stream.selection.update_discovered(targets)
            await live.stream.reconcile()
            await live.settle()
            [conn] = live.server.conns.values()
            assert conn.first == {"assets_ids": sorted(world.asset_ids()), "type": "market", "custom_feature_enabled": True}
        assert_replay_matches(live)
    run(scenario())


def test_an_asset_is_resynced_at_most_once_per_interval(tmp_path):
    """A venue that keeps disagreeing with a book draws one resync per resync_min_interval, not a storm."""
    async def scenario():
        world = MarketWorld.synthetic(1)
        async with live_stream(tmp_path, world, resync_min_interval=0.6) as live:
            await live.settle()
            asset = live.subscribed()[0]
            for n in (1, 2):
                world.hidden_top_change(asset)
                await live.server.random_changes(1, [asset])
                await until(lambda n=n: live.stream.machine.counts["stale_bbo_mismatch"] >= 2 * n - 1, what=f"mismatch {n}")
                await live.settle()
            unsubs = [ts for ts, _, op, ids in live.server.log if op == "unsubscribe" and asset in ids]
            assert len(unsubs) == 2 and unsubs[1] - unsubs[0] >= 0.55
            assert live.stream.metrics.counts["resyncs_deferred"] >= 1
        assert_replay_matches(live)
    run(scenario())

"""The Limitless Socket.IO stream against a local python-socketio server built from the real frames."""

from __future__ import annotations

import asyncio

import pytest

from polymarket_assets.streaming.instruments import make_instrument
from polymarket_assets.streaming.ws.config import LimitlessWsOptions, StreamUnreachable
from polymarket_assets.streaming.ws.limitless_stream import LimitlessStream
from polymarket_assets.streaming.ws.rawlog import RawLogWriter, iter_records, raw_files
from polymarket_assets.streaming.ws.replay import replay_limitless
from polymarket_assets_tests.streaming_ws.harness import bronze_replay, until
from polymarket_assets_tests.support.limitless_ws_server import LimitlessServer, real_frame

ETH = "eth-up-or-down-daily-1788105600"
BTC = "btc-up-or-down-5-min-1788267900"


def instrument(slug: str) -> dict:
    return make_instrument(venue="limitless", source="limitless", market_id=slug, instrument_id="BOOK", poll_key=slug, slug=slug)


def test_books_reconnect_resolution_unknown_events_and_replay(tmp_path):
    wanted = [ETH, BTC, "synthetic-market-a"]

    def discover(now):  # the existing LimitlessDiscovery's instruments feed the stream
        return [instrument(s) for s in wanted]

    async def scenario():
        async with LimitlessServer() as server:
            server.add_synthetic_market("synthetic-market-a")
            writer = RawLogWriter(tmp_path, "limitless", session="L", flush_interval=0.05).start()
            opts = LimitlessWsOptions(url=server.url, backoff_initial=0.05, backoff_max=0.2, discovery_interval=0.2)
            stream = LimitlessStream(opts, writer=writer, discover=discover, session_tag="L/")
            stop = asyncio.Event()
            task = asyncio.create_task(stream.run(stop))

            def equal():
                books = stream.machine.books()
                return all(books.get(s) == server.levels(s) for s in wanted)

            await until(equal, what="the first full books")
            assert server.subscribe_calls[0][1] == sorted(wanted)  # the whole set in one call
            for i in range(30):
                await server.update(wanted[i % 3])
            await until(equal, what="30 updates")
            assert server.drop() == 1  # abrupt: no Socket.IO disconnect packet
            await until(lambda: stream.metrics.counts["reconnects"] == 1 and equal(), what="the reconnect")
            assert {g.reason for g in stream.machine.take_closed_gaps()} == {"reconnect"}
            await server.send_event(ETH, "synthetic_new_event", real_frame("ws_oraclePriceData_eth_daily.json")[1])  # SYNTHETIC name
            await server.send_event(ETH, "oraclePriceData", real_frame("ws_oraclePriceData_eth_daily.json")[1])
            await server.resolve(BTC)
            wanted.remove(BTC)  # discovery no longer lists it either
            await until(lambda: BTC not in stream.machine.state() and server.subscribe_calls[-1][1] == sorted(wanted), what="resolution")
            await until(lambda: stream.machine.unknown_types == {"synthetic_new_event": 1})
            assert stream.machine.counts["oraclePriceData"] == 1 and stream.machine.counts["marketResolved"] == 3
            for i in range(10):
                await server.update(wanted[i % 2])
            await until(equal, what="updates after the resolution")
            live_state = stream.machine.state()
            stop.set()
            await asyncio.wait_for(task, 10)
            writer.close()
            return live_state, stream.machine.state()

    before_stop, after_stop = asyncio.run(asyncio.wait_for(scenario(), 60))
    records = list(iter_records(raw_files(tmp_path, "limitless")))
    assert any('"synthetic_new_event"' in r.data for r in records)  # unknown events are kept in the raw log
    assert replay_limitless(records).state() == after_stop
    assert bronze_replay(tmp_path, "limitless").state("limitless") == after_stop  # silver's path: bronze rows, market by market
    assert all(status == "fresh" for status, _ in before_stop.values())


def test_unreachable_limitless_url_names_the_setting(tmp_path):
    async def scenario():
        writer = RawLogWriter(tmp_path, "limitless", session="L").start()
        stream = LimitlessStream(LimitlessWsOptions(url="ws://127.0.0.1:9", connect_attempts=2, backoff_initial=0.01, open_timeout=1),
                                 writer=writer, session_tag="L/")
        try:
            await stream.run()
        finally:
            writer.close()

    with pytest.raises(StreamUnreachable, match=r"ws://127.0.0.1:9 after 2 attempts.*LIMITLESS_WS_URL"):
        asyncio.run(scenario())

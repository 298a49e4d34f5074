"""Drives a live stream against a local server in one event loop: start, wait, compare, stop, replay."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, AsyncIterator

import pyarrow.parquet as pq

from polymarket_assets.bronze.datasets.orderbook_ws_events import compact_day
from polymarket_assets.streaming.ws.bronze_replay import COLUMNS, BronzeReplay
from polymarket_assets.streaming.ws.config import PolymarketWsOptions
from polymarket_assets.streaming.ws.polymarket_stream import PolymarketStream
from polymarket_assets.streaming.ws.rawlog import RawLogWriter, iter_records, raw_files
from polymarket_assets.streaming.ws.replay import replay_polymarket
from polymarket_assets.streaming.ws.selection import Target
from polymarket_assets_tests.support.clob_ws_server import MarketChannelServer
from polymarket_assets_tests.support.clob_ws_world import MarketWorld

FAST = PolymarketWsOptions(
    url="ws://127.0.0.1:9",
    open_interval=0.01,
    ping_interval=0.2,
    silence_timeout=30.0,
    backoff_initial=0.05,
    backoff_max=0.2,
    resync_delay=0.01,
    resync_min_interval=0.05,
    connect_attempts=3,
    open_timeout=2.0,
    close_timeout=0.5,
)


def bronze_replay(data_dir: Path, venue: str, **kwargs: Any) -> BronzeReplay:
    """Compact the last day of ``venue``'s raw log into bronze and replay that day's rows (keeping every
    asset's final state): what silver does, for comparing with the live machine."""
    days = sorted({p.parent.name.removeprefix("date=") for p in raw_files(data_dir, venue)})
    assert days, f"no raw log for {venue} under {data_dir}"
    written = compact_day(data_dir, days[-1]).written
    replay = BronzeReplay(keep_state=True, **kwargs)
    replay.feed(pq.ParquetFile(written.path).iter_batches(columns=list(COLUMNS)))
    replay.finish()
    return replay


async def until(condition: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.01)


class Live:
    def __init__(self, server: MarketChannelServer, stream: PolymarketStream, data_dir: Path):
        self.server, self.stream, self.data_dir = server, stream, data_dir

    @property
    def world(self) -> MarketWorld:
        return self.server.world

    def subscribed(self) -> list[str]:
        return sorted(self.stream.shard_of)

    def equal(self, assets: list[str] | None = None) -> bool:
        books = self.stream.machine.books()
        return all(books.get(a) == self.world.books[a].levels() for a in (assets or self.subscribed()))

    async def settle(self, timeout: float = 10.0, assets: list[str] | None = None) -> None:
        """Wait until every followed book is fresh and equal to the server's."""
        await until(lambda: bool(self.subscribed()) and self.equal(assets), timeout, "the client's books to equal the server's")

    def replayed_state(self):
        return replay_polymarket(iter_records(raw_files(self.data_dir, "polymarket"))).state()

    def bronze_state(self):
        return bronze_replay(self.data_dir, "polymarket").state("polymarket")


@asynccontextmanager
async def live_stream(
    tmp_path: Path,
    world: MarketWorld,
    *,
    assets: list[str] | None = None,
    targets: list[Target] | None = None,
    discover: Any = None,
    rest_books: Any = None,
    machine: Any = None,
    **options: Any,
) -> AsyncIterator[Live]:
    async with MarketChannelServer(world) as server:
        writer = RawLogWriter(tmp_path, "polymarket", session="T", flush_interval=0.05).start()
        opts = replace(FAST, url=server.url, **options)
        if targets is None:
            targets = [Target(a, world.books[a].market) for a in (assets or world.asset_ids())]
        stream = PolymarketStream(opts, writer=writer, targets=targets, discover=discover, session_tag="T/", rest_books=rest_books,
                                  machine=machine)
        stop = asyncio.Event()
        task = asyncio.create_task(stream.run(stop))
        live = Live(server, stream, tmp_path)
        try:
            yield live
        finally:
            live.state_before_stop = stream.machine.state()
            stop.set()
            await asyncio.wait_for(task, 10)
            writer.close()
            live.state_after_stop = stream.machine.state()

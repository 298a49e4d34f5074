"""The Polymarket market-channel stream: shards, subscriptions, the book machine and the raw log together.

* Every record (frame received, subscription sent, open/close, watchdog verdicts, resyncs) goes through
  :meth:`PolymarketStream.record` (a :class:`~polymarket_assets.streaming.ws.journal.Journal`): appended to the
  raw log, then fed to the book machine, in the same order, on the event-loop thread — so a replay of the log
  rebuilds the same books and gaps (a new UTC day starts with the machine's day checkpoint).
* Assets are placed on shards of at most ``max_assets_per_connection``; both tokens of a market go to the same
  shard when they arrive together (one ``price_change`` carries both). New connections open one at a time,
  ``open_interval`` apart (many at once draw 429s).
* The wanted set comes from a discovery callable (``discover(now) -> instrument dicts``; run in a thread,
  every ``discovery_interval`` s) through :class:`~polymarket_assets.streaming.ws.selection.Selection`,
  re-evaluated every second so window boundaries are met on time. In ``all_active`` mode a ``new_market``
  subscribes its tokens at once and a ``market_resolved`` unsubscribes them.
* A shard that cannot connect retries forever once the stream has connected at least once; if no connection
  ever opened after ``connect_attempts`` attempts the stream fails with :class:`StreamUnreachable` naming the
  URL and its setting.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from polymarket_assets import settings
from polymarket_assets.clients.clob_ws import MarketResolvedEvent, NewMarketEvent
from polymarket_assets.streaming.ws import records as R
from polymarket_assets.streaming.ws.config import PolymarketWsOptions, StreamUnreachable, unreachable
from polymarket_assets.streaming.ws.journal import Journal
from polymarket_assets.streaming.ws.metrics import VenueMetrics
from polymarket_assets.streaming.ws.polymarket_books import PolymarketBooks
from polymarket_assets.streaming.ws.polymarket_conn import Shard
from polymarket_assets.streaming.ws.selection import Selection, Target, targets_from_instruments

log = logging.getLogger(__name__)

VENUE = "polymarket"
Discover = Callable[[float], Iterable[dict[str, Any]]]
RestBooks = Callable[[Sequence[str]], list[dict[str, Any]]]


class PolymarketStream:
    def __init__(
        self,
        options: PolymarketWsOptions,
        *,
        writer: Any,
        discover: Discover | None = None,
        targets: Iterable[Target] = (),
        machine: PolymarketBooks | None = None,
        rest_books: RestBooks | None = None,
        session_tag: str = "",
        user_agent: str | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self.options = options
        self.writer = writer
        self.discover = discover
        self.machine = machine or PolymarketBooks()
        self.rest_books = rest_books
        self.session_tag = session_tag
        self.user_agent = user_agent or settings.user_agent()
        self.clock = clock
        self.metrics = VenueMetrics(VENUE, self.machine, writer)
        self.journal = Journal(writer, self.machine)
        self.selection = Selection(lead_seconds=options.lead_seconds, grace_seconds=options.grace_seconds)
        self.selection.update_discovered(targets)
        self.shards: list[Shard] = []
        self.shard_of: dict[str, Shard] = {}
        self.stopping = False
        self.ever_connected = False
        self.failure: BaseException | None = None
        self._stop = asyncio.Event()
        self._gate = asyncio.Lock()
        self._last_open = 0.0
        self._reconcile_lock = asyncio.Lock()

    # -- the one entry of every record ---------------------------------------------------------------
    def record(self, rec: R.Record) -> None:
        effects = self.journal.record(rec)
        if effects is None:
            return
        if effects.resync:
            by_shard: dict[int, list[str]] = {}
            for asset in effects.resync:
                shard = self.shard_of.get(asset)
                if shard is not None:
                    by_shard.setdefault(shard.index, []).append(asset)
            for index, assets in by_shard.items():
                self.shards[index].request_resync(assets)
        if effects.lifecycle and self.options.all_active:
            for event in effects.lifecycle:
                if isinstance(event, NewMarketEvent) and event.active is not False:
                    self.selection.add_live(Target(a, event.market, "new_market") for a in event.asset_ids)
                elif isinstance(event, MarketResolvedEvent):
                    self.selection.resolve(event.asset_ids)
            asyncio.get_running_loop().create_task(self.reconcile())

    # -- helpers for the shards -------------------------------------------------------------------
    async def open_gate(self) -> None:
        async with self._gate:
            wait = self._last_open + self.options.open_interval - time.monotonic()
            if wait > 0:
                await self.sleep(wait)
            self._last_open = time.monotonic()

    async def sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stop.wait(), seconds)
        except asyncio.TimeoutError:
            pass

    def fail_unreachable(self, attempts: int, error: BaseException | None) -> None:
        if self.failure is None:
            self.failure = unreachable(self.options.url, self.options.url_origin, settings.POLYMARKET_WS_URL, attempts, error)
            log.error("%s", self.failure)
        self._stop.set()

    # -- subscriptions ----------------------------------------------------------------------------
    async def reconcile(self) -> None:
        async with self._reconcile_lock:
            wanted = self.selection.wanted(self.clock())
            gone = [a for a in self.shard_of if a not in wanted]
            by_shard: dict[int, list[str]] = {}
            for asset in gone:
                by_shard.setdefault(self.shard_of.pop(asset).index, []).append(asset)
            for index, assets in by_shard.items():
                await self.shards[index].remove(assets)
            new: dict[str, list[str]] = {}
            for asset, target in wanted.items():
                if asset not in self.shard_of:  # a market's tokens together; an asset of unknown market alone
                    new.setdefault(target.market or f"asset:{asset}", []).append(asset)
            cap = self.options.max_assets_per_connection
            groups = [g[i:i + cap] for g in new.values() for i in range(0, len(g), cap)]
            placements: dict[int, list[str]] = {}
            for group in groups:
                shard = self._shard_with_room(len(group), placements)
                placements.setdefault(shard.index, []).extend(group)
                for asset in group:
                    self.shard_of[asset] = shard
            for index, assets in placements.items():
                await self.shards[index].add(assets)
                self._ensure_running(self.shards[index])

    def _shard_with_room(self, n: int, placements: dict[int, list[str]]) -> Shard:
        cap = self.options.max_assets_per_connection
        for shard in self.shards:
            if len(shard.assets) + len(placements.get(shard.index, ())) + n <= cap:
                return shard
        shard = Shard(self, len(self.shards))
        self.shards.append(shard)
        return shard

    def _ensure_running(self, shard: Shard) -> None:
        if shard.task is None and not self.stopping:
            shard.task = asyncio.get_running_loop().create_task(self._guard(shard), name=f"polymarket-shard-{shard.index}")

    async def _guard(self, shard: Shard) -> None:
        """A shard's crash is logged and the shard restarted: one connection never stops the others."""
        while not self.stopping:
            try:
                await shard.run()
                return
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001
                self.metrics.incr("shard_crashes")
                log.exception("polymarket ws shard %d crashed; restarting it", shard.index)
                await self.sleep(1.0)

    async def _discovery_loop(self) -> None:
        while not self.stopping:
            if self.discover is not None:
                try:
                    instruments = await asyncio.to_thread(self.discover, self.clock())
                    self.selection.update_discovered(targets_from_instruments(instruments, VENUE))
                except Exception as exc:  # noqa: BLE001 - keep the previous set
                    self.metrics.incr("discovery_errors")
                    log.warning("polymarket ws discovery failed (keeping the previous set): %s", exc)
            await self.reconcile()
            deadline = time.monotonic() + (self.options.discovery_interval if self.discover is not None else 3600)
            while not self.stopping and time.monotonic() < deadline:
                await self.sleep(1.0)
                await self.reconcile()  # window boundaries (lead / grace) are met within a second

    # -- run ------------------------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Run until ``stop`` is set (or the task is cancelled); raises :class:`StreamUnreachable`."""
        discovery = asyncio.create_task(self._discovery_loop(), name="polymarket-discovery")
        waiters = [asyncio.create_task(self._stop.wait())]
        if stop is not None:
            waiters.append(asyncio.create_task(stop.wait()))
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            await self.shutdown(discovery, *waiters)
        if self.failure is not None:
            raise self.failure

    async def shutdown(self, *extra: asyncio.Task) -> None:
        self.stopping = True
        self._stop.set()
        tasks = [t for t in extra] + [s.task for s in self.shards if s.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


__all__ = ["PolymarketStream", "StreamUnreachable"]

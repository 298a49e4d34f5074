"""One market-channel connection (a shard of at most ``max_assets_per_connection`` assets), on the
``websockets`` asyncio client. It reconnects by itself (exponential backoff with full jitter) and replays its
own subscriptions; its failures never reach the other shards.

While connected it runs four tasks: the reader (every frame -> the stream's ``record``), the text ``PING``
heartbeat every ``ping_interval`` s, the silence watchdog (no data frame — ``PONG`` does not count — for
``silence_timeout`` s: the books are marked stale and the connection is reopened, because a frozen socket
may still answer ``PONG``; assets still without a ``book`` after ``silence_timeout`` are resynced), and the
resyncer (stale assets: unsubscribe + subscribe for a fresh ``book``, or REST ``POST /books``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from typing import TYPE_CHECKING, Any

import websockets
from websockets.asyncio.client import connect

from polymarket_assets.clients import fastjson
from polymarket_assets.clients.clob_ws import PING, SUBSCRIBE, UNSUBSCRIBE, initial_subscribe, update_subscription
from polymarket_assets.streaming.ws import gaps as G
from polymarket_assets.streaming.ws import records as R

if TYPE_CHECKING:
    from polymarket_assets.streaming.ws.polymarket_stream import PolymarketStream

log = logging.getLogger(__name__)

VENUE = "polymarket"
CONNECT_ERRORS = (OSError, asyncio.TimeoutError, websockets.exceptions.InvalidHandshake, websockets.exceptions.InvalidURI)


def backoff_delay(attempt: int, initial: float, maximum: float, rng: random.Random) -> float:
    """Exponential backoff with jitter: uniform(c/2, c) with c = min(max, initial * 2**(attempt-1))."""
    ceiling = min(maximum, initial * (2 ** max(attempt - 1, 0)))
    return rng.uniform(ceiling / 2, ceiling)


class Shard:
    def __init__(self, stream: "PolymarketStream", index: int):
        self.stream = stream
        self.index = index
        self.assets: set[str] = set()
        self.generation = 0
        self.conn_id = f"{stream.session_tag}p{index:03d}.0"
        self.ws: Any = None  # the websockets ClientConnection while connected
        self.initial_sent = False  # the first frame of a connection must be the "type": "market" subscribe
        self.connected = asyncio.Event()
        self._resync: set[str] = set()
        self._last_resync: dict[str, float] = {}
        self._resync_wake = asyncio.Event()
        self._rng = random.Random(hash((stream.session_tag, index)))
        self.task: asyncio.Task | None = None

    # -- subscription changes (called by the stream) ----------------------------------------------
    async def add(self, assets: list[str]) -> None:
        new = [a for a in assets if a not in self.assets]
        self.assets.update(new)
        if new and self.ws is not None and self.connected.is_set():
            if self.initial_sent:
                await self._send_logged(update_subscription(new, SUBSCRIBE))
            else:
                await self._send_initial()

    async def _send_initial(self) -> None:
        self.initial_sent = True
        await self._send_logged(initial_subscribe(sorted(self.assets), custom_feature_enabled=self.stream.options.custom_feature_enabled))

    async def remove(self, assets: list[str]) -> None:
        gone = [a for a in assets if a in self.assets]
        self.assets.difference_update(gone)
        if not gone:
            return
        if self.ws is not None and self.connected.is_set():
            await self._send_logged(update_subscription(gone, UNSUBSCRIBE))
        else:  # down: nothing to send (the reconnect subscribes without them), but the books stop being followed
            self.stream.record(R.Record(time.time_ns(), VENUE, self.conn_id, R.SENT, update_subscription(gone, UNSUBSCRIBE)))

    def request_resync(self, assets: list[str]) -> None:
        self._resync.update(assets)
        self._resync_wake.set()

    async def _send_logged(self, text: str) -> None:
        self.stream.record(R.Record(time.time_ns(), VENUE, self.conn_id, R.SENT, text))
        try:
            await self.ws.send(text)
        except websockets.exceptions.ConnectionClosed:
            pass  # the reader sees the close; the reconnect replays every subscription

    # -- connection loop -------------------------------------------------------------------------
    async def run(self) -> None:
        opts = self.stream.options
        attempts = 0
        last_error: BaseException | None = None
        while not self.stream.stopping:
            await self.stream.open_gate()
            if self.stream.stopping:
                break
            try:
                ws = await connect(
                    opts.url,
                    ping_interval=None,  # the venue's heartbeat is the application-level text PING
                    open_timeout=opts.open_timeout,
                    close_timeout=opts.close_timeout,
                    max_size=opts.max_frame_bytes,
                    compression=opts.compression,
                    user_agent_header=self.stream.user_agent,
                )
            except CONNECT_ERRORS as exc:
                attempts += 1
                last_error = exc
                self.stream.metrics.incr("connect_failures")
                log.warning("polymarket ws shard %d: connect to %s failed (attempt %d): %s", self.index, opts.url, attempts, exc)
                if not self.stream.ever_connected and attempts >= opts.connect_attempts:
                    self.stream.fail_unreachable(attempts, last_error)
                    return
                await self.stream.sleep(backoff_delay(attempts, opts.backoff_initial, opts.backoff_max, self._rng))
                continue
            self.stream.ever_connected = True
            opened = time.monotonic()
            reason = await self._session(ws)
            if self.stream.stopping:
                break
            self.stream.metrics.incr("reconnects")
            lived = time.monotonic() - opened
            attempts = 1 if lived > 60 else attempts + 1
            delay = backoff_delay(attempts, opts.backoff_initial, opts.backoff_max, self._rng)
            log.warning("polymarket ws %s closed (%s) after %.1f s; reconnecting in %.2f s", self.conn_id, reason, lived, delay)
            await self.stream.sleep(delay)

    async def _session(self, ws) -> str:  # noqa: ANN001 - websockets ClientConnection
        opts = self.stream.options
        self.generation += 1
        self.conn_id = f"{self.stream.session_tag}p{self.index:03d}.{self.generation}"
        self.ws = ws
        self.stream.record(R.Record(time.time_ns(), VENUE, self.conn_id, R.OPEN, opts.url))
        self.stream.metrics.connections_open += 1
        reason = "closed"
        tasks: list[asyncio.Task] = []
        self.initial_sent = False
        try:
            if self.assets:
                await self._send_initial()
            self.connected.set()
            tasks = [
                asyncio.create_task(self._reader(ws), name=f"{self.conn_id}-reader"),
                asyncio.create_task(self._pinger(ws), name=f"{self.conn_id}-ping"),
                asyncio.create_task(self._watchdog(), name=f"{self.conn_id}-watchdog"),
                asyncio.create_task(self._resyncer(), name=f"{self.conn_id}-resync"),
            ]
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task.cancelled():
                    continue
                exc = task.exception()
                reason = f"{type(exc).__name__}: {exc}" if exc is not None else (task.result() or "closed")
        except asyncio.CancelledError:
            reason = "stop"
            raise
        except websockets.exceptions.ConnectionClosed as exc:
            reason = f"ConnectionClosed: {exc}"
        finally:
            self.connected.clear()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self.stream.metrics.connections_open -= 1
            self.stream.record(R.Record(time.time_ns(), VENUE, self.conn_id, R.CLOSE, json.dumps({"reason": "stop" if self.stream.stopping else reason})))
            self.ws = None
            try:
                await asyncio.wait_for(ws.close(), opts.close_timeout)
            except BaseException:  # noqa: BLE001 - already broken; nothing more to do
                ws.transport.abort() if getattr(ws, "transport", None) is not None else None
        return reason

    async def _reader(self, ws) -> str:  # noqa: ANN001
        record = self.stream.record
        conn = self.conn_id
        try:
            async for message in ws:
                record(R.Record(time.time_ns(), VENUE, conn, R.RECV, message if isinstance(message, str) else message.decode("utf-8", "replace")))
        except websockets.exceptions.ConnectionClosed as exc:
            return f"ConnectionClosed: {exc}"
        return "closed by the server"

    async def _pinger(self, ws) -> str:  # noqa: ANN001
        while True:
            await asyncio.sleep(self.stream.options.ping_interval)
            await ws.send(PING)

    async def _watchdog(self) -> str:
        opts = self.stream.options
        machine = self.stream.machine
        step = min(1.0, opts.silence_timeout / 4)
        since = time.time_ns()
        while True:
            await asyncio.sleep(step)
            now = time.time_ns()
            last = max(machine.last_data_ns.get(self.conn_id, since), since)
            if self.assets and now - last > opts.silence_timeout * 1e9:
                self.stream.metrics.incr("silences")
                self.stream.record(R.Record(now, VENUE, self.conn_id, R.STALE, json.dumps({"reason": G.SILENCE, "assets": None})))
                return f"silent for {(now - last) / 1e9:.1f} s"
            waiting = machine.awaiting(self.conn_id, now - int(opts.silence_timeout * 1e9))
            if waiting:
                self.stream.record(R.Record(now, VENUE, self.conn_id, R.STALE, json.dumps({"reason": G.NO_SNAPSHOT, "assets": waiting})))
                self.request_resync(waiting)

    async def _resyncer(self) -> None:
        opts = self.stream.options
        while True:
            await self._resync_wake.wait()
            await asyncio.sleep(opts.resync_delay)
            self._resync_wake.clear()
            now = time.monotonic()
            wanted = [a for a in self._resync if a in self.assets]
            assets = sorted(a for a in wanted if now - self._last_resync.get(a, -1e18) >= opts.resync_min_interval)
            later = [a for a in wanted if a not in assets]
            self._resync = set(later)
            if later:  # resynced too recently: wait until the first of them may go again (the books stay stale meanwhile)
                self.stream.metrics.incr("resyncs_deferred", len(later))
                wait = min(opts.resync_min_interval - (now - self._last_resync[a]) for a in later)
                asyncio.get_running_loop().call_later(max(wait, 0.0), self._resync_wake.set)
            if not assets:
                continue
            for asset in assets:
                self._last_resync[asset] = now
            self.stream.metrics.incr("resyncs")
            self.stream.metrics.incr("resync_assets", len(assets))
            if opts.resync_via == "rest" and self.stream.rest_books is not None and await self._resync_rest(assets):
                continue
            self.stream.record(R.Record(time.time_ns(), VENUE, self.conn_id, R.RESYNC, json.dumps({"via": "resubscribe", "assets": assets})))
            await self.ws.send(update_subscription(assets, UNSUBSCRIBE))
            await self.ws.send(update_subscription(assets, SUBSCRIBE))

    async def _resync_rest(self, assets: list[str]) -> bool:
        self.stream.record(R.Record(time.time_ns(), VENUE, self.conn_id, R.RESYNC, json.dumps({"via": "rest", "assets": assets})))
        try:
            books = await asyncio.to_thread(self.stream.rest_books, assets)  # type: ignore[arg-type]
        except Exception as exc:  # noqa: BLE001 - fall back to a resubscribe
            log.warning("REST resync of %d assets on %s failed (%s); resubscribing instead", len(assets), self.conn_id, exc)
            return False
        self.stream.record(R.Record(time.time_ns(), VENUE, self.conn_id, R.REST, fastjson.dumps(list(books)).decode()))
        missing = [a for a in assets if self.stream.machine.status(a) != "fresh"]
        if missing:
            self.stream.record(R.Record(time.time_ns(), VENUE, self.conn_id, R.RESYNC, json.dumps({"via": "resubscribe", "assets": missing})))
            await self.ws.send(update_subscription(missing, UNSUBSCRIBE))
            await self.ws.send(update_subscription(missing, SUBSCRIBE))
        return True

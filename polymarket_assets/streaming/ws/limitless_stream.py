"""The Limitless Socket.IO stream: one ``python-socketio`` asyncio client on the ``/markets`` namespace.

* Every received event (catch-all handler, so unknown events are kept too) becomes a ``recv`` record — the
  JSON of its packet data ``["<event>", <payload>]``, the form of the real captures (the client decodes the
  Socket.IO packet before handing it over, so the text is re-encoded: same values, floats in shortest form).
* On every (re)connect, and whenever the wanted set changes, ``subscribe_market_prices`` is emitted with the
  WHOLE set (a new call replaces the set), logged as a ``sent`` record. The venue answers with a full book
  per market, which also heals the books a reconnect made stale.
* Reconnection after a drop is python-socketio's own (exponential backoff, delay jittered by ±0.5 s);
  the first connection is retried here, and fails with :class:`StreamUnreachable` naming ``LIMITLESS_WS_URL``.
* The wanted set: every active CLOB market of the configured underlyings, from the discovery callable
  (the existing Limitless discoverer's instruments), refreshed every ``discovery_interval`` s; a
  ``marketResolved`` drops its market at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Callable, Iterable
from typing import Any

import socketio

from polymarket_assets import settings
from polymarket_assets.clients.limitless_ws import SUBSCRIBE_EVENT, event_text, subscribe_payload
from polymarket_assets.streaming.ws import records as R
from polymarket_assets.streaming.ws.config import LimitlessWsOptions, unreachable
from polymarket_assets.streaming.ws.journal import Journal
from polymarket_assets.streaming.ws.limitless_books import LimitlessBooks
from polymarket_assets.streaming.ws.metrics import VenueMetrics
from polymarket_assets.streaming.ws.polymarket_conn import backoff_delay
from polymarket_assets.streaming.ws.selection import Selection, Target, targets_from_instruments

log = logging.getLogger(__name__)

VENUE = "limitless"


class LimitlessStream:
    def __init__(
        self,
        options: LimitlessWsOptions,
        *,
        writer: Any,
        discover: Callable[[float], Iterable[dict[str, Any]]] | None = None,
        targets: Iterable[Target] = (),
        machine: LimitlessBooks | None = None,
        session_tag: str = "",
        user_agent: str | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self.options = options
        self.writer = writer
        self.discover = discover
        self.machine = machine or LimitlessBooks()
        self.session_tag = session_tag
        self.user_agent = user_agent or settings.user_agent()
        self.clock = clock
        self.metrics = VenueMetrics(VENUE, self.machine, writer)
        self.journal = Journal(writer, self.machine)
        self.selection = Selection(lead_seconds=options.lead_seconds, grace_seconds=options.grace_seconds)
        self.selection.update_discovered(targets)
        self.subscribed: list[str] | None = None
        self.generation = 0
        self.conn_id = f"{session_tag}l.0"
        self.stopping = False
        self._rng = random.Random(session_tag)
        self.sio = socketio.AsyncClient(
            reconnection=True,
            reconnection_attempts=0,
            reconnection_delay=options.backoff_initial,
            reconnection_delay_max=options.backoff_max,
            randomization_factor=0.5,
            logger=False,
            engineio_logger=False,
        )
        ns = options.namespace
        self.sio.on("connect", self._on_connect, namespace=ns)
        self.sio.on("disconnect", self._on_disconnect, namespace=ns)
        self.sio.on("*", self._on_event, namespace=ns)

    def record(self, rec: R.Record) -> None:
        resolved = self.journal.record(rec)
        if resolved is not None:
            self.selection.resolve([resolved.slug])
            asyncio.get_running_loop().create_task(self.resubscribe())

    # -- Socket.IO handlers ---------------------------------------------------------------------------
    async def _on_connect(self) -> None:
        self.generation += 1
        self.conn_id = f"{self.session_tag}l.{self.generation}"
        self.metrics.connections_open = 1
        if self.generation > 1:
            self.metrics.incr("reconnects")
        self.record(R.Record(time.time_ns(), VENUE, self.conn_id, R.OPEN, self.options.url))
        self.subscribed = None
        await self.resubscribe()

    async def _on_disconnect(self, reason: Any = None) -> None:
        self.metrics.connections_open = 0
        why = "stop" if self.stopping else str(reason or "disconnected")
        self.record(R.Record(time.time_ns(), VENUE, self.conn_id, R.CLOSE, json.dumps({"reason": why})))

    async def _on_event(self, event: str, *args: Any) -> None:
        self.record(R.Record(time.time_ns(), VENUE, self.conn_id, R.RECV, event_text(event, args)))

    # -- subscriptions ----------------------------------------------------------------------------
    async def resubscribe(self, force: bool = False) -> None:
        slugs = sorted(self.selection.wanted(self.clock()))
        if not self.sio.connected or (slugs == self.subscribed and not force):
            return
        payload = subscribe_payload(slugs)
        self.record(R.Record(time.time_ns(), VENUE, self.conn_id, R.SENT, json.dumps([SUBSCRIBE_EVENT, payload])))
        self.subscribed = slugs
        try:
            await self.sio.emit(SUBSCRIBE_EVENT, payload, namespace=self.options.namespace)
        except socketio.exceptions.BadNamespaceError:
            self.subscribed = None  # not connected after all: the connect handler sends it

    async def _discovery_loop(self) -> None:
        while not self.stopping:
            if self.discover is not None:
                try:
                    instruments = await asyncio.to_thread(self.discover, self.clock())
                    self.selection.update_discovered(targets_from_instruments(instruments, VENUE))
                except Exception as exc:  # noqa: BLE001 - keep the previous set
                    self.metrics.incr("discovery_errors")
                    log.warning("limitless ws discovery failed (keeping the previous set): %s", exc)
            # on every discovery pass the whole set is sent again: a cheap refresh of every book
            await self.resubscribe(force=self.discover is not None)
            deadline = time.monotonic() + (self.options.discovery_interval if self.discover is not None else 3600)
            while not self.stopping and time.monotonic() < deadline:
                await asyncio.sleep(1.0)
                await self.resubscribe()

    # -- run --------------------------------------------------------------------------------------------
    async def _connect_first(self) -> None:
        opts = self.options
        last: BaseException | None = None
        for attempt in range(1, opts.connect_attempts + 1):
            try:
                await self.sio.connect(
                    opts.url,
                    namespaces=[opts.namespace],
                    transports=["websocket"],
                    headers={"User-Agent": self.user_agent},
                    wait_timeout=opts.open_timeout,
                )
                return
            except (socketio.exceptions.ConnectionError, OSError, asyncio.TimeoutError) as exc:
                last = exc
                self.metrics.incr("connect_failures")
                log.warning("limitless ws: connect to %s failed (attempt %d): %s", opts.url, attempt, exc)
                if attempt < opts.connect_attempts:
                    await asyncio.sleep(backoff_delay(attempt, opts.backoff_initial, opts.backoff_max, self._rng))
        await self._close_http()
        raise unreachable(opts.url, opts.url_origin, settings.LIMITLESS_WS_URL, opts.connect_attempts, last)

    async def run(self, stop: asyncio.Event | None = None) -> None:
        await self._connect_first()
        discovery = asyncio.create_task(self._discovery_loop(), name="limitless-discovery")
        try:
            if stop is not None:
                await stop.wait()
            else:
                await asyncio.Event().wait()
        finally:
            self.stopping = True
            discovery.cancel()
            await asyncio.gather(discovery, return_exceptions=True)
            try:
                await asyncio.wait_for(self.sio.disconnect(), 5)
            except BaseException:  # noqa: BLE001 - stopping anyway
                pass
            if self.metrics.connections_open:  # the disconnect handler did not run (cancelled): record it
                await self._on_disconnect("stop")
            await self._close_http()

    async def _close_http(self) -> None:
        """Close the engine.io client's aiohttp session (left open after a failed connect)."""
        http = getattr(self.sio.eio, "http", None)
        if http is not None and not http.closed:
            await http.close()

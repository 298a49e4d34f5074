"""A local CLOB market-channel WebSocket server on 127.0.0.1 (``websockets`` asyncio server) speaking the
protocol of api_reference §4/§7.1 with the frames of :mod:`clob_ws_world` (real captures, or SYNTHETIC
worlds in their shapes). Reusable by the tests, the benchmark and an offline replay.

Protocol: the first client frame ``{"assets_ids": [...], "type": "market", ...}`` subscribes; later
``{"assets_ids": [...], "operation": "subscribe"|"unsubscribe"}`` change the set; every subscribe is
answered by the assets' ``book`` events in ONE array frame (a duplicate subscribe is ignored, as the venue
does); the text ``PING`` is answered ``PONG``. A ``price_change`` goes to every connection subscribed to one
of its assets.

Faults: :meth:`drop` (abrupt: the TCP connection is aborted, no close frame), :meth:`freeze` (data stops,
``PONG`` still answered), :meth:`send_raw` (e.g. a malformed frame), a lost delta
(:meth:`MarketWorld.hidden_top_change`: the next best_bid/best_ask disagree with the client's book),
:meth:`tick_size_change`, ``new_market`` / ``market_resolved`` (real frames via :meth:`broadcast_raw`).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from polymarket_assets_tests.support.clob_ws_world import MarketWorld


@dataclass
class ServerConn:
    id: int
    ws: ServerConnection
    assets: set[str] = field(default_factory=set)
    frozen: bool = False
    frames_sent: int = 0
    pings: int = 0
    first: dict[str, Any] | None = None  # the first subscription frame of the connection


class MarketChannelServer:
    def __init__(self, world: MarketWorld, *, host: str = "127.0.0.1", port: int = 0, compression: str | None = "deflate"):
        self.world = world
        self.host = host
        self.port = port
        self.compression = compression
        self.conns: dict[int, ServerConn] = {}
        self.log: list[tuple[float, int, str, list[str]]] = []  # (time, conn id, op, assets) of every subscription frame
        self.max_assets_per_conn = 0
        self.connections_total = 0
        self._ids = itertools.count(1)
        self._server = None
        self.subscribers: dict[str, set[int]] = {}  # asset -> ids of the connections subscribed to it
        self.record_sent = False
        self.sent: list[tuple[float, int, str]] = []  # (time, conn id, frame) when record_sent

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}/ws/market"

    async def __aenter__(self) -> "MarketChannelServer":
        self._server = await serve(self._handler, self.host, self.port, ping_interval=None, compression=self.compression, max_size=None)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.close()
        await self._server.wait_closed()

    # -- protocol -----------------------------------------------------------------------------------------
    async def _handler(self, ws: ServerConnection) -> None:
        conn = ServerConn(next(self._ids), ws)
        self.conns[conn.id] = conn
        self.connections_total += 1
        try:
            async for message in ws:
                if message == "PING":
                    conn.pings += 1
                    await ws.send("PONG")
                    continue
                await self._client_frame(conn, message)
        except ConnectionClosed:
            pass
        finally:
            self.conns.pop(conn.id, None)
            for asset in conn.assets:
                self.subscribers.get(asset, set()).discard(conn.id)

    async def _client_frame(self, conn: ServerConn, message: str | bytes) -> None:
        try:
            msg = json.loads(message)
        except ValueError:
            return
        if conn.first is None:
            conn.first = msg
        ids = [str(a) for a in msg.get("assets_ids", [])]
        op = msg.get("operation") or ("subscribe" if msg.get("type") in ("market", "MARKET") else None)
        self.log.append((time.time(), conn.id, str(op), ids))
        if op == "subscribe":
            new = [a for a in ids if a not in conn.assets]
            conn.assets.update(new)
            for asset in new:
                self.subscribers.setdefault(asset, set()).add(conn.id)
            self.max_assets_per_conn = max(self.max_assets_per_conn, len(conn.assets))
            books = [self.world.books[a].frame() for a in new if a in self.world.books]
            if books and not conn.frozen:
                await self._send(conn, json.dumps(books))
        elif op == "unsubscribe":
            conn.assets.difference_update(ids)
            for asset in ids:
                self.subscribers.get(asset, set()).discard(conn.id)

    async def _send(self, conn: ServerConn, text: str) -> None:
        try:
            await conn.ws.send(text)
            conn.frames_sent += 1
            if self.record_sent:
                self.sent.append((time.time(), conn.id, text))
        except ConnectionClosed:
            pass

    # -- driving ---------------------------------------------------------------------------------------------
    async def broadcast(self, frame: dict[str, Any] | list[Any]) -> int:
        """Send one event (or array of events) to every unfrozen connection subscribed to one of its assets."""
        return await self.send_text(self.targets_of(frame), json.dumps(frame))

    def targets_of(self, frame: dict[str, Any] | list[Any]) -> set[int]:
        """The connections subscribed to one of the frame's assets."""
        items = frame if isinstance(frame, list) else [frame]
        targets: set[int] = set()
        for event in items:
            for asset in [event.get("asset_id")] + [c["asset_id"] for c in event.get("price_changes", ())]:
                targets |= self.subscribers.get(asset, set())
        return targets

    async def send_text(self, targets: set[int], text: str) -> int:
        """Send a prepared frame to the given connections (unless frozen); returns how many got it."""
        sent = 0
        for conn_id in sorted(targets):
            conn = self.conns.get(conn_id)
            if conn is not None and not conn.frozen:
                await self._send(conn, text)
                sent += 1
        return sent

    async def broadcast_raw(self, text: str) -> None:
        """Send a text frame as is to every unfrozen connection (market-wide events, malformed frames)."""
        for conn in list(self.conns.values()):
            if not conn.frozen:
                await self._send(conn, text)

    async def send_raw(self, conn_id: int, text: str) -> None:
        await self._send(self.conns[conn_id], text)

    async def random_changes(self, n: int, assets: list[str] | None = None, *, pause: float = 0.0) -> int:
        """``n`` SYNTHETIC price changes on random subscribed assets (or ``assets``; any asset when nobody is
        connected: the venue goes on without us); returns the frames made."""
        pool = assets or sorted({a for c in self.conns.values() for a in c.assets if a in self.world.books}) or self.world.asset_ids()
        sent = 0
        for _ in range(n):
            frame = self.world.random_change(self.world.rng.choice(pool))
            if frame is not None:
                await self.broadcast(frame)
                sent += 1
            if pause:
                await asyncio.sleep(pause)
        return sent

    async def play_scripted(self) -> None:
        """Send the real scripted frames (verbatim) and apply them to the server books."""
        for frame in self.world.scripted:
            self.world.apply_scripted(frame)
            await self.broadcast(frame)

    async def tick_size_change(self, asset_id: str, new: str) -> None:
        await self.broadcast(self.world.tick_size_frame(asset_id, new))

    def conn_of(self, asset_id: str) -> ServerConn | None:
        return next((c for c in self.conns.values() if asset_id in c.assets), None)

    def drop(self, conn_id: int | None = None) -> int:
        """Abort connections abruptly (no close frame); all of them when ``conn_id`` is None."""
        targets = [self.conns[conn_id]] if conn_id is not None else list(self.conns.values())
        for conn in targets:
            conn.ws.transport.abort()
        return len(targets)

    def freeze(self, conn_id: int) -> None:
        """Stop sending data on a connection while still answering PING with PONG."""
        self.conns[conn_id].frozen = True

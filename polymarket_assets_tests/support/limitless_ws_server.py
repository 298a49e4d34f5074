"""A local Limitless Socket.IO server on 127.0.0.1 (python-socketio ``AsyncServer`` on aiohttp), namespace
``/markets``, built from the real frames in ``fixtures/real/limitless/ws_*.json``.

* ``subscribe_market_prices`` with ``{"marketSlugs": [...]}`` REPLACES the client's set; the server answers
  with the real ``system`` acknowledgement shape and one full ``orderbookUpdate`` per market.
* Books start as the real captured ones (``eth-up-or-down-daily-1788105600``,
  ``btc-up-or-down-5-min-1788267900``); :meth:`LimitlessServer.add_synthetic_market` adds SYNTHETIC markets
  with a real book's shape. :meth:`update` changes a book and sends the full book again with a higher,
  non-contiguous ``version`` (as the venue does); :meth:`resolve` sends the real ``marketResolved`` shape 3x.
* :meth:`drop` aborts a client's transport (no Socket.IO disconnect packet), so the client reconnects.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import socketio
from aiohttp import web

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "limitless"
NAMESPACE = "/markets"


def real_frame(name: str) -> list[Any]:
    return json.loads((REAL / name).read_text())


class LimitlessServer:
    def __init__(self, *, host: str = "127.0.0.1", seed: int = 3):
        self.host = host
        self.port = 0
        self.rng = random.Random(seed)
        self.sio = socketio.AsyncServer(async_mode="aiohttp", logger=False, engineio_logger=False)
        self.transports: set[Any] = set()
        self.app = web.Application(middlewares=[self._track_transport])
        self.sio.attach(self.app)
        self.runner: web.AppRunner | None = None
        self.subs: dict[str, set[str]] = {}  # sid -> slugs
        self.books: dict[str, dict[str, Any]] = {}  # slug -> orderbookUpdate payload (real shape)
        self.version = 7_861_372
        self.subscribe_calls: list[tuple[str, list[str]]] = []
        self.connects = 0
        for name in ("ws_orderbookUpdate_full_book_eth_daily.json", "ws_orderbookUpdate_last_before_resolution_btc_5min.json"):
            payload = real_frame(name)[1]
            self.books[payload["marketSlug"]] = payload
        self.sio.on("connect", self._connect, namespace=NAMESPACE)
        self.sio.on("disconnect", self._disconnect, namespace=NAMESPACE)
        self.sio.on("subscribe_market_prices", self._subscribe, namespace=NAMESPACE)

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    async def __aenter__(self) -> "LimitlessServer":
        self.runner = web.AppRunner(self.app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, self.host, 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.runner is not None
        await self.runner.cleanup()

    @web.middleware
    async def _track_transport(self, request: web.Request, handler: Any) -> Any:
        transport = request.transport
        self.transports.add(transport)
        try:
            return await handler(request)
        finally:
            self.transports.discard(transport)

    # -- protocol ---------------------------------------------------------------------------------------------
    async def _connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        self.connects += 1
        self.subs[sid] = set()

    async def _disconnect(self, sid: str, reason: Any = None) -> None:
        self.subs.pop(sid, None)

    async def _subscribe(self, sid: str, data: Any) -> None:
        slugs = [str(s) for s in (data or {}).get("marketSlugs", [])]
        self.subscribe_calls.append((sid, slugs))
        self.subs[sid] = set(slugs)  # a new call replaces the set
        ack = copy.deepcopy(real_frame("ws_system_subscribed.json")[1])
        ack["markets"] = slugs
        await self.sio.emit("system", ack, to=sid, namespace=NAMESPACE)
        for slug in slugs:
            if slug in self.books:
                await self.sio.emit("orderbookUpdate", self.books[slug], to=sid, namespace=NAMESPACE)

    # -- driving -------------------------------------------------------------------------------------------------
    def add_synthetic_market(self, slug: str) -> None:
        """SYNTHETIC market: the real ETH daily book's shape and levels, a made-up slug and token id."""
        payload = copy.deepcopy(self.books["eth-up-or-down-daily-1788105600"])
        payload["marketSlug"] = slug
        payload["orderbook"]["tokenId"] = "9999" + str(abs(hash(slug)))[:20].rjust(20, "0")
        self.books[slug] = payload

    async def _emit_to_subscribers(self, event: str, payload: Any, slug: str) -> int:
        n = 0
        for sid, slugs in list(self.subs.items()):
            if slug in slugs:
                await self.sio.emit(event, payload, to=sid, namespace=NAMESPACE)
                n += 1
        return n

    async def update(self, slug: str) -> None:
        """Change one level of the book (SYNTHETIC values in the real shape) and send the full book."""
        payload = self.books[slug]
        book = payload["orderbook"]
        side = self.rng.choice(("bids", "asks"))
        if book[side] and self.rng.random() < 0.5:
            level = self.rng.choice(book[side])
            level["size"] = self.rng.randint(1, 500) * 1_000_000
        elif book[side] and len(book[side]) > 1 and self.rng.random() < 0.5:
            book[side].pop(self.rng.randrange(len(book[side])))
        self.version += self.rng.randint(1, 5000)
        payload["version"] = self.version
        await self._emit_to_subscribers("orderbookUpdate", payload, slug)

    async def resolve(self, slug: str) -> None:
        payload = copy.deepcopy(real_frame("ws_marketResolved_btc_5min.json")[1])
        payload["slug"] = slug
        for _ in range(3):  # the venue delivers it 3x identically
            await self._emit_to_subscribers("marketResolved", payload, slug)

    async def send_event(self, slug: str, event: str, payload: Any) -> None:
        await self._emit_to_subscribers(event, payload, slug)

    def drop(self) -> int:
        """Abort every client's TCP connection (no Socket.IO or WebSocket close): the clients must reconnect."""
        transports = [t for t in self.transports if t is not None]
        for transport in transports:
            transport.abort()
        return len(transports)

    def levels(self, slug: str) -> tuple[list[tuple[Any, Any]], list[tuple[Any, Any]]]:
        """The server's book in the client's form: Decimal price/size (shares), best first."""
        from decimal import Decimal

        book = self.books[slug]["orderbook"]
        scale = Decimal(10) ** 6
        bids = sorted(((Decimal(repr(l["price"])), Decimal(l["size"]) / scale) for l in book["bids"] if l["size"]), reverse=True)
        asks = sorted((Decimal(repr(l["price"])), Decimal(l["size"]) / scale) for l in book["asks"] if l["size"])
        return bids, asks

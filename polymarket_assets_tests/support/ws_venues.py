"""Both local WebSocket venues (the market-channel server and the Limitless Socket.IO server, built from the real
frames) in a background thread with their own event loop, sending changes all the time — for the tests that
run the Dagster job (in-process, through the CLI, or as a child process) against them.

    with WsVenues(markets=2) as venues:
        venues.polymarket_url, venues.limitless_url, venues.token_ids, venues.limitless_slugs
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from polymarket_assets_tests.support.clob_ws_server import MarketChannelServer
from polymarket_assets_tests.support.clob_ws_world import MarketWorld
from polymarket_assets_tests.support.limitless_ws_server import LimitlessServer

LIMITLESS_SLUGS = ["eth-up-or-down-daily-1788105600", "btc-up-or-down-5-min-1788267900"]


class WsVenues:
    def __init__(self, *, markets: int = 2, change_interval: float = 0.01, seed: int = 11):
        self.world = MarketWorld.synthetic(markets, seed=seed)
        self.change_interval = change_interval
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, name="ws-venues", daemon=True)
        self.polymarket: MarketChannelServer | None = None
        self.limitless: LimitlessServer | None = None
        self._stop: asyncio.Event | None = None
        self.error: BaseException | None = None

    @property
    def token_ids(self) -> list[str]:
        return self.world.asset_ids()

    @property
    def limitless_slugs(self) -> list[str]:
        return list(LIMITLESS_SLUGS)

    @property
    def polymarket_url(self) -> str:
        assert self.polymarket is not None
        return self.polymarket.url

    @property
    def limitless_url(self) -> str:
        assert self.limitless is not None
        return self.limitless.url

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._main())
        except BaseException as exc:  # noqa: BLE001 - reported by __exit__
            self.error = exc
            self.ready.set()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        async with MarketChannelServer(self.world) as pm, LimitlessServer() as lm:
            self.polymarket, self.limitless = pm, lm
            self.ready.set()
            i = 0
            while not self._stop.is_set():
                await pm.random_changes(1, self.token_ids)
                if i % 10 == 0:
                    await lm.update(LIMITLESS_SLUGS[(i // 10) % 2])
                i += 1
                await asyncio.sleep(self.change_interval)

    def call(self, fn: Any) -> Any:
        """Run ``fn()`` on the venues' loop and return its result (e.g. a snapshot of the server's books)."""
        async def wrapper() -> Any:
            return fn()
        return asyncio.run_coroutine_threadsafe(wrapper(), self.loop).result(10)

    def __enter__(self) -> "WsVenues":
        self.thread.start()
        assert self.ready.wait(10), "the local WebSocket venues did not start"
        if self.error is not None:
            raise self.error
        return self

    def __exit__(self, *exc: object) -> None:
        if self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
        self.thread.join(10)

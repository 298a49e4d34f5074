"""Child process of the clean-stop test: a local market-channel server (SYNTHETIC world, own thread and
loop) sending changes, and ``run_streams_blocking`` in the main thread (so SIGTERM reaches its handler).
Prints READY once every book is in, and the run's summary as JSON at the end."""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
from pathlib import Path

from polymarket_assets.streaming.ws.config import PolymarketWsOptions
from polymarket_assets.streaming.ws.run import StreamRunConfig, run_streams_blocking
from polymarket_assets.streaming.ws.selection import Target
from polymarket_assets_tests.support.clob_ws_server import MarketChannelServer
from polymarket_assets_tests.support.clob_ws_world import MarketWorld


def main(data_dir: str) -> None:
    world = MarketWorld.synthetic(20)
    started = threading.Event()
    box: dict[str, object] = {}

    def serve() -> None:
        async def go() -> None:
            async with MarketChannelServer(world) as server:
                box["url"] = server.url
                started.set()
                while True:
                    if server.conns:
                        await server.random_changes(5)
                    await asyncio.sleep(0.005)

        asyncio.run(go())

    threading.Thread(target=serve, daemon=True).start()
    started.wait(10)
    opts = PolymarketWsOptions(url=str(box["url"]), open_interval=0.01, max_assets_per_connection=10)

    def watch(streams: dict) -> None:
        def loop() -> None:
            while len(streams["polymarket"].machine.books()) < 40:
                time.sleep(0.01)
            print("READY", flush=True)

        threading.Thread(target=loop, daemon=True).start()

    summary = run_streams_blocking(
        StreamRunConfig(Path(data_dir), polymarket=opts, metrics_interval=0.5),
        polymarket_targets=[Target(a, world.books[a].market) for a in world.asset_ids()],
        on_started=watch,
    )
    print(json.dumps(summary, default=str), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])

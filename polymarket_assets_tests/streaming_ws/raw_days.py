"""Write a raw log record by record, with chosen receive times (no sockets): the live journal (raw log + book
machine + day checkpoints) fed with frames of :mod:`~polymarket_assets_tests.support.clob_ws_world` (real
shapes; SYNTHETIC values) — for the bronze and silver tests, which need exact days and exact faults."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from polymarket_assets.clients.clob_ws import initial_subscribe, update_subscription
from polymarket_assets.streaming.ws import records as R
from polymarket_assets.streaming.ws.journal import Journal
from polymarket_assets.streaming.ws.polymarket_books import PolymarketBooks
from polymarket_assets.streaming.ws.rawlog import RawLogWriter
from polymarket_assets_tests.support.clob_ws_world import MarketWorld


def ns(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(timezone.utc).timestamp()) * 1_000_000_000


class RawDay:
    def __init__(self, data_dir: Path, start: str, *, world: MarketWorld | None = None, session: str = "S", step_ms: int = 7):
        self.data_dir = data_dir
        self.world = world or MarketWorld.synthetic(2, seed=5)
        # receive times in the past: the writer's lag warning (measured against the wall clock) is off
        self.writer = RawLogWriter(data_dir, "polymarket", session=session, flush_interval=0.05, lag_warn_seconds=1e12).start()
        self.machine = PolymarketBooks()
        self.journal = Journal(self.writer, self.machine)
        self.t = ns(start)
        self.step = step_ms * 1_000_000
        self.conn = f"{session}/p000.1"

    def at(self, iso: str) -> "RawDay":
        self.t = max(self.t, ns(iso))
        return self

    def record(self, kind: str, data: Any, conn: str | None = None) -> Any:
        self.t += self.step
        text = data if isinstance(data, str) else json.dumps(data)
        return self.journal.record(R.Record(self.t, "polymarket", conn or self.conn, kind, text))

    def open(self) -> None:
        self.record(R.OPEN, "ws://127.0.0.1/ws/market")

    def subscribe(self, assets: list[str], *, first: bool = True) -> None:
        self.record(R.SENT, initial_subscribe(assets) if first else update_subscription(assets, "subscribe"))
        self.record(R.RECV, [self.world.books[a].frame() for a in assets])

    def changes(self, n: int, assets: list[str] | None = None) -> None:
        pool = assets or self.world.asset_ids()
        for i in range(n):
            frame = self.world.random_change(pool[i % len(pool)])
            if frame is not None:
                self.record(R.RECV, frame)

    def close(self, reason: str = "stop") -> None:
        self.record(R.CLOSE, {"reason": reason})

    def finish(self) -> None:
        self.writer.close()

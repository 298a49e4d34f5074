"""The offline world ``python -m polymarket_assets.replay`` serves: the test worlds, together, in the public shapes.

* Gamma events, markets, tags and the leaderboard: ``gamma_world.build_world`` (real objects, varied);
* markets with trades (``GET /v2/trades``) and price history (``POST /batch-prices-history``):
  ``trades_world.TradesWorld`` — here with prices that drift toward each closed market's outcome (synthetic),
  so the calibration tables have something to measure;
* the BTC 15-minute windows of every day (``btc_windows``), closed and resolved;
* ``GET /v2/resolutions`` for every closed market (``resolutions``);
* one ``GET /markets/keyset`` over all of those markets (the filters bronze sends: ``start_date_*``,
  ``end_date_*``, ``closed``).

The REST order-book logger's captures cannot be served by an API (they are this platform's own recordings), so
:meth:`OfflineWorld.write_stream` writes what the logger would have recorded during the BTC windows into
``<data dir>/stream/`` (the logger's format, synthetic books on the real book body), for
``bronze/orderbook_snapshots`` to compact.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from polymarket_assets.replay import btc_windows
from polymarket_assets.replay.fake_api import FakeApi
from polymarket_assets.replay.gamma_world import World, _keyset, build_world
from polymarket_assets.replay.gamma_world import install as install_gamma
from polymarket_assets.replay.resolutions import Resolutions, final_state
from polymarket_assets.replay.trades_world import TradesWorld, _h, _parse

FIRST_DAY = dt.date(2026, 11, 1)
DAYS = 3


class DriftingTradesWorld(TradesWorld):
    """A trades world whose price history drifts from ~0.5 toward 1 (winning token) or 0 (losing token) over a
    closed market's life, with noise: synthetic, so that forecasts carry information (calibration demo)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._lifetimes = super().token_lifetimes()
        self._winner: dict[str, bool] = {}
        for m in self.markets:
            if final_state(m):
                prices = json.loads(m["outcomePrices"])
                for token, price in zip(json.loads(m["clobTokenIds"]), prices, strict=True):
                    self._winner[token] = price == "1"

    def token_lifetimes(self) -> dict[str, tuple[int, int, str]]:
        return self._lifetimes

    def price(self, token: str, t: int) -> float:
        if token not in self._winner:
            return super().price(token, t)
        start, end, _ = self._lifetimes[token]
        progress = min(max((t - start) / max(end - start, 1), 0.0), 1.0)
        drift = 0.45 * progress * (1 if self._winner[token] else -1)
        noise = ((_h(token, t // 3600) % 1000) / 1000 - 0.5) * 0.5 * (1 - progress)
        return round(min(0.99, max(0.01, 0.5 + drift + noise)), 3)


@dataclass
class OfflineWorld:
    days: list[dt.date]
    gamma: World
    trades: TradesWorld
    btc: list[btc_windows.Window]
    resolutions: Resolutions

    @property
    def markets(self) -> list[dict[str, Any]]:
        return [*self.gamma.markets, *self.trades.markets, *(w.market for w in self.btc)]

    def install(self, api: FakeApi) -> FakeApi:
        install_gamma(api, self.gamma)
        self.trades.install(api, gamma=False)
        self.resolutions.install(api)
        # registered last, so it wins over the Gamma world's own: every market of the world in one listing
        api.route("GET", "/markets/keyset", _keyset(self.markets, "markets", 100), group=("gamma:/markets", "gamma:listing", "gamma"))
        return api

    def write_stream(self, stream_dir: Path, *, cadence_seconds: int = 10) -> dict[str, int]:
        """The logger's captures of the BTC windows (synthetic), under ``stream_dir`` (``<data dir>/stream``)."""
        return btc_windows.write_logger_files(stream_dir, self.btc, cadence_seconds=cadence_seconds)

    def closed_on(self, day: dt.date) -> list[dict[str, Any]]:
        """Markets of the world whose closedTime falls on ``day`` (what bronze/resolutions must find)."""
        out = []
        for m in self.markets:
            closed_time = _parse(m.get("closedTime")) if m.get("closed") else None
            if closed_time is not None and closed_time.date() == day and m.get("conditionId"):
                out.append(m)
        return out


def build(first: dt.date = FIRST_DAY, days: int = DAYS, *, btc_windows_per_day: int = 96, trades_per_day: int = 48) -> OfflineWorld:
    day_list = [first + dt.timedelta(days=i) for i in range(days)]
    gamma = build_world(first, days)
    trades = DriftingTradesWorld(day_list, markets_per_day=6, long_markets=3, trades_per_day=trades_per_day)
    btc = btc_windows.build_windows(day_list, per_day=btc_windows_per_day)
    markets = [*gamma.markets, *trades.markets, *(w.market for w in btc)]
    return OfflineWorld(day_list, gamma, trades, btc, Resolutions(m for m in markets if m.get("closed")))

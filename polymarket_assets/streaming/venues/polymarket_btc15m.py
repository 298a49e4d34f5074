"""Polymarket BTC 15-minute up/down markets.

The current window's slug comes from the clock: ``btc-updown-15m-<window start, unix s>`` with the
start floored to 900 s. The next window is looked up ``lead_seconds`` before the boundary, so when the
wall clock crosses it the poller already holds the next market's two tokens (``active_from`` = window
start, ``active_until`` = window end) and switches on the very next poll cycle: no cycle is lost.

A window is fetched once (``GammaClient.event_by_slug`` → ``markets[0]``, falling back to
``market_by_slug``) and cached until it ends; a window not found yet (Gamma creates them ~24 h ahead,
but its CDN caches for up to 300 s) is retried every 2 s until found.
"""

from __future__ import annotations

from typing import Any

from polymarket_assets.streaming.instruments import Instrument
from polymarket_assets.streaming.venues import DiscoveryResult, gamma_market_instruments, gamma_market_metadata

WINDOW_SECONDS = 900
SLUG_PREFIX = "btc-updown-15m"
SOURCE = "polymarket_btc15m"


def window_start(ts: float, window: int = WINDOW_SECONDS) -> int:
    return int(ts // window) * window


def slug_for(start: int, prefix: str = SLUG_PREFIX) -> str:
    return f"{prefix}-{start}"


class PolymarketBtc15mDiscovery:
    source = SOURCE
    venue = "polymarket"

    def __init__(
        self,
        gamma: Any,
        *,
        lead_seconds: float = 60.0,
        interval_seconds: float = 10.0,
        slug_prefix: str = SLUG_PREFIX,
        window_seconds: int = WINDOW_SECONDS,
    ):
        if lead_seconds >= window_seconds:
            raise ValueError("lead_seconds must be shorter than the window")
        self.gamma = gamma
        self.lead_seconds = lead_seconds
        self.base_interval_seconds = interval_seconds
        self.retry_seconds = min(2.0, interval_seconds)
        self._missing = False
        self.slug_prefix = slug_prefix
        self.window_seconds = window_seconds
        self._cache: dict[int, dict[str, Any]] = {}

    @property
    def interval_seconds(self) -> float:
        """The discovery cadence: the configured one, but every 2 s while a wanted window is still missing."""
        return self.retry_seconds if self._missing else self.base_interval_seconds

    def wanted_windows(self, now: float) -> list[int]:
        current = window_start(now, self.window_seconds)
        nxt = current + self.window_seconds
        return [current, nxt] if nxt - now <= self.lead_seconds else [current]

    def _fetch(self, slug: str) -> dict[str, Any] | None:
        event = self.gamma.event_by_slug(slug)
        if isinstance(event, dict):
            markets = [m for m in event.get("markets") or [] if isinstance(m, dict)]
            for market in markets:
                if market.get("slug") == slug:
                    return market
            if markets:
                return markets[0]
        market = self.gamma.market_by_slug(slug)
        return market if isinstance(market, dict) else None

    def discover(self, now: float) -> DiscoveryResult:
        wanted = self.wanted_windows(now)
        warnings: list[str] = []
        for start in wanted:
            if start in self._cache:
                continue
            slug = slug_for(start, self.slug_prefix)
            market = self._fetch(slug)  # exceptions propagate: discovery keeps the previous set
            if market is None:
                warnings.append(f"{slug}: not found yet")
            else:
                self._cache[start] = market
        for start in [s for s in self._cache if s < wanted[0]]:
            del self._cache[start]
        self._missing = any(start not in self._cache for start in wanted)
        instruments: list[Instrument] = []
        markets: list[dict[str, Any]] = []
        for start in wanted:
            market = self._cache.get(start)
            if market is None:
                continue
            insts = gamma_market_instruments(
                market,
                source=self.source,
                active_from=float(start),
                active_until=float(start + self.window_seconds),
                window_start=start,
            )
            if not insts:
                warnings.append(f"{slug_for(start, self.slug_prefix)}: market has no order book tokens")
            instruments.extend(insts)
            meta = gamma_market_metadata(market, source=self.source, now=now)
            meta["window_start"] = start
            markets.append(meta)
        return DiscoveryResult(instruments, markets, warnings)

"""Polymarket general markets: a configured set — explicit slugs, a tag, and/or the top N active markets
by 24 h volume — two instruments (outcome tokens) per market.

* ``slugs``: each is tried as a market slug (``market_by_slug``), then as an event slug (every market of
  the event).
* ``tag``: a numeric Gamma tag id (``/markets?tag_id=``) or a tag slug (``/events?tag_slug=``, every
  market of each event); active, not closed.
* ``top_n``: ``/markets?active=true&closed=false&order=volume24hr&ascending=false``, first N.
* ``all_active``: every ``/markets?active=true&closed=false`` market (the WebSocket stream's
  ``polymarket_all_active`` source, ``max_markets=None``: no cap).

Closed markets and markets without an order book are skipped; markets are de-duplicated by conditionId
and capped at ``max_markets``.
"""

from __future__ import annotations

from itertools import islice
from typing import Any, Iterable

from polymarket_assets.streaming.venues import DiscoveryResult, gamma_market_instruments, gamma_market_metadata

SOURCE = "polymarket_general"


class PolymarketGeneralDiscovery:
    venue = "polymarket"

    def __init__(
        self,
        gamma: Any,
        *,
        slugs: Iterable[str] = (),
        tag: str | None = None,
        top_n: int = 0,
        interval_seconds: float = 300.0,
        max_markets: int | None = 250,
        all_active: bool = False,
        source: str = SOURCE,
    ):
        self.gamma = gamma
        self.slugs = [s for s in slugs if s]
        self.tag = tag or None
        self.top_n = max(0, int(top_n))
        self.interval_seconds = interval_seconds
        self.max_markets = max_markets  # None: no cap
        self.all_active = all_active  # every active market (the WebSocket stream's all_active mode)
        self.source = source

    def _by_slug(self, slug: str) -> list[dict[str, Any]]:
        market = self.gamma.market_by_slug(slug)
        if isinstance(market, dict):
            return [market]
        event = self.gamma.event_by_slug(slug)
        if isinstance(event, dict):
            return [m for m in event.get("markets") or [] if isinstance(m, dict)]
        return []

    def _by_tag(self, tag: str) -> Iterable[dict[str, Any]]:
        limit = self.max_markets
        if tag.isdigit():
            params = {"tag_id": tag, "active": "true", "closed": "false"}
            yield from islice(self.gamma.iter_markets(params, page_size=100), limit)
            return
        params = {"tag_slug": tag, "active": "true", "closed": "false"}
        count = 0
        for event in self.gamma.iter_events(params, page_size=100):
            for market in event.get("markets") or []:
                if isinstance(market, dict):
                    yield market
                    count += 1
                    if limit is not None and count >= limit:
                        return

    def _top(self, n: int) -> Iterable[dict[str, Any]]:
        params = {"active": "true", "closed": "false", "order": "volume24hr", "ascending": "false"}
        return islice(self.gamma.iter_markets(params, page_size=min(max(n, 1), 100)), n)

    def discover(self, now: float) -> DiscoveryResult:
        warnings: list[str] = []
        candidates: list[dict[str, Any]] = []
        for slug in self.slugs:
            found = self._by_slug(slug)
            if not found:
                warnings.append(f"slug {slug!r}: no market or event")
            candidates.extend(found)
        if self.tag:
            candidates.extend(self._by_tag(self.tag))
        if self.top_n:
            candidates.extend(self._top(self.top_n))
        if self.all_active:
            candidates.extend(self.gamma.iter_markets({"active": "true", "closed": "false"}, page_size=100))
        seen: set[str] = set()
        instruments: list[dict[str, Any]] = []
        markets: list[dict[str, Any]] = []
        for market in candidates:
            condition = market.get("conditionId")
            if not condition or condition in seen:
                continue
            if market.get("closed") is True or market.get("active") is False:
                continue
            insts = gamma_market_instruments(market, source=self.source)
            if not insts:
                continue
            seen.add(condition)
            instruments.extend(insts)
            markets.append(gamma_market_metadata(market, source=self.source, now=now))
            if self.max_markets is not None and len(seen) >= self.max_markets:
                warnings.append(f"capped at max_markets={self.max_markets}")
                break
        return DiscoveryResult(instruments, markets, warnings)

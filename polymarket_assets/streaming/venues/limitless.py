"""Limitless: active CLOB markets for the configured underlyings.

``LimitlessClient.iter_active_markets`` pages ``/markets/active?page=N`` (25 rows a page; ``limit`` is
never sent). AMM markets (no order book), expired/hidden/resolved markets and markets past their
``expirationTimestamp`` are skipped. ``group`` markets are flattened into their child markets.

Instrument: ``market_id`` = slug, ``instrument_id`` = ``BOOK`` (the venue serves one book per market,
for the YES token), ``poll_key`` = slug, ``token_id`` = the YES token, ``active_until`` = expiration.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from polymarket_assets.streaming.instruments import VENUE_LIMITLESS, Instrument, make_instrument
from polymarket_assets.streaming.venues import DiscoveryResult, iso_utc

SOURCE = "limitless"
INSTRUMENT_ID = "BOOK"

ALIASES = {
    "btc": ("btc", "bitcoin"),
    "eth": ("eth", "ethereum"),
    "sol": ("sol", "solana"),
    "xrp": ("xrp", "ripple"),
    "doge": ("doge", "dogecoin"),
}


def _words(text: str) -> set[str]:
    return set(re.split(r"[^a-z0-9]+", text.lower())) - {""}


def matches_underlying(market: dict[str, Any], underlyings: Iterable[str]) -> bool:
    wanted = [u.lower() for u in underlyings if u]
    if not wanted:
        return True
    words = _words(str(market.get("slug") or "")) | _words(str(market.get("title") or ""))
    for tag in market.get("tags") or []:
        words |= _words(tag if isinstance(tag, str) else str((tag or {}).get("name", "")))
    for u in wanted:
        if any(alias in words for alias in ALIASES.get(u, (u,))):
            return True
    return False


def _expiration_seconds(market: dict[str, Any]) -> float | None:
    raw = market.get("expirationTimestamp")
    if raw is None:
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    return value / 1000.0 if value > 1e11 else value


def _flatten(markets: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    for market in markets:
        if not isinstance(market, dict):
            continue
        children = market.get("markets")
        if market.get("marketType") == "group" and isinstance(children, list):
            for child in children:
                if isinstance(child, dict):
                    yield child
        else:
            yield market


def skip_reason(market: dict[str, Any], now: float) -> str | None:
    trade_type = str(market.get("tradeType") or "").lower()
    if trade_type and trade_type != "clob":
        return "amm"
    if market.get("expired") is True or market.get("hidden") is True:
        return "expired"
    status = str(market.get("status") or "").upper()
    if status in {"RESOLVED", "EXPIRED", "CLOSED"}:
        return "expired"
    exp = _expiration_seconds(market)
    if exp is not None and exp <= now:
        return "expired"
    if not market.get("slug"):
        return "no_slug"
    return None


class LimitlessDiscovery:
    source = SOURCE
    venue = VENUE_LIMITLESS

    def __init__(self, client: Any, *, underlyings: Iterable[str] = ("BTC", "ETH"), interval_seconds: float = 60.0, max_markets: int = 100):
        self.client = client
        self.underlyings = [u for u in underlyings if u]
        self.interval_seconds = interval_seconds
        self.max_markets = max_markets
        self.skipped: dict[str, int] = {}

    def discover(self, now: float) -> DiscoveryResult:
        instruments: list[Instrument] = []
        metadata: list[dict[str, Any]] = []
        warnings: list[str] = []
        skipped: dict[str, int] = {}
        seen: set[str] = set()
        for market in _flatten(self.client.iter_active_markets(trade_type="clob")):
            reason = skip_reason(market, now)
            if reason is None and not matches_underlying(market, self.underlyings):
                reason = "underlying"
            if reason is not None:
                skipped[reason] = skipped.get(reason, 0) + 1
                continue
            slug = str(market["slug"])
            if slug in seen:
                continue
            seen.add(slug)
            tokens = market.get("tokens") or {}
            exp = _expiration_seconds(market)
            instruments.append(
                make_instrument(
                    venue=VENUE_LIMITLESS,
                    source=self.source,
                    market_id=slug,
                    instrument_id=INSTRUMENT_ID,
                    poll_key=slug,
                    token_id=None if not isinstance(tokens, dict) or tokens.get("yes") is None else str(tokens.get("yes")),
                    slug=slug,
                    outcome="YES",
                    question=market.get("title"),
                    expiration=iso_utc(exp),
                    active_until=exp,
                    limitless_market_id=None if market.get("id") is None else str(market.get("id")),
                    condition_id=market.get("conditionId"),
                )
            )
            metadata.append(
                {
                    "discovered_at": iso_utc(now),
                    "source": self.source,
                    "venue": VENUE_LIMITLESS,
                    "market_id": slug,
                    "limitless_market_id": market.get("id"),
                    "slug": slug,
                    "title": market.get("title"),
                    "condition_id": market.get("conditionId"),
                    "trade_type": market.get("tradeType"),
                    "market_type": market.get("marketType"),
                    "status": market.get("status"),
                    "expiration": iso_utc(exp),
                    "tokens": tokens if isinstance(tokens, dict) else None,
                    "prices": market.get("prices"),
                    "volume_formatted": market.get("volumeFormatted"),
                    "categories": market.get("categories"),
                }
            )
            if len(instruments) >= self.max_markets:
                warnings.append(f"capped at max_markets={self.max_markets}")
                break
        self.skipped = skipped
        if skipped:
            warnings.append("skipped " + ", ".join(f"{k}={v}" for k, v in sorted(skipped.items())))
        return DiscoveryResult(instruments, metadata, warnings)

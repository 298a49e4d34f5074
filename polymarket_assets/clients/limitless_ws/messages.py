"""What a client sends on the Limitless Socket.IO feed (api_reference §5.4): connect to the ``/markets``
namespace, then emit ``subscribe_market_prices`` with ``{"marketSlugs": [...]}``. A new call REPLACES the
whole set, so every call carries every market wanted."""

from __future__ import annotations

from collections.abc import Iterable

NAMESPACE = "/markets"
SUBSCRIBE_EVENT = "subscribe_market_prices"
ORDERBOOK_UPDATE = "orderbookUpdate"
MARKET_RESOLVED = "marketResolved"
ORACLE_PRICE_DATA = "oraclePriceData"
SYSTEM = "system"


def subscribe_payload(slugs: Iterable[str]) -> dict[str, list[str]]:
    """The ``subscribe_market_prices`` argument for exactly this set of markets (sorted, de-duplicated)."""
    return {"marketSlugs": sorted({str(s) for s in slugs if s})}

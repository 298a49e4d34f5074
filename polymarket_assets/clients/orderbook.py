"""Order-book levels as every venue sends them → one normalized shape (quirk 2, api_reference §2.1, §5.3).

Used by the CLOB and Limitless book parsers and by the order-book logger. Pure, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, TypedDict

from polymarket_assets.clients.wire import ParseError, to_decimal

BookLevel = tuple[Decimal, Decimal]


class NormalizedBook(TypedDict):
    """Both sides best-first plus the derived top of book (``None`` where a side is empty)."""

    bids: list[BookLevel]
    asks: list[BookLevel]
    best_bid: Decimal | None
    best_ask: Decimal | None
    mid: Decimal | None
    spread: Decimal | None


def _level(raw: Any, size_divisor: Decimal | None) -> BookLevel:
    if isinstance(raw, Mapping):
        price, size = raw.get("price"), raw.get("size")
    elif isinstance(raw, (list, tuple)) and len(raw) >= 2:
        price, size = raw[0], raw[1]
    else:
        raise ParseError(f"book level must be {{price, size}} or [price, size], got {raw!r}", raw)
    price_d = to_decimal(price, field="price")
    size_d = to_decimal(size, field="size")
    if price_d is None or size_d is None:
        raise ParseError(f"book level without price or size: {raw!r}", raw)
    if size_divisor is not None:
        size_d = size_d / size_divisor
    return price_d, size_d


def normalize_book(
    bids: Iterable[Any] | None,
    asks: Iterable[Any] | None,
    *,
    size_decimals: int | None = None,
) -> NormalizedBook:
    """Sort both sides best first and derive best bid/ask, mid and spread (quirk 2, §2.1, §5.3).

    Polymarket sends ``bids`` ascending and ``asks`` descending (best price LAST); Limitless sends them the
    other way (best FIRST). Neither order is trusted: bids are sorted by price descending, asks ascending.
    Levels may be ``{"price", "size"}`` objects (string or number values) or ``[price, size]`` pairs.
    Levels with size 0 are dropped (``"0"`` means "no liquidity at this price", WS quirk 10).
    ``size_decimals`` rescales raw integer sizes (Limitless: 6) to shares exactly.

    ``mid = (best_bid + best_ask) / 2`` and ``spread = best_ask - best_bid``; both ``None`` when either
    side is empty. A crossed book yields a negative spread rather than an error (it is what the venue sent).
    """
    divisor = Decimal(10) ** size_decimals if size_decimals else None
    bid_levels = [lvl for lvl in (_level(raw, divisor) for raw in (bids or [])) if lvl[1] != 0]
    ask_levels = [lvl for lvl in (_level(raw, divisor) for raw in (asks or [])) if lvl[1] != 0]
    bid_levels.sort(key=lambda lvl: lvl[0], reverse=True)
    ask_levels.sort(key=lambda lvl: lvl[0])
    best_bid = bid_levels[0][0] if bid_levels else None
    best_ask = ask_levels[0][0] if ask_levels else None
    if best_bid is not None and best_ask is not None:
        mid: Decimal | None = (best_bid + best_ask) / 2
        spread: Decimal | None = best_ask - best_bid
    else:
        mid = spread = None
    return NormalizedBook(bids=bid_levels, asks=ask_levels, best_bid=best_bid, best_ask=best_ask, mid=mid, spread=spread)


class BookSnapshot(NormalizedBook):
    """A parsed order book (``parse_clob_book`` / ``parse_limitless_book``): the normalized levels plus
    where the book is from. Fields a venue does not send are ``None``."""

    venue: str  # "polymarket" | "limitless"
    market_id: str | None  # condition id (Polymarket) or market slug (Limitless)
    condition_id: str | None
    asset_id: str | None  # the token the book is for
    exchange_ts: datetime | None  # the venue's book time (last change, quirk 8); None for Limitless REST
    tick_size: Decimal | None
    min_order_size: Decimal | None
    last_trade_price: Decimal | None
    neg_risk: bool | None
    hash: str | None
    version: int | None  # Limitless WS venue-global version
    raw_json: str

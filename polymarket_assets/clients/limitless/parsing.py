"""Limitless Exchange objects (markets, order books; api_reference §5) → typed values.

Nothing here performs I/O or imports Dagster.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, TypedDict

from polymarket_assets.clients.orderbook import BookSnapshot, normalize_book
from polymarket_assets.clients.wire import (
    ParseError,
    bool_field,
    compact_json,
    decimal_field,
    id_field,
    int_field,
    require_mapping,
    text_field,
    to_id_str,
    ts_field,
)

__all__ = ["LIMITLESS_SIZE_DECIMALS", "LimitlessMarket", "LimitlessBook", "parse_limitless_market", "parse_limitless_book"]

#: Limitless order-book sizes (and ``minSize``, ``volume``) are raw USDC-style 6-decimal integers (§5.3).
LIMITLESS_SIZE_DECIMALS = 6


class LimitlessMarket(TypedDict):
    """A Limitless market (``/markets/active`` element or ``/markets/{slug}``; §5.1)."""

    market_id: str | None
    slug: str
    title: str | None
    condition_id: str | None
    trade_type: str | None  # "clob" | "amm"
    market_type: str | None
    status: str | None
    expired: bool | None
    expiration: datetime | None  # ``expirationTimestamp`` (ms), else the human ``expirationDate``
    yes_token_id: str | None
    no_token_id: str | None
    volume: Decimal | None  # in USDC (the wire's raw 6-decimal units divided)
    winning_outcome_index: int | None
    created_at: datetime | None
    updated_at: datetime | None
    raw_json: str


class LimitlessBook(BookSnapshot):
    """A Limitless order book: the common snapshot plus the venue's own mid figures."""

    venue_mid: Decimal | None
    adjusted_mid: Decimal | None
    max_spread: Decimal | None


def parse_limitless_market(obj: Any) -> LimitlessMarket:
    """Flatten a Limitless market (``/markets/active`` element or ``/markets/{slug}``; §5.1).

    Quirks: ``expirationDate`` is human text (``"Jan 1, 2027"``) while ``expirationTimestamp`` is ms — the
    latter wins for ``expiration``; ``volume`` is raw 6-decimal units (→ divided to USDC), numeric fields may
    be strings or numbers; ``tokens`` is ``{"yes": id, "no": id}``. No real REST body was available when this
    was written (§5.1 field list comes from a quoted capture), so every field is optional except ``slug``.
    """
    market = require_mapping(obj, "Limitless market")
    raw_tokens = market.get("tokens")
    tokens: Mapping[str, Any] = raw_tokens if isinstance(raw_tokens, Mapping) else {}
    volume_raw = decimal_field(market, "volume")
    expiration = ts_field(market, "expirationTimestamp") or ts_field(market, "expirationDate")
    slug = text_field(market, "slug")
    if slug is None:
        raise ParseError("Limitless market without slug", obj)
    return {
        "market_id": id_field(market, "id"),
        "slug": slug,
        "title": text_field(market, "title"),
        "condition_id": id_field(market, "conditionId"),
        "trade_type": text_field(market, "tradeType"),
        "market_type": text_field(market, "marketType"),
        "status": text_field(market, "status"),
        "expired": bool_field(market, "expired"),
        "expiration": expiration,
        "yes_token_id": to_id_str(tokens.get("yes"), field="tokens.yes"),
        "no_token_id": to_id_str(tokens.get("no"), field="tokens.no"),
        "volume": volume_raw / (Decimal(10) ** LIMITLESS_SIZE_DECIMALS) if volume_raw is not None else None,
        "winning_outcome_index": int_field(market, "winningOutcomeIndex"),
        "created_at": ts_field(market, "createdAt"),
        "updated_at": ts_field(market, "updatedAt"),
        "raw_json": compact_json(obj),
    }


def parse_limitless_book(obj: Any, slug: str, *, size_decimals: int = LIMITLESS_SIZE_DECIMALS) -> LimitlessBook:
    """Limitless ``GET /markets/{slug}/orderbook`` body, or a WS ``orderbookUpdate`` payload
    (``{marketSlug, orderbook, version, timestamp}``) → normalized snapshot (§5.3, §5.4).

    Quirks handled: best levels come FIRST (opposite of Polymarket; sorted anyway), prices are JSON
    numbers, **sizes are raw 6-decimal integers** and are divided by ``10**size_decimals`` so they are in
    shares like Polymarket's (the raw body stays in ``raw_json``); ``minSize`` likewise. The REST body has no
    timestamp (``exchange_ts`` is ``None``); the WS payload has an ISO ``timestamp`` and a venue-global
    ``version``. The book is for the YES token (``tokenId``). There is no tick size in the body.
    """
    outer = require_mapping(obj, "Limitless order book")
    book = outer.get("orderbook", outer)
    book = require_mapping(book, "Limitless order book")
    if not isinstance(book.get("bids", []), list) or not isinstance(book.get("asks", []), list):
        raise ParseError("Limitless order book: bids/asks must be arrays", obj)
    try:
        levels = normalize_book(book.get("bids"), book.get("asks"), size_decimals=size_decimals)
    except ParseError as exc:
        raise ParseError(f"Limitless order book: {exc}", obj) from exc
    min_size = decimal_field(book, "minSize")
    return {
        "venue": "limitless",
        "market_id": outer.get("marketSlug") or slug,
        "condition_id": id_field(book, "conditionId"),
        "asset_id": id_field(book, "tokenId"),
        "exchange_ts": ts_field(outer, "timestamp"),
        **levels,
        "tick_size": None,
        "min_order_size": min_size / (Decimal(10) ** size_decimals) if min_size is not None else None,
        "last_trade_price": decimal_field(book, "lastTradePrice"),
        "neg_risk": None,
        "hash": None,
        "version": int_field(outer, "version"),
        "venue_mid": decimal_field(book, "midpoint"),
        "adjusted_mid": decimal_field(book, "adjustedMidpoint"),
        "max_spread": decimal_field(book, "maxSpread"),
        "raw_json": compact_json(obj),
    }

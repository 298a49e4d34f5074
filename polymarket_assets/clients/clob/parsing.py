"""CLOB REST objects (markets, price history points, books; api_reference §2) → typed values.

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
    required_id_field,
    text_field,
    to_id_str,
    ts_field,
)

__all__ = ["ClobMarket", "ClobMarketToken", "PricePoint", "parse_clob_market", "clob_market_tokens", "parse_clob_price_point", "parse_clob_book"]


class ClobMarket(TypedDict):
    """A CLOB market (``GET /markets`` element or ``/markets/{condition_id}``; §2.5). ``""`` ids → ``None``."""

    condition_id: str
    question_id: str | None
    question: str | None
    description: str | None
    market_slug: str | None
    active: bool | None
    closed: bool | None
    archived: bool | None
    accepting_orders: bool | None
    enable_order_book: bool | None
    neg_risk: bool | None
    neg_risk_market_id: str | None
    neg_risk_request_id: str | None
    fpmm: str | None
    minimum_order_size: Decimal | None
    minimum_tick_size: Decimal | None
    maker_base_fee: Decimal | None
    taker_base_fee: Decimal | None
    seconds_delay: int | None
    is_50_50_outcome: bool | None
    end_date_iso: datetime | None
    game_start_time: datetime | None
    accepting_order_timestamp: datetime | None
    tags: list[str]
    token_ids: list[str]
    raw_json: str


class ClobMarketToken(TypedDict):
    """One ``tokens[]`` element of a CLOB market; ``winner`` is the CLOB's own resolution flag (§2.5)."""

    token_id: str
    condition_id: str | None
    outcome: str | None
    outcome_index: int
    price: Decimal | None
    winner: bool | None


class PricePoint(TypedDict):
    """One price-history point, CLOB ``/prices-history`` or Data API ``/v2/prices-history`` (§2.4, §3.2)."""

    token_id: str | None
    ts: datetime | None
    price: Decimal | None
    resolution_seconds: int | None  # the bucket; unknown (None) for the CLOB
    source: str  # "clob" | "data_v2"


def parse_clob_market(obj: Any) -> ClobMarket:
    """Flatten a CLOB market (``GET /markets`` page element or ``/markets/{condition_id}``; §2.5).

    snake_case fields; tick/min size are JSON numbers (→ Decimal); ``neg_risk_market_id`` /
    ``neg_risk_request_id`` / ``fpmm`` use ``""`` for "none" (→ ``None``); ``accepting_order_timestamp`` is
    often ``null``; ``tags`` is an array of strings. Tokens: :func:`clob_market_tokens`.
    """
    market = require_mapping(obj, "CLOB market")
    tokens = market.get("tokens") or []
    if not isinstance(tokens, list):
        raise ParseError("CLOB market: tokens must be an array", obj)
    tags = market.get("tags") or []
    return {
        "condition_id": required_id_field(market, "condition_id"),
        "question_id": id_field(market, "question_id"),
        "question": text_field(market, "question"),
        "description": text_field(market, "description"),
        "market_slug": text_field(market, "market_slug"),
        "active": bool_field(market, "active"),
        "closed": bool_field(market, "closed"),
        "archived": bool_field(market, "archived"),
        "accepting_orders": bool_field(market, "accepting_orders"),
        "enable_order_book": bool_field(market, "enable_order_book"),
        "neg_risk": bool_field(market, "neg_risk"),
        "neg_risk_market_id": id_field(market, "neg_risk_market_id"),
        "neg_risk_request_id": id_field(market, "neg_risk_request_id"),
        "fpmm": id_field(market, "fpmm"),
        "minimum_order_size": decimal_field(market, "minimum_order_size"),
        "minimum_tick_size": decimal_field(market, "minimum_tick_size"),
        "maker_base_fee": decimal_field(market, "maker_base_fee"),
        "taker_base_fee": decimal_field(market, "taker_base_fee"),
        "seconds_delay": int_field(market, "seconds_delay"),
        "is_50_50_outcome": bool_field(market, "is_50_50_outcome"),
        "end_date_iso": ts_field(market, "end_date_iso"),
        "game_start_time": ts_field(market, "game_start_time"),
        "accepting_order_timestamp": ts_field(market, "accepting_order_timestamp"),
        "tags": [str(t) for t in tags] if isinstance(tags, list) else [],
        "token_ids": [t for t in (to_id_str(tok.get("token_id"), field="tokens[].token_id") for tok in tokens if isinstance(tok, Mapping)) if t],
        "raw_json": compact_json(obj),
    }


def clob_market_tokens(obj: Any) -> list[ClobMarketToken]:
    """One row per ``tokens[]`` element of a CLOB market: token_id (str), outcome, index, price (number
    0/1 or float → Decimal), winner (bool as sent; the CLOB's own resolution flag, §2.5)."""
    market = require_mapping(obj, "CLOB market")
    condition_id = id_field(market, "condition_id")
    rows: list[ClobMarketToken] = []
    for index, token in enumerate(market.get("tokens") or []):
        token = require_mapping(token, "CLOB market token")
        rows.append(
            {
                "token_id": required_id_field(token, "token_id"),
                "condition_id": condition_id,
                "outcome": text_field(token, "outcome"),
                "outcome_index": index,
                "price": decimal_field(token, "price"),
                "winner": bool_field(token, "winner"),
            }
        )
    return rows


def parse_clob_price_point(obj: Any, token_id: str | None = None) -> PricePoint:
    """A CLOB ``/prices-history`` point ``{"t": <int seconds>, "p": <float>}`` (§2.4), same keys as
    :func:`parse_price_point_v2` (``resolution_seconds`` is unknown → ``None``). ``t`` must be integer
    seconds and ``p`` a probability (a number in [0, 1], read from its JSON text); anything else is a
    ``ParseError`` saying which."""
    point = require_mapping(obj, "CLOB price point")
    t, p = point.get("t"), point.get("p")
    if t is None or p is None:
        raise ParseError("CLOB price point needs t and p", obj)
    if isinstance(t, bool) or not isinstance(t, (int, float)) or (isinstance(t, float) and not t.is_integer()):
        raise ParseError(f"t is not integer seconds: {t!r}", obj)
    try:
        price = decimal_field(point, "p")
    except ParseError:
        price = None
    if isinstance(p, bool) or price is None or not price.is_finite() or not 0 <= price <= 1:
        raise ParseError(f"p is not a probability: {p!r}", obj)
    return {
        "token_id": token_id,
        "ts": ts_field(point, "t"),
        "price": price,
        "resolution_seconds": None,
        "source": "clob",
    }


def parse_clob_book(obj: Any) -> BookSnapshot:
    """CLOB ``GET /book`` / ``POST /books`` element / WS ``book`` event → normalized snapshot (§2.1, §4).

    Quirks handled: prices/sizes are strings (→ Decimal), ``timestamp`` is milliseconds as a string and is
    the time of the last book change, not of the response (quirk 8), best levels are LAST (quirk 2), 2024
    bodies lack ``tick_size`` / ``min_order_size`` / ``neg_risk`` / ``last_trade_price`` (→ ``None``).
    """
    book = require_mapping(obj, "CLOB book")
    if not isinstance(book.get("bids", []), list) or not isinstance(book.get("asks", []), list):
        raise ParseError("CLOB book: bids/asks must be arrays", obj)
    try:
        levels = normalize_book(book.get("bids"), book.get("asks"))
    except ParseError as exc:
        raise ParseError(f"CLOB book: {exc}", obj) from exc
    condition_id = id_field(book, "market")
    return {
        "venue": "polymarket",
        "market_id": condition_id,
        "condition_id": condition_id,
        "asset_id": required_id_field(book, "asset_id"),
        "exchange_ts": ts_field(book, "timestamp"),
        **levels,
        "tick_size": decimal_field(book, "tick_size"),
        "min_order_size": decimal_field(book, "min_order_size"),
        "last_trade_price": decimal_field(book, "last_trade_price"),
        "neg_risk": bool_field(book, "neg_risk"),
        "hash": text_field(book, "hash"),
        "version": None,
        "raw_json": compact_json(obj),
    }

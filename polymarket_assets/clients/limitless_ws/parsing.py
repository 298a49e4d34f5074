"""Limitless Socket.IO events -> typed events (api_reference §5.4).

Input is what the Socket.IO client hands over (an event name and its arguments) or, when replaying the raw
log, the JSON text ``["<event>", <payload>]`` (the form the real frames are captured in). Nothing here raises
for bad input: a problem is returned instead. The order book goes through the REST client's
:func:`~polymarket_assets.clients.limitless.parsing.parse_limitless_book` (the WS ``orderbook`` object is the REST
orderbook shape): prices are JSON numbers -> Decimal via their text, sizes are raw 6-decimal units.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from polymarket_assets.clients import fastjson
from polymarket_assets.clients.limitless.parsing import parse_limitless_book
from polymarket_assets.clients.limitless_ws.events import (
    LimitlessEvent,
    LimitlessProblem,
    MarketResolved,
    OraclePriceData,
    OrderbookUpdate,
    SystemMessage,
    UnknownLimitlessEvent,
)
from polymarket_assets.clients.limitless_ws.messages import MARKET_RESOLVED, ORACLE_PRICE_DATA, ORDERBOOK_UPDATE, SYSTEM
from polymarket_assets.clients.wire import ParseError, parse_timestamp, to_decimal, to_int

EXCERPT_CHARS = 300


def _orderbook(payload: dict[str, Any]) -> OrderbookUpdate:
    slug = payload.get("marketSlug")
    if not isinstance(slug, str) or not slug:
        raise ParseError("orderbookUpdate without marketSlug")
    if not isinstance(payload.get("orderbook"), dict):
        raise ParseError("orderbookUpdate without an orderbook object")
    book = parse_limitless_book(payload, slug)
    return OrderbookUpdate(
        market_slug=slug,
        token_id=book["asset_id"],
        bids=book["bids"],
        asks=book["asks"],
        version=book["version"],
        timestamp=book["exchange_ts"],
        midpoint=book["venue_mid"],
        adjusted_midpoint=book["adjusted_mid"],
        max_spread=book["max_spread"],
        min_size=book["min_order_size"],
    )


def _resolved(payload: dict[str, Any]) -> MarketResolved:
    slug = payload.get("slug") or payload.get("marketSlug")
    if not isinstance(slug, str) or not slug:
        raise ParseError("marketResolved without slug")
    return MarketResolved(
        slug=slug,
        market_type=payload.get("type"),
        winning_outcome=payload.get("winningOutcome"),
        winning_index=to_int(payload.get("winningIndex"), field="winningIndex"),
        resolution_date=parse_timestamp(payload.get("resolutionDate")),
    )


def _oracle(payload: dict[str, Any]) -> OraclePriceData:
    return OraclePriceData(
        market_slug=payload.get("marketSlug"),
        market_address=payload.get("marketAddress"),
        source=payload.get("source"),
        timestamp=parse_timestamp(payload.get("timestamp")),  # ms, a number (one capture: a string)
        value=to_decimal(payload.get("value"), field="value"),
    )


def _system(payload: dict[str, Any]) -> SystemMessage:
    markets = payload.get("markets")
    return SystemMessage(message=payload.get("message"), markets=[str(m) for m in markets] if isinstance(markets, list) else [])


_PARSERS: dict[str, Callable[[dict[str, Any]], LimitlessEvent]] = {ORDERBOOK_UPDATE: _orderbook, MARKET_RESOLVED: _resolved, ORACLE_PRICE_DATA: _oracle, SYSTEM: _system}


def parse_event(event: str, args: list[Any] | tuple[Any, ...]) -> LimitlessEvent | LimitlessProblem:
    """One Socket.IO event (name + arguments) -> its typed event, or a problem."""
    parser = _PARSERS.get(event)
    if parser is None:
        return UnknownLimitlessEvent(event=str(event), args=list(args))
    payload = args[0] if args else None
    if not isinstance(payload, dict):
        return LimitlessProblem(f"{event}: expected an object argument, got {type(payload).__name__}", repr(args)[:EXCERPT_CHARS])
    try:
        return parser(payload)
    except (ParseError, ValueError, TypeError, KeyError) as exc:
        slug = payload.get("marketSlug") or payload.get("slug")
        return LimitlessProblem(f"{event}: {exc}", repr(payload)[:EXCERPT_CHARS], market_slug=slug if isinstance(slug, str) else None)


def parse_event_text(text: str | bytes) -> LimitlessEvent | LimitlessProblem:
    """The raw-log / fixture form ``["<event>", <payload>, ...]`` -> typed event, or a problem."""
    try:
        decoded = fastjson.loads(text)
    except fastjson.JSONDecodeError as exc:
        return LimitlessProblem(f"not JSON: {exc}", (text if isinstance(text, str) else text.decode("utf-8", "replace"))[:EXCERPT_CHARS])
    if not isinstance(decoded, list) or not decoded or not isinstance(decoded[0], str):
        return LimitlessProblem("expected a JSON array [event, payload...]", repr(decoded)[:EXCERPT_CHARS])
    return parse_event(decoded[0], decoded[1:])


def event_text(event: str, args: list[Any] | tuple[Any, ...]) -> str:
    """A received event as the JSON text of its Socket.IO packet data ``["<event>", <payload>...]``."""
    return fastjson.dumps([event, *args]).decode()

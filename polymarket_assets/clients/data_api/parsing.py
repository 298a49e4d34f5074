"""Data API v2 rows (trades, leaderboard, prices history, resolutions; api_reference §3.2, §7.2) → typed values.

Nothing here performs I/O or imports Dagster.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, TypedDict

from polymarket_assets.clients.clob.parsing import PricePoint
from polymarket_assets.clients.wire import (
    ParseError,
    bool_field,
    compact_json,
    decimal_field,
    id_field,
    int_field,
    require_keys,
    require_mapping,
    required_id_field,
    text_field,
    ts_field,
)

__all__ = [
    "DATA_V2_OUTCOME_INDEX_UNKNOWN",
    "LeaderboardRowV2",
    "ResolutionV2",
    "TradeV2",
    "parse_leaderboard_row_v2",
    "parse_price_point_v2",
    "parse_resolution_v2",
    "parse_trade_v2",
]

#: Data API v2 sentinel: ``outcome_index: 999`` = "the outcome could not be labeled" (§3.2, quirk 9).
DATA_V2_OUTCOME_INDEX_UNKNOWN = 999


class TradeV2(TypedDict):
    """A ``/v2/trades`` row. Free text ``""`` → ``None`` except ``event_slug``, kept as sent (see above)."""

    transaction_hash: str | None
    proxy_wallet: str | None  # the taker's proxy wallet (taker_only=true)
    side: str | None  # BUY | SELL, the taker's side
    token_id: str
    condition_id: str | None
    size: Decimal | None  # shares
    price: Decimal | None  # USDC per share
    timestamp: datetime | None
    title: str | None
    slug: str | None  # the market's slug
    event_slug: str | None  # "" when the feed does not know the event
    outcome: str | None
    outcome_index: int | None  # 999 (DATA_V2_OUTCOME_INDEX_UNKNOWN) when the feed could not label it
    name: str | None
    pseudonym: str | None
    raw_json: str


class LeaderboardRowV2(TypedDict):
    """A ``/v2/leaderboard`` row. ``volume`` is in shares; ``rank`` 0 = unranked; ties share a rank."""

    rank: int | None
    user_id: str
    user_name: str | None
    pnl: Decimal | None
    volume: Decimal | None
    profile_image: str | None
    x_username: str | None
    verified: bool | None
    raw_json: str


class ResolutionV2(TypedDict):
    """A ``/v2/resolutions`` row: the UMA oracle's state of one market's question (§7.2).

    The prices are kept as the text sent (``"0"``, ``"69"``…): they are the oracle's raw values, whose scale the
    documentation does not give; the winning outcome is read from Gamma's ``outcomePrices`` instead (silver
    ``market_resolution_dim``). ``status`` as sent (``"resolved"``, ``"posed"``…, lower-cased); the set of values
    is not documented."""

    condition_id: str
    question_id: str | None
    status: str | None
    was_disputed: bool | None
    extended_review: bool | None
    new_version_q: bool | None
    proposed_price: str | None
    reproposed_price: str | None
    price: str | None
    transaction_hash: str | None
    log_index: int | None
    last_update: datetime | None  # ``last_update_timestamp``: seconds as a string on the wire
    raw_json: str


#: The v2 rows send every id as a string (the real bodies): the parsers below read them ``text_only``.
#: The keys the parsers below read. Every v2 row carries its endpoint's whole key set, nulls included (the real
#: bodies: fixtures/real/data_api/v2_*_data_array.json), so a missing one is drift (``wire.require_keys``).
V2_TRADE_KEYS = ("transaction_hash", "proxy_wallet", "side", "token_id", "condition_id", "size", "price", "timestamp", "title", "slug",
                 "event_slug", "outcome", "outcome_index", "name", "pseudonym")
V2_LEADERBOARD_KEYS = ("rank", "user_id", "user_name", "pnl", "volume", "profile_image", "x_username", "verified")
V2_RESOLUTION_KEYS = ("condition_id", "question_id", "status", "was_disputed", "extended_review", "new_version_q", "proposed_price",
                      "reproposed_price", "price", "transaction_hash", "log_index", "last_update_timestamp")


def parse_resolution_v2(obj: Any) -> ResolutionV2:
    """Flatten a Data API v2 ``/v2/resolutions`` row (snake_case; §7.2). ``condition_id`` is required;
    ``last_update_timestamp`` (epoch seconds as a string) becomes a UTC ``datetime``; ``log_index`` (a string)
    an ``int``."""
    row = require_mapping(obj, "v2 resolution")
    require_keys(row, V2_RESOLUTION_KEYS, "v2 resolution")
    status = text_field(row, "status")
    return {
        "condition_id": required_id_field(row, "condition_id", text_only=True),
        "question_id": id_field(row, "question_id", text_only=True),
        "status": status.lower() if status else None,
        "was_disputed": bool_field(row, "was_disputed"),
        "extended_review": bool_field(row, "extended_review"),
        "new_version_q": bool_field(row, "new_version_q"),
        "proposed_price": id_field(row, "proposed_price", text_only=True),
        "reproposed_price": id_field(row, "reproposed_price", text_only=True),
        "price": id_field(row, "price", text_only=True),
        "transaction_hash": text_field(row, "transaction_hash"),
        "log_index": int_field(row, "log_index"),
        "last_update": ts_field(row, "last_update_timestamp"),
        "raw_json": compact_json(obj),
    }


def parse_trade_v2(obj: Any) -> TradeV2:
    """Flatten a Data API **v2** ``/v2/trades`` row (snake_case; §3.2).

    The feed's sentinels are kept as sent (quirk 9): ``outcome_index`` may be
    :data:`DATA_V2_OUTCOME_INDEX_UNKNOWN` (999, "outcome could not be labeled") and ``event_slug`` may be
    ``""``; what they mean for a stored row is decided by the consumer (bronze maps both to NULL). ``size``
    is in shares, ``price`` in USDC per share; ``timestamp`` is int seconds. ``token_id`` stays a string.
    """
    trade = require_mapping(obj, "v2 trade")
    require_keys(trade, V2_TRADE_KEYS, "v2 trade")
    event_slug = trade.get("event_slug")
    if event_slug is not None and not isinstance(event_slug, str):
        raise ParseError(f"event_slug: expected text, got {type(event_slug).__name__} {event_slug!r}", obj)
    return {
        "transaction_hash": text_field(trade, "transaction_hash"),
        "proxy_wallet": text_field(trade, "proxy_wallet"),
        "side": text_field(trade, "side"),
        "token_id": required_id_field(trade, "token_id", text_only=True),
        "condition_id": id_field(trade, "condition_id", text_only=True),
        "size": decimal_field(trade, "size"),
        "price": decimal_field(trade, "price"),
        "timestamp": ts_field(trade, "timestamp"),
        "title": text_field(trade, "title"),
        "slug": text_field(trade, "slug"),
        "event_slug": event_slug,
        "outcome": text_field(trade, "outcome"),
        "outcome_index": int_field(trade, "outcome_index"),
        "name": text_field(trade, "name"),
        "pseudonym": text_field(trade, "pseudonym"),
        "raw_json": compact_json(obj),
    }


def parse_leaderboard_row_v2(obj: Any) -> LeaderboardRowV2:
    """Flatten a ``/v2/leaderboard`` row (§3.2). ``volume`` is in **shares**, not USDC; ``rank`` 0 means
    unranked; ties share a rank."""
    row = require_mapping(obj, "v2 leaderboard row")
    require_keys(row, V2_LEADERBOARD_KEYS, "v2 leaderboard row")
    return {
        "rank": int_field(row, "rank"),
        "user_id": required_id_field(row, "user_id", text_only=True),
        "user_name": text_field(row, "user_name"),
        "pnl": decimal_field(row, "pnl"),
        "volume": decimal_field(row, "volume"),
        "profile_image": text_field(row, "profile_image"),
        "x_username": text_field(row, "x_username"),
        "verified": bool_field(row, "verified"),
        "raw_json": compact_json(obj),
    }


def parse_price_point_v2(obj: Any, token_id: str | None = None) -> PricePoint:
    """A ``/v2/prices-history`` point ``{timestamp (s), price, resolution_seconds}`` (§3.2)."""
    point = require_mapping(obj, "v2 price point")
    if point.get("timestamp") is None or point.get("price") is None:
        raise ParseError("v2 price point needs timestamp and price", obj)
    return {
        "token_id": token_id,
        "ts": ts_field(point, "timestamp"),
        "price": decimal_field(point, "price"),
        "resolution_seconds": int_field(point, "resolution_seconds"),
        "source": "data_v2",
    }

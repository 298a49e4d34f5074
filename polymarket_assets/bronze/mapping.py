"""Parser output (``clients/parsing.py``) → bronze column names (``schemas.py``): small explicit maps.

Each function takes the dict a ``parse_*`` function returns (plus the raw object where the parser drops a
field) and returns a dict keyed by the bronze schema's columns. Types are fixed later by ``coerce_row``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any


def _first(values: Any) -> Any:
    return values[0] if isinstance(values, list) and values else None


def event_row(parsed: Mapping[str, Any], fetched_at: dt.datetime) -> dict[str, Any]:
    """``parse_gamma_event`` → ``GAMMA_EVENTS`` columns."""
    return {
        "event_id": parsed["event_id"],
        "slug": parsed.get("slug"),
        "ticker": parsed.get("ticker"),
        "title": parsed.get("title"),
        "description": parsed.get("description"),
        "start_date": parsed.get("start_date"),
        "end_date": parsed.get("end_date"),
        "created_at": parsed.get("created_at"),
        "updated_at": parsed.get("updated_at"),
        "closed_time": parsed.get("closed_time"),
        "active": parsed.get("active"),
        "closed": parsed.get("closed"),
        "archived": parsed.get("archived"),
        "neg_risk": parsed.get("neg_risk"),
        "volume": parsed.get("volume"),
        "liquidity": parsed.get("liquidity"),
        "open_interest": parsed.get("open_interest"),
        "volume_24hr": parsed.get("volume_24hr"),
        "series_slug": _first(parsed.get("series_slugs")),
        "tag_ids": parsed.get("tag_ids") or [],
        "tag_slugs": parsed.get("tag_slugs") or [],
        "market_ids": parsed.get("market_ids") or [],
        "raw_json": parsed["raw_json"],
        "fetched_at": fetched_at,
    }


def tag_row(parsed: Mapping[str, Any], fetched_at: dt.datetime, *, event_id: str | None = None) -> dict[str, Any]:
    """``parse_gamma_tag`` → ``GAMMA_CATEGORIES`` columns: a ``tag`` row, or an ``event_tag`` link row when
    ``event_id`` is given (the tag columns then repeat the tag as embedded in the event)."""
    return {
        "record_type": "event_tag" if event_id is not None else "tag",
        "tag_id": parsed["tag_id"],
        "label": parsed.get("label"),
        "slug": parsed.get("slug"),
        "force_show": parsed.get("force_show"),
        "created_at": parsed.get("created_at"),
        "updated_at": parsed.get("updated_at"),
        "event_id": event_id,
        "raw_json": parsed["raw_json"],
        "fetched_at": fetched_at,
    }


def market_row(parsed: Mapping[str, Any], raw: Mapping[str, Any], fetched_at: dt.datetime) -> dict[str, Any]:
    """``parse_gamma_market`` → ``MARKETS`` columns. ``event_id``/``event_slug`` come from the market's
    ``events[0]`` when the endpoint embeds it (``/markets/{id}``, ``/markets/slug``), else null."""
    events = raw.get("events") if isinstance(raw.get("events"), list) else []
    first_event = events[0] if events and isinstance(events[0], Mapping) else {}
    statuses = parsed.get("uma_resolution_statuses") or []
    return {
        "market_id": parsed["market_id"],
        "condition_id": parsed.get("condition_id"),
        "question_id": parsed.get("question_id"),
        "slug": parsed.get("slug"),
        "question": parsed.get("question"),
        "description": parsed.get("description"),
        "event_id": _first(parsed.get("event_ids")),
        "event_slug": first_event.get("slug") or None,
        "outcomes": parsed.get("outcomes"),
        "outcome_prices": parsed.get("outcome_prices"),
        "clob_token_ids": parsed.get("clob_token_ids"),
        "start_date": parsed.get("start_date"),
        "end_date": parsed.get("end_date"),
        "created_at": parsed.get("created_at"),
        "updated_at": parsed.get("updated_at"),
        "closed_time": parsed.get("closed_time"),
        "active": parsed.get("active"),
        "closed": parsed.get("closed"),
        "archived": parsed.get("archived"),
        "accepting_orders": parsed.get("accepting_orders"),
        "enable_order_book": parsed.get("enable_order_book"),
        "neg_risk": parsed.get("neg_risk"),
        "neg_risk_market_id": parsed.get("neg_risk_market_id"),
        "volume": parsed.get("volume"),
        "liquidity": parsed.get("liquidity"),
        "volume_24hr": parsed.get("volume_24hr"),
        "best_bid": parsed.get("best_bid"),
        "best_ask": parsed.get("best_ask"),
        "last_trade_price": parsed.get("last_trade_price"),
        "tick_size": parsed.get("order_price_min_tick_size"),
        "min_order_size": parsed.get("order_min_size"),
        "uma_resolution_status": parsed.get("uma_resolution_status") or (statuses[-1] if statuses else None),
        "resolved_outcome_index": parsed.get("resolved_outcome_index"),
        "raw_json": parsed["raw_json"],
        "fetched_at": fetched_at,
    }


def token_row(parsed: Mapping[str, Any], fetched_at: dt.datetime) -> dict[str, Any]:
    """``gamma_market_tokens`` element → ``MARKET_TOKENS`` columns (same names)."""
    return {
        "token_id": parsed["token_id"],
        "condition_id": parsed.get("condition_id"),
        "market_id": parsed.get("market_id"),
        "outcome": parsed.get("outcome"),
        "outcome_index": parsed.get("outcome_index"),
        "price": parsed.get("price"),
        "winner": parsed.get("winner"),
        "fetched_at": fetched_at,
    }


def leaderboard_row(
    parsed: Mapping[str, Any], *, snapshot_at: dt.datetime, time_period: str, sort_by: str, category: str, fetched_at: dt.datetime
) -> dict[str, Any]:
    """``parse_leaderboard_row_v2`` → ``LEADERBOARD`` columns (``pnl``/``volume`` as float64, as sent)."""
    return {
        "snapshot_at": snapshot_at,
        "time_period": time_period,
        "sort_by": sort_by,
        "category": category,
        "rank": parsed.get("rank"),
        "user_id": parsed["user_id"],
        "user_name": parsed.get("user_name"),
        "x_username": parsed.get("x_username"),
        "verified": parsed.get("verified"),
        "pnl": parsed.get("pnl"),
        "volume": parsed.get("volume"),
        "raw_json": parsed["raw_json"],
        "fetched_at": fetched_at,
    }

"""Gamma API objects (events, markets, tags; api_reference §1) → typed values (``clients/gamma/types.py``).

Quirks handled: JSON-in-string arrays (quirk 1), numbers as strings or numbers (quirk 3), ISO timestamps with
0/3/6 fractional digits, Postgres text and date-only fields (quirk 4), string ids (quirk 5) and market
resolution from several flags, never one (quirk 9). Nothing here performs I/O or imports Dagster.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from polymarket_assets.clients.gamma.types import GammaEvent, GammaMarket, GammaMarketToken, GammaTag
from polymarket_assets.clients.wire import (
    ParseError,
    bool_field,
    compact_json,
    date_field,
    decimal_field,
    id_field,
    int_field,
    json_list,
    json_or_none,
    require_mapping,
    required_id_field,
    text_field,
    to_decimal,
    to_id_str,
    ts_field,
)

__all__ = ["uma_statuses", "market_resolution", "parse_gamma_market", "gamma_market_tokens", "parse_gamma_event", "parse_gamma_tag"]


def uma_statuses(market: Mapping[str, Any]) -> list[str]:
    """All UMA statuses a Gamma market reports: the JSON-in-string history ``umaResolutionStatuses``
    (e.g. ``["proposed"]``) followed by the plain current ``umaResolutionStatus`` (``"resolved"``) that
    newer markets add (§1.3). Lower-cased; empty when neither is present."""
    history = json_list(market.get("umaResolutionStatuses"), field="umaResolutionStatuses") or []
    statuses = [str(s).lower() for s in history if s]
    current = market.get("umaResolutionStatus")
    if isinstance(current, str) and current:
        statuses.append(current.lower())
    return statuses


def market_resolution(gamma_market: Any) -> int | None:
    """Index of the winning outcome of a Gamma market, or ``None`` when it is not (verifiably) resolved.

    Never trusts one flag alone (quirk 9, §1.3): all three must hold

    1. ``closed`` is true;
    2. a UMA status says ``"resolved"`` (``umaResolutionStatus`` or the ``umaResolutionStatuses`` list);
    3. ``outcomePrices`` are all exactly 0 or 1 with exactly one 1.

    So the legacy void ``["0", "0"]`` (id 12) → ``None``; legacy 34-digit scalar prices (id 43) → ``None``;
    ``closed:true`` with prices ``["1","0"]`` but no UMA "resolved" status (``market_closed_binary_
    accepting_true.json``) → ``None`` (not confirmed). Pre-UMA legacy markets therefore never resolve here;
    use CLOB ``tokens[].winner`` for those.
    """
    market = require_mapping(gamma_market, "Gamma market")
    if market.get("closed") is not True:
        return None
    if "resolved" not in uma_statuses(market):
        return None
    raw_prices = json_list(market.get("outcomePrices"), field="outcomePrices")
    if not raw_prices:
        return None
    try:
        prices = [to_decimal(p, field="outcomePrices") for p in raw_prices]
    except ParseError as exc:
        raise ParseError(str(exc), gamma_market) from exc
    if any(p is None or p not in (Decimal(0), Decimal(1)) for p in prices):
        return None
    winners = [i for i, p in enumerate(prices) if p == 1]
    return winners[0] if len(winners) == 1 else None


def _gamma_lists(market: Mapping[str, Any]) -> tuple[list[str], list[Decimal | None] | None, list[str]]:
    try:
        outcomes = [str(o) for o in (json_list(market.get("outcomes"), field="outcomes") or [])]
        raw_prices = json_list(market.get("outcomePrices"), field="outcomePrices")
        prices = [to_decimal(p, field="outcomePrices") for p in raw_prices] if raw_prices is not None else None
        token_ids = [
            t for t in (to_id_str(t, field="clobTokenIds") for t in (json_list(market.get("clobTokenIds"), field="clobTokenIds") or []))
            if t is not None
        ]
    except ParseError as exc:
        raise ParseError(f"Gamma market {market.get('id')!r}: {exc}", market) from exc
    return outcomes, prices, token_ids


def parse_gamma_market(obj: Any) -> GammaMarket:
    """Flatten a Gamma market object (``/markets…``, or an element of an event's ``markets[]``; §1.3).

    Quirks handled: JSON-in-string arrays (quirk 1) → real lists; ``volume``/``liquidity`` numeric strings and
    ``volumeNum``/``bestBid``… numbers → Decimal (quirk 3); ISO timestamps with variable fractions, Postgres
    text ``closedTime``/``gameStartTime`` and date-only ``*Iso`` fields (quirk 4); resolution from several
    flags (quirk 9). Absent fields → ``None``. ``raw_json`` keeps everything else.
    """
    market = require_mapping(obj, "Gamma market")
    outcomes, prices, token_ids = _gamma_lists(market)
    raw_events = market.get("events")
    events: list[Any] = raw_events if isinstance(raw_events, list) else []
    fee_schedule = market.get("feeSchedule")
    return {
        "market_id": required_id_field(market, "id"),
        "condition_id": id_field(market, "conditionId"),
        "question_id": id_field(market, "questionID"),
        "slug": text_field(market, "slug"),
        "question": text_field(market, "question"),
        "description": text_field(market, "description"),
        "resolution_source": text_field(market, "resolutionSource"),
        "outcomes": outcomes,
        "outcome_prices": prices,
        "clob_token_ids": token_ids,
        "active": bool_field(market, "active"),
        "closed": bool_field(market, "closed"),
        "archived": bool_field(market, "archived"),
        "accepting_orders": bool_field(market, "acceptingOrders"),
        "enable_order_book": bool_field(market, "enableOrderBook"),
        "restricted": bool_field(market, "restricted"),
        "neg_risk": bool_field(market, "negRisk"),
        "neg_risk_market_id": id_field(market, "negRiskMarketID"),
        "volume": decimal_field(market, "volume"),
        "volume_num": decimal_field(market, "volumeNum"),
        "volume_24hr": decimal_field(market, "volume24hr"),
        "volume_clob": decimal_field(market, "volumeClob"),
        "liquidity": decimal_field(market, "liquidity"),
        "liquidity_num": decimal_field(market, "liquidityNum"),
        "best_bid": decimal_field(market, "bestBid"),
        "best_ask": decimal_field(market, "bestAsk"),
        "last_trade_price": decimal_field(market, "lastTradePrice"),
        "spread": decimal_field(market, "spread"),
        "order_price_min_tick_size": decimal_field(market, "orderPriceMinTickSize"),
        "order_min_size": decimal_field(market, "orderMinSize"),
        "fee_type": text_field(market, "feeType"),
        "fees_enabled": bool_field(market, "feesEnabled"),
        "fee_schedule_json": json_or_none(fee_schedule),
        "start_date": ts_field(market, "startDate"),
        "end_date": ts_field(market, "endDate"),
        "event_start_time": ts_field(market, "eventStartTime"),
        "game_start_time": ts_field(market, "gameStartTime"),
        "closed_time": ts_field(market, "closedTime"),
        "uma_end_date": ts_field(market, "umaEndDate"),
        "accepting_orders_timestamp": ts_field(market, "acceptingOrdersTimestamp"),
        "created_at": ts_field(market, "createdAt"),
        "updated_at": ts_field(market, "updatedAt"),
        "start_date_iso": date_field(market, "startDateIso"),
        "end_date_iso": date_field(market, "endDateIso"),
        "uma_resolution_status": text_field(market, "umaResolutionStatus"),
        "uma_resolution_statuses": [str(s) for s in (json_list(market.get("umaResolutionStatuses"), field="umaResolutionStatuses") or [])],
        "resolved_outcome_index": market_resolution(market),
        "event_ids": [eid for eid in (to_id_str(e.get("id"), field="events[].id") for e in events if isinstance(e, Mapping)) if eid],
        "event_slug": (text_field(events[0], "slug") if events and isinstance(events[0], Mapping) else None),
        "raw_json": compact_json(obj),
    }


def gamma_market_tokens(obj: Any) -> list[GammaMarketToken]:
    """One row per outcome token of a Gamma market (quirks 1, 5, 9; §1.3).

    ``outcomes[i]`` ↔ ``clobTokenIds[i]`` ↔ ``outcomePrices[i]``. ``winner`` is ``True``/``False`` only when
    :func:`market_resolution` can decide, else ``None``. Markets without CLOB token ids (very old AMM markets)
    yield ``[]``. Mismatched array lengths are a ``ParseError``.
    """
    market = require_mapping(obj, "Gamma market")
    outcomes, prices, token_ids = _gamma_lists(market)
    if not token_ids:
        return []
    if outcomes and len(outcomes) != len(token_ids):
        raise ParseError(
            f"Gamma market {market.get('id')!r}: {len(outcomes)} outcomes but {len(token_ids)} clobTokenIds", obj
        )
    winner_index = market_resolution(market)
    rows: list[GammaMarketToken] = []
    for index, token_id in enumerate(token_ids):
        rows.append(
            {
                "token_id": token_id,
                "condition_id": id_field(market, "conditionId"),
                "market_id": id_field(market, "id"),
                "outcome": outcomes[index] if index < len(outcomes) else None,
                "outcome_index": index,
                "price": prices[index] if prices is not None and index < len(prices) else None,
                "winner": (index == winner_index) if winner_index is not None else None,
            }
        )
    return rows


def parse_gamma_event(obj: Any) -> GammaEvent:
    """Flatten a Gamma event (``/events``, ``/events/keyset``, ``/events/slug/{slug}``; §1.1, §1.2).

    Embedded ``markets[]``, ``tags[]`` and ``series[]`` are reduced to id/slug lists (parse the markets with
    :func:`parse_gamma_market`); the whole event, markets included, stays in ``raw_json``. Event
    ``volume``/``liquidity`` are JSON numbers here (strings on markets) — both go through Decimal.
    """
    event = require_mapping(obj, "Gamma event")

    def _objects(key: str) -> list[Mapping[str, Any]]:
        value = event.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise ParseError(f"Gamma event {event.get('id')!r}: {key} must be an array", obj)
        return [item for item in value if isinstance(item, Mapping)]

    tags, markets, series = _objects("tags"), _objects("markets"), _objects("series")
    return {
        "event_id": required_id_field(event, "id"),
        "slug": text_field(event, "slug"),
        "ticker": text_field(event, "ticker"),
        "title": text_field(event, "title"),
        "description": text_field(event, "description"),
        "resolution_source": text_field(event, "resolutionSource"),
        "active": bool_field(event, "active"),
        "closed": bool_field(event, "closed"),
        "archived": bool_field(event, "archived"),
        "restricted": bool_field(event, "restricted"),
        "featured": bool_field(event, "featured"),
        "neg_risk": bool_field(event, "negRisk"),
        "neg_risk_market_id": id_field(event, "negRiskMarketID"),
        "enable_order_book": bool_field(event, "enableOrderBook"),
        "volume": decimal_field(event, "volume"),
        "volume_24hr": decimal_field(event, "volume24hr"),
        "liquidity": decimal_field(event, "liquidity"),
        "open_interest": decimal_field(event, "openInterest"),
        "comment_count": int_field(event, "commentCount"),
        "start_date": ts_field(event, "startDate"),
        "end_date": ts_field(event, "endDate"),
        "start_time": ts_field(event, "startTime"),
        "creation_date": ts_field(event, "creationDate"),
        "closed_time": ts_field(event, "closedTime"),
        "created_at": ts_field(event, "createdAt"),
        "updated_at": ts_field(event, "updatedAt"),
        "tag_ids": [t for t in (to_id_str(tag.get("id"), field="tags[].id") for tag in tags) if t],
        "tag_slugs": [str(tag["slug"]) for tag in tags if tag.get("slug")],
        "market_ids": [m for m in (to_id_str(mk.get("id"), field="markets[].id") for mk in markets) if m],
        "series_ids": [s for s in (to_id_str(se.get("id"), field="series[].id") for se in series) if s],
        "series_slugs": [str(se["slug"]) for se in series if se.get("slug")],
        "raw_json": compact_json(obj),
    }


def parse_gamma_tag(obj: Any) -> GammaTag:
    """Flatten a Gamma tag (``/tags``, or an element of an event's ``tags[]``; §1.4). ``publishedAt`` uses
    the Postgres text form (``"2024-03-07 20:44:01.258+00"``)."""
    tag = require_mapping(obj, "Gamma tag")
    return {
        "tag_id": required_id_field(tag, "id"),
        "label": text_field(tag, "label"),
        "slug": text_field(tag, "slug"),
        "force_show": bool_field(tag, "forceShow"),
        "force_hide": bool_field(tag, "forceHide"),
        "is_carousel": bool_field(tag, "isCarousel"),
        "requires_translation": bool_field(tag, "requiresTranslation"),
        "published_at": ts_field(tag, "publishedAt"),
        "created_at": ts_field(tag, "createdAt"),
        "updated_at": ts_field(tag, "updatedAt"),
        "raw_json": compact_json(obj),
    }

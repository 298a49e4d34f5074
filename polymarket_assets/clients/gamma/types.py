"""What the Gamma parsers return (``clients/gamma/parsing.py``): one ``TypedDict`` per object kind.

Every field is always present; ``None`` means the API did not send it (or sent ``""`` for free text).
Money and prices are ``Decimal`` built from the JSON text, ids are ``str``, instants are UTC-aware
``datetime``, date-only fields are ``date``. ``raw_json`` is the whole object as compact JSON.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TypedDict


class GammaMarket(TypedDict):
    """A Gamma market (``/markets…`` or an element of an event's ``markets[]``; api_reference §1.3)."""

    market_id: str  # Gamma id (numeric string)
    condition_id: str | None  # 0x + 64 hex; None for legacy AMM markets
    question_id: str | None
    slug: str | None
    question: str | None
    description: str | None
    resolution_source: str | None
    outcomes: list[str]  # decoded from the JSON-in-string ``outcomes`` (quirk 1)
    outcome_prices: list[Decimal | None] | None  # ``outcomePrices``, same order as ``outcomes``
    clob_token_ids: list[str]  # ``clobTokenIds``, same order as ``outcomes``
    active: bool | None
    closed: bool | None
    archived: bool | None
    accepting_orders: bool | None
    enable_order_book: bool | None
    restricted: bool | None
    neg_risk: bool | None
    neg_risk_market_id: str | None
    volume: Decimal | None
    volume_num: Decimal | None
    volume_24hr: Decimal | None
    volume_clob: Decimal | None
    liquidity: Decimal | None
    liquidity_num: Decimal | None
    best_bid: Decimal | None
    best_ask: Decimal | None
    last_trade_price: Decimal | None
    spread: Decimal | None
    order_price_min_tick_size: Decimal | None
    order_min_size: Decimal | None
    fee_type: str | None
    fees_enabled: bool | None
    fee_schedule_json: str | None  # ``feeSchedule`` as compact JSON
    start_date: datetime | None
    end_date: datetime | None
    event_start_time: datetime | None
    game_start_time: datetime | None
    closed_time: datetime | None  # Postgres text form on the wire
    uma_end_date: datetime | None
    accepting_orders_timestamp: datetime | None
    created_at: datetime | None
    updated_at: datetime | None
    start_date_iso: date | None
    end_date_iso: date | None
    uma_resolution_status: str | None  # the current status, as sent
    uma_resolution_statuses: list[str]  # the JSON-in-string history
    resolved_outcome_index: int | None  # ``market_resolution``: None unless verifiably resolved
    event_ids: list[str]  # ids of the embedded ``events[]``
    event_slug: str | None  # slug of ``events[0]`` (embedded by ``/markets/{id}`` and ``/markets/slug``)
    raw_json: str


class GammaMarketToken(TypedDict):
    """One outcome token of a Gamma market (``gamma_market_tokens``)."""

    token_id: str
    condition_id: str | None
    market_id: str | None
    outcome: str | None
    outcome_index: int
    price: Decimal | None  # ``outcomePrices[i]`` at fetch time
    winner: bool | None  # only when ``market_resolution`` can decide


class GammaEvent(TypedDict):
    """A Gamma event (``/events…``; §1.1, §1.2); embedded objects reduced to id/slug lists."""

    event_id: str
    slug: str | None
    ticker: str | None
    title: str | None
    description: str | None
    resolution_source: str | None
    active: bool | None
    closed: bool | None
    archived: bool | None
    restricted: bool | None
    featured: bool | None
    neg_risk: bool | None
    neg_risk_market_id: str | None
    enable_order_book: bool | None
    volume: Decimal | None
    volume_24hr: Decimal | None
    liquidity: Decimal | None
    open_interest: Decimal | None
    comment_count: int | None
    start_date: datetime | None
    end_date: datetime | None
    start_time: datetime | None
    creation_date: datetime | None
    closed_time: datetime | None
    created_at: datetime | None
    updated_at: datetime | None
    tag_ids: list[str]
    tag_slugs: list[str]
    market_ids: list[str]
    series_ids: list[str]
    series_slugs: list[str]
    raw_json: str


class GammaTag(TypedDict):
    """A Gamma tag (``/tags`` or an element of an event's ``tags[]``; §1.4)."""

    tag_id: str
    label: str | None
    slug: str | None
    force_show: bool | None
    force_hide: bool | None
    is_carousel: bool | None
    requires_translation: bool | None
    published_at: datetime | None
    created_at: datetime | None
    updated_at: datetime | None
    raw_json: str

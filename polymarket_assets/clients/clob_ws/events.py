"""Typed events of the CLOB market channel (api_reference §4, §7.1).

Prices, sizes and tick sizes are :class:`~decimal.Decimal` built from the wire text; ids are strings (token ids
exceed 64 bits); ``timestamp_ms`` is the venue's millisecond timestamp as an ``int`` (the wire sends a string).
A side is ``"BUY"`` (a bid level) or ``"SELL"`` (an ask level), as the venue names them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Union

Level = tuple[Decimal, Decimal]  # (price, size)

BUY = "BUY"
SELL = "SELL"


@dataclass(slots=True)
class BookEvent:
    """``book``: a full snapshot of one asset, sent after a subscribe. Levels are kept in wire order
    (bids ascending, asks descending: the best level is LAST, quirk 2)."""

    asset_id: str
    market: str | None
    timestamp_ms: int | None
    hash: str | None
    bids: list[Level]
    asks: list[Level]
    tick_size: Decimal | None = None
    last_trade_price: Decimal | None = None
    event_type: str = "book"


@dataclass(slots=True)
class PriceChange:
    """One level change: ``size`` is the new total at ``price`` (``0`` removes the level). ``best_bid`` /
    ``best_ask`` are the venue's top of book after the change (``None`` in the legacy flat shape)."""

    asset_id: str
    price: Decimal
    size: Decimal
    side: str
    hash: str | None
    best_bid: Decimal | None
    best_ask: Decimal | None


@dataclass(slots=True)
class PriceChangeEvent:
    """``price_change``: the 2025+ batched shape (``price_changes[]``, usually both outcome tokens) or the
    legacy flat shape (``legacy=True``: one change, fields at top level, no best bid/ask)."""

    market: str | None
    timestamp_ms: int | None
    changes: list[PriceChange]
    legacy: bool = False
    event_type: str = "price_change"


@dataclass(slots=True)
class LastTradePriceEvent:
    asset_id: str
    market: str | None
    price: Decimal | None
    side: str | None
    size: Decimal | None
    fee_rate_bps: Decimal | None
    timestamp_ms: int | None
    transaction_hash: str | None = None
    event_type: str = "last_trade_price"


@dataclass(slots=True)
class TickSizeChangeEvent:
    asset_id: str
    market: str | None
    old_tick_size: Decimal | None
    new_tick_size: Decimal | None
    timestamp_ms: int | None
    event_type: str = "tick_size_change"


@dataclass(slots=True)
class BestBidAskEvent:
    """``best_bid_ask`` (behind ``custom_feature_enabled``): the venue's top of book for one asset."""

    asset_id: str
    market: str | None
    best_bid: Decimal | None
    best_ask: Decimal | None
    spread: Decimal | None
    timestamp_ms: int | None
    event_type: str = "best_bid_ask"


@dataclass(slots=True)
class NewMarketEvent:
    """``new_market`` (behind ``custom_feature_enabled``): Gamma-like metadata; ``asset_ids`` from
    ``clob_token_ids`` (a real array here, quirk 1) or ``assets_ids``."""

    market: str | None
    asset_ids: list[str]
    gamma_market_id: str | None
    slug: str | None
    question: str | None
    outcomes: list[str]
    active: bool | None
    tick_size: Decimal | None
    tags: list[str]
    timestamp_ms: int | None
    event_type: str = "new_market"


@dataclass(slots=True)
class MarketResolvedEvent:
    market: str | None
    asset_ids: list[str]
    gamma_market_id: str | None
    winning_asset_id: str | None
    winning_outcome: str | None
    timestamp_ms: int | None
    event_type: str = "market_resolved"


@dataclass(slots=True)
class UnknownEvent:
    """An object whose ``event_type`` this parser does not know: kept whole, counted by the caller."""

    event_type: str | None
    raw: dict[str, Any]


@dataclass(slots=True)
class FrameProblem:
    """Something in a frame that could not be parsed. ``asset_id`` / ``market`` name what it was about when
    that much could be read (a malformed change of a known asset makes that asset's book untrustworthy)."""

    message: str
    excerpt: str
    asset_id: str | None = None
    market: str | None = None


MarketEvent = Union[
    BookEvent,
    PriceChangeEvent,
    LastTradePriceEvent,
    TickSizeChangeEvent,
    BestBidAskEvent,
    NewMarketEvent,
    MarketResolvedEvent,
    UnknownEvent,
]


@dataclass(slots=True)
class ParsedFrame:
    """One received text frame: the events in wire order, the problems met, and whether it was ``PONG``."""

    events: list[MarketEvent] = field(default_factory=list)
    problems: list[FrameProblem] = field(default_factory=list)
    pong: bool = False

    @property
    def level_changes(self) -> int:
        return sum(len(e.changes) for e in self.events if isinstance(e, PriceChangeEvent))

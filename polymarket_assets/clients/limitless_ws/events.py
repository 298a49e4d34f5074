"""Typed events of the Limitless Socket.IO ``/markets`` namespace (api_reference §5.4).

Sizes are in shares: the wire's raw 6-decimal integers divided by ``10**6`` exactly (as the REST client's
``parse_limitless_book`` does). Bids and asks are best-first (the venue's order, re-sorted anyway).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Union

Level = tuple[Decimal, Decimal]  # (price, size in shares)


@dataclass(slots=True)
class OrderbookUpdate:
    """``orderbookUpdate``: a FULL book of the market's YES token every time (not a delta). ``version`` is
    monotone per connection, venue-global and not contiguous, so it orders updates but cannot reveal a gap."""

    market_slug: str
    token_id: str | None
    bids: list[Level]
    asks: list[Level]
    version: int | None
    timestamp: datetime | None
    midpoint: Decimal | None
    adjusted_midpoint: Decimal | None
    max_spread: Decimal | None
    min_size: Decimal | None
    event: str = "orderbookUpdate"

    @property
    def best_bid(self) -> Decimal | None:
        return self.bids[0][0] if self.bids else None

    @property
    def best_ask(self) -> Decimal | None:
        return self.asks[0][0] if self.asks else None


@dataclass(slots=True)
class MarketResolved:
    """``marketResolved``: the market ended (the venue delivers it 3x identically)."""

    slug: str
    market_type: str | None
    winning_outcome: str | None
    winning_index: int | None
    resolution_date: datetime | None
    event: str = "marketResolved"


@dataclass(slots=True)
class OraclePriceData:
    """``oraclePriceData`` (undocumented, ~1/s): the underlying's oracle price for a market."""

    market_slug: str | None
    market_address: str | None
    source: str | None
    timestamp: datetime | None
    value: Decimal | None
    event: str = "oraclePriceData"


@dataclass(slots=True)
class SystemMessage:
    """``system``: acknowledgements such as "Successfully subscribed to market price updates"."""

    message: str | None
    markets: list[str] = field(default_factory=list)
    event: str = "system"


@dataclass(slots=True)
class UnknownLimitlessEvent:
    event: str
    args: list[Any]


@dataclass(slots=True)
class LimitlessProblem:
    message: str
    excerpt: str
    market_slug: str | None = None


LimitlessEvent = Union[OrderbookUpdate, MarketResolved, OraclePriceData, SystemMessage, UnknownLimitlessEvent]

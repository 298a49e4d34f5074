"""One order book: price -> size per side, with the best price kept up to date incrementally.

Prices and sizes are :class:`~decimal.Decimal` (``0.40`` and ``0.4`` are the same level). A size of 0 removes
the level. Venue-neutral: the Polymarket delta machine and the Limitless full-book machine both use it.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

Level = tuple[Decimal, Decimal]
ZERO = Decimal(0)


class Book:
    __slots__ = ("bids", "asks", "best_bid", "best_ask")

    def __init__(self) -> None:
        self.bids: dict[Decimal, Decimal] = {}
        self.asks: dict[Decimal, Decimal] = {}
        self.best_bid: Decimal | None = None
        self.best_ask: Decimal | None = None

    def load(self, bids: Iterable[Level], asks: Iterable[Level]) -> None:
        """Replace both sides (levels in any order; zero sizes dropped)."""
        self.bids = {p: s for p, s in bids if s != ZERO}
        self.asks = {p: s for p, s in asks if s != ZERO}
        self.best_bid = max(self.bids) if self.bids else None
        self.best_ask = min(self.asks) if self.asks else None

    def set_bid(self, price: Decimal, size: Decimal) -> None:
        bids = self.bids
        if size == ZERO:
            if bids.pop(price, None) is not None and price == self.best_bid:
                self.best_bid = max(bids) if bids else None
        else:
            bids[price] = size
            best = self.best_bid
            if best is None or price > best:
                self.best_bid = price

    def set_ask(self, price: Decimal, size: Decimal) -> None:
        asks = self.asks
        if size == ZERO:
            if asks.pop(price, None) is not None and price == self.best_ask:
                self.best_ask = min(asks) if asks else None
        else:
            asks[price] = size
            best = self.best_ask
            if best is None or price < best:
                self.best_ask = price

    def top(self) -> tuple[Decimal | None, Decimal | None, Decimal | None, Decimal | None]:
        """(best bid, its size, best ask, its size)."""
        bb, ba = self.best_bid, self.best_ask
        return bb, (self.bids[bb] if bb is not None else None), ba, (self.asks[ba] if ba is not None else None)

    def crossed(self) -> bool:
        return self.best_bid is not None and self.best_ask is not None and self.best_bid >= self.best_ask

    def levels(self) -> tuple[list[Level], list[Level]]:
        """Both sides best first."""
        return sorted(self.bids.items(), reverse=True), sorted(self.asks.items())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Book) and self.bids == other.bids and self.asks == other.asks

    def __repr__(self) -> str:
        return f"Book(bid={self.best_bid} x{len(self.bids)}, ask={self.best_ask} x{len(self.asks)})"


def book_from_levels(bids: Iterable[Level], asks: Iterable[Level]) -> Book:
    book = Book()
    book.load(bids, asks)
    return book

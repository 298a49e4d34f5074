"""The Limitless book state machine: a pure function of the raw-log records it is fed (like
:mod:`~polymarket_assets.streaming.ws.polymarket_books`).

``orderbookUpdate`` carries a FULL book every time, so there are no deltas to lose: a book is replaced
whole. Markets are tracked from the ``sent`` ``subscribe_market_prices`` records (a new call replaces the set).
A lost connection makes every tracked book stale (gap ``reconnect``) until its next ``orderbookUpdate``;
``marketResolved`` ends the market (its book is dropped). An update whose ``version`` is lower than the last
one seen for the market is out of order and ignored (counted); ``version`` is venue-global and not
contiguous, so it cannot reveal a missed update.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable
from decimal import Decimal

from polymarket_assets.clients.limitless_ws import (
    SUBSCRIBE_EVENT,
    LimitlessProblem,
    MarketResolved,
    OraclePriceData,
    OrderbookUpdate,
    SystemMessage,
    UnknownLimitlessEvent,
    parse_event_text,
)
from polymarket_assets.streaming.ws import gaps as G
from polymarket_assets.streaming.ws import records as R
from polymarket_assets.streaming.ws.book import Book, Level

VENUE = "limitless"
AWAITING, FRESH, STALE = "awaiting", "fresh", "stale"

log = logging.getLogger(__name__)


class MarketState:
    __slots__ = ("slug", "token_id", "status", "book", "gap", "verified_ns", "version", "top")

    def __init__(self, slug: str, t_ns: int):
        self.slug = slug
        self.token_id: str | None = None
        self.status = AWAITING
        self.book: Book | None = None
        self.gap: G.Gap | None = None
        self.verified_ns = t_ns
        self.version: int | None = None
        self.top: tuple[Decimal | None, ...] | None = None


class LimitlessBooks:
    def __init__(self, *, on_bbo: Callable[..., None] | None = None, on_problem: Callable[[str, LimitlessProblem], None] | None = None):
        self.markets: dict[str, MarketState] = {}
        self.on_bbo = on_bbo
        self.on_problem = on_problem or (lambda conn, p: log.warning("malformed Limitless event on %s skipped: %s | %s", conn, p.message, p.excerpt))
        self.closed_gaps: list[G.Gap] = []
        self.resolved: list[MarketResolved] = []
        self.counts: Counter[str] = Counter()
        self.unknown_types: Counter[str] = Counter()
        self.last_data_ns: dict[str, int] = {}

    def book(self, slug: str) -> Book | None:
        st = self.markets.get(slug)
        return st.book if st is not None and st.status == FRESH else None

    def books(self) -> dict[str, tuple[list[Level], list[Level]]]:
        return {s: st.book.levels() for s, st in self.markets.items() if st.status == FRESH and st.book is not None}

    def state(self) -> dict[str, tuple[str, tuple[list[Level], list[Level]] | None]]:
        """Every followed asset's status and book (stale ones included: for comparing a replay with a live run)."""
        return {k: (st.status, st.book.levels() if st.book is not None else None) for k, st in self.markets.items()}

    def open_gaps(self) -> list[G.Gap]:
        return [st.gap for st in self.markets.values() if st.gap is not None]

    def take_closed_gaps(self) -> list[G.Gap]:
        out, self.closed_gaps = self.closed_gaps, []
        return out

    def apply(self, rec: R.Record) -> MarketResolved | None:
        """Feed one record; returns the ``marketResolved`` event when one ended a tracked market."""
        if rec.kind == R.RECV:
            return self._recv(rec)
        if rec.kind == R.SENT:
            self._sent(rec)
        elif rec.kind == R.CLOSE:
            start = self.last_data_ns.get(rec.conn, rec.t_ns)
            for st in self.markets.values():
                self._make_stale(st, G.close_reason(rec.data), rec.t_ns, start, rec.data[:200])
        elif rec.kind == R.STALE:
            info = json.loads(rec.data)
            for slug in info.get("assets") or list(self.markets):
                st = self.markets.get(slug)
                if st is not None:
                    self._make_stale(st, str(info.get("reason") or G.SILENCE), rec.t_ns, st.verified_ns, info.get("detail"))
        elif rec.kind == R.OPEN:
            self.last_data_ns[rec.conn] = rec.t_ns
        return None

    def _recv(self, rec: R.Record) -> MarketResolved | None:
        self.counts["frames"] += 1
        self.last_data_ns[rec.conn] = rec.t_ns
        event = parse_event_text(rec.data)
        etype = type(event)
        if etype is OrderbookUpdate:
            self.counts["orderbookUpdate"] += 1
            self._orderbook(event, rec)  # type: ignore[arg-type]
        elif etype is MarketResolved:
            self.counts["marketResolved"] += 1
            st = self.markets.pop(event.slug, None)  # type: ignore[union-attr]
            if st is not None:
                if st.gap is not None:
                    self._close_gap(st, rec.t_ns, "resolved")
                self.resolved.append(event)  # type: ignore[arg-type]
                return event  # type: ignore[return-value]
        elif etype is OraclePriceData:
            self.counts["oraclePriceData"] += 1
        elif etype is SystemMessage:
            self.counts["system"] += 1
        elif etype is UnknownLimitlessEvent:
            self.counts["unknown"] += 1
            self.unknown_types[event.event] += 1  # type: ignore[union-attr]
        else:
            self.counts["malformed"] += 1
            self.on_problem(rec.conn, event)  # type: ignore[arg-type]
            st = self.markets.get(event.market_slug) if event.market_slug else None  # type: ignore[union-attr]
            if st is not None:
                self._make_stale(st, G.MALFORMED, rec.t_ns, st.verified_ns, event.message[:200])  # type: ignore[union-attr]
        return None

    def _orderbook(self, event: OrderbookUpdate, rec: R.Record) -> None:
        st = self.markets.get(event.market_slug)
        if st is None:
            self.counts["books_untracked"] += 1
            return
        if event.version is not None and st.version is not None and event.version < st.version:
            self.counts["books_out_of_order"] += 1
            return
        st.version = event.version
        st.token_id = event.token_id or st.token_id
        book = st.book or Book()
        book.load(event.bids, event.asks)
        st.book = book
        st.status = FRESH
        st.verified_ns = rec.t_ns
        self.counts["books"] += 1
        if st.gap is not None:
            self._close_gap(st, rec.t_ns, "book")
        top = book.top()
        if top != st.top:
            st.top = top
            if book.crossed():
                self.counts["crossed_tops"] += 1
            if self.on_bbo is not None:
                ts_ms = int(event.timestamp.timestamp() * 1000) if event.timestamp is not None else None
                self.on_bbo(event.market_slug, event.market_slug, ts_ms, rec.t_ns, *top)

    def _sent(self, rec: R.Record) -> None:
        try:
            message = json.loads(rec.data)
        except ValueError:
            return
        if not (isinstance(message, list) and len(message) >= 2 and message[0] == SUBSCRIBE_EVENT and isinstance(message[1], dict)):
            return
        wanted = {str(s) for s in message[1].get("marketSlugs") or []}
        for slug in list(self.markets):
            if slug not in wanted:
                st = self.markets.pop(slug)
                if st.gap is not None:
                    self._close_gap(st, rec.t_ns, "unsubscribed")
        for slug in wanted:
            if slug not in self.markets:
                self.markets[slug] = MarketState(slug, rec.t_ns)

    def _make_stale(self, st: MarketState, reason: str, t_ns: int, start_ns: int, detail: str | None) -> None:
        if st.status != FRESH:
            return
        st.status = STALE
        st.gap = G.Gap(VENUE, st.slug, st.slug, None, reason, max(start_ns, st.verified_ns), t_ns, detail=detail)
        self.counts["gaps_opened"] += 1
        self.counts[f"stale_{reason}"] += 1

    def _close_gap(self, st: MarketState, t_ns: int, closed_by: str) -> None:
        assert st.gap is not None
        st.gap.end_ns, st.gap.closed_by = t_ns, closed_by
        self.closed_gaps.append(st.gap)
        self.counts["gaps_closed"] += 1
        st.gap = None

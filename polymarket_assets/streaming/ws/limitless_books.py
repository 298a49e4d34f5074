"""The Limitless book state machine: a pure function of the raw-log records it is fed (like
:mod:`~polymarket_assets.streaming.ws.polymarket_books`), with its per-market steps (``step_*``) that the
bronze rows record and the bronze replay calls.

``orderbookUpdate`` carries a FULL book every time, so there are no deltas to lose: a book is replaced
whole. Markets are tracked from the ``sent`` ``subscribe_market_prices`` records (a new call replaces the set:
one ``subscribe``/``unsubscribe`` step per market that joins or leaves it). A lost connection makes every
tracked book stale (gap ``reconnect``) until its next ``orderbookUpdate``; ``marketResolved`` ends the market
(its book is dropped). An update whose ``version`` is lower than the last one seen for the market is out of
order and ignored (counted); ``version`` is venue-global and not contiguous, so it cannot reveal a missed
update. A market's book key is its slug (``asset_id`` in bronze and silver); ``token_id`` is its YES token.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
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
from polymarket_assets.streaming.ws import checkpoint as C
from polymarket_assets.streaming.ws import gaps as G
from polymarket_assets.streaming.ws import records as R
from polymarket_assets.streaming.ws.book import Book, Level

VENUE = "limitless"
AWAITING, FRESH, STALE = "awaiting", "fresh", "stale"

log = logging.getLogger(__name__)


class MarketState:
    __slots__ = ("slug", "token_id", "status", "book", "gap", "verified_ns", "version", "top", "timestamp_ms")

    def __init__(self, slug: str, t_ns: int):
        self.slug = slug
        self.token_id: str | None = None
        self.status = AWAITING
        self.book: Book | None = None
        self.gap: G.Gap | None = None
        self.verified_ns = t_ns
        self.version: int | None = None
        self.top: tuple[Decimal | None, ...] | None = None
        self.timestamp_ms: int | None = None


EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MS = timedelta(milliseconds=1)


def ms_of(moment: datetime | None) -> int | None:
    """Milliseconds since the epoch, exactly (no float rounding)."""
    return None if moment is None else (moment - EPOCH) // MS


def timestamp_ms(event: OrderbookUpdate) -> int | None:
    return ms_of(event.timestamp)


class LimitlessBooks:
    def __init__(self, *, on_bbo: Callable[..., None] | None = None, on_problem: Callable[[str, LimitlessProblem], None] | None = None):
        self.markets: dict[str, MarketState] = {}
        self.on_bbo = on_bbo  # same signature as the Polymarket machine's (asset id = market slug)
        self.on_problem = on_problem or (lambda conn, p: log.warning("malformed Limitless event on %s skipped: %s | %s", conn, p.message, p.excerpt))
        self.closed_gaps: list[G.Gap] = []
        self.resolved: list[MarketResolved] = []
        self.counts: Counter[str] = Counter()
        self.unknown_types: Counter[str] = Counter()
        self.last_data_ns: dict[str, int] = {}
        self.event_index = 0

    # -- views ---------------------------------------------------------------------------------------
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

    # -- records ---------------------------------------------------------------------------------------
    def apply(self, rec: R.Record) -> MarketResolved | None:
        """Feed one record; returns the ``marketResolved`` event when one ended a tracked market."""
        if rec.kind == R.RECV:
            return self._recv(rec)
        self.event_index = 0
        if rec.kind == R.SENT:
            self._sent(rec)
        elif rec.kind == R.CLOSE:
            start = self.last_data_ns.pop(rec.conn, rec.t_ns)
            for slug in list(self.markets):
                self.step_stale(slug, G.close_reason(rec.data), rec.t_ns, rec.conn, start, rec.data[:200])
        elif rec.kind == R.STALE:
            info = json.loads(rec.data)
            for slug in info.get("assets") or list(self.markets):
                self.step_stale(str(slug), str(info.get("reason") or G.SILENCE), rec.t_ns, rec.conn, None, info.get("detail"))
        elif rec.kind == R.OPEN:
            self.last_data_ns[rec.conn] = rec.t_ns
        elif rec.kind == R.CHECKPOINT:
            info = json.loads(rec.data)
            if "asset" in info:
                self.step_checkpoint(info, rec.t_ns)
            else:
                self.last_data_ns[str(info["conn"])] = int(info["last_data_ns"])
        return None

    def checkpoint_records(self, t_ns: int, conn: str) -> list[R.Record]:
        """The records that restore this machine's state, on connection ``conn`` (the live one)."""
        out = [R.Record(t_ns, VENUE, c, R.CHECKPOINT, json.dumps({"conn": c, "last_data_ns": last}))
               for c, last in sorted(self.last_data_ns.items())]
        out += [R.Record(t_ns, VENUE, conn, R.CHECKPOINT, json.dumps(C.limitless_state(st))) for st in self.markets.values()]
        return out

    def _recv(self, rec: R.Record) -> MarketResolved | None:
        self.counts["frames"] += 1
        self.last_data_ns[rec.conn] = rec.t_ns
        self.event_index = 0
        event = parse_event_text(rec.data)
        etype = type(event)
        if etype is OrderbookUpdate:
            self.step_book(event, rec.t_ns, rec.conn)  # type: ignore[arg-type]
        elif etype is MarketResolved:
            if self.step_resolved(event, rec.t_ns, rec.conn):  # type: ignore[arg-type]
                return event  # type: ignore[return-value]
        elif etype is OraclePriceData:
            self.step_oracle(event, rec.t_ns, rec.conn)  # type: ignore[arg-type]
        elif etype is SystemMessage:
            self.counts["system"] += 1
        elif etype is UnknownLimitlessEvent:
            self.step_unknown(event, rec.t_ns, rec.conn)  # type: ignore[arg-type]
        else:
            self.step_malformed(event, rec.t_ns, rec.conn)  # type: ignore[arg-type]
        return None

    def _sent(self, rec: R.Record) -> None:
        try:
            message = json.loads(rec.data)
        except ValueError:
            return
        if not (isinstance(message, list) and len(message) >= 2 and message[0] == SUBSCRIBE_EVENT and isinstance(message[1], dict)):
            return
        wanted = sorted({str(s) for s in message[1].get("marketSlugs") or []})
        index = 0
        for slug in sorted(self.markets):
            if slug not in wanted:
                self.event_index, index = index, index + 1
                self.step_unsubscribe(slug, rec.conn, rec.t_ns)
        for slug in wanted:
            if slug not in self.markets:
                self.event_index, index = index, index + 1
                self.step_subscribe(slug, rec.conn, rec.t_ns)

    # -- steps (one market each) -------------------------------------------------------------------------
    def step_subscribe(self, slug: str, conn: str, t_ns: int) -> None:
        if slug not in self.markets:
            self.markets[slug] = MarketState(slug, t_ns)

    def step_unsubscribe(self, slug: str, conn: str, t_ns: int) -> None:
        st = self.markets.pop(slug, None)
        if st is not None and st.gap is not None:
            self._close_gap(st, t_ns, "unsubscribed")

    def step_book(self, event: OrderbookUpdate, t_ns: int, conn: str) -> None:
        self.counts["orderbookUpdate"] += 1
        st = self.markets.get(event.market_slug)
        if st is None:
            self.counts["books_untracked"] += 1
            return
        if event.version is not None and st.version is not None and event.version < st.version:
            self.counts["books_out_of_order"] += 1
            return
        st.version = event.version
        st.token_id = event.token_id or st.token_id
        st.timestamp_ms = timestamp_ms(event)
        book = st.book or Book()
        book.load(event.bids, event.asks)
        st.book = book
        st.status = FRESH
        st.verified_ns = t_ns
        self.counts["books"] += 1
        if st.gap is not None:
            self._close_gap(st, t_ns, "book")
        top = book.top()
        if top != st.top:
            st.top = top
            if book.crossed():
                self.counts["crossed_tops"] += 1
            if self.on_bbo is not None:
                self.on_bbo(event.market_slug, event.market_slug, st.timestamp_ms, t_ns, *top, True)

    def step_resolved(self, event: MarketResolved, t_ns: int, conn: str) -> bool:
        """``marketResolved`` ends a tracked market (True); the venue repeats it, later copies change nothing."""
        self.counts["marketResolved"] += 1
        st = self.markets.pop(event.slug, None)
        if st is None:
            return False
        if st.gap is not None:
            self._close_gap(st, t_ns, "resolved")
        self.resolved.append(event)
        return True

    def step_oracle(self, event: OraclePriceData, t_ns: int, conn: str) -> None:
        self.counts["oraclePriceData"] += 1

    def step_unknown(self, event: UnknownLimitlessEvent, t_ns: int, conn: str) -> None:
        self.counts["unknown"] += 1
        self.unknown_types[event.event] += 1

    def step_malformed(self, problem: LimitlessProblem, t_ns: int, conn: str) -> bool:
        self.counts["malformed"] += 1
        self.on_problem(conn, problem)
        st = self.markets.get(problem.market_slug) if problem.market_slug else None
        return st is not None and self._make_stale(st, G.MALFORMED, t_ns, st.verified_ns, problem.message[:200])

    def step_stale(self, slug: str, reason: str, t_ns: int, conn: str, conn_last_ns: int | None = None, detail: str | None = None) -> bool:
        st = self.markets.get(slug)
        if st is None:
            return False
        return self._make_stale(st, reason, t_ns, st.verified_ns if conn_last_ns is None else conn_last_ns, detail)

    def step_checkpoint(self, info: dict, t_ns: int) -> None:
        slug = str(info["asset"])
        st = self.markets.get(slug)
        if st is None:
            st = self.markets[slug] = MarketState(slug, t_ns)
        C.restore_limitless(st, info)

    # -- helpers -----------------------------------------------------------------------------------------
    def _make_stale(self, st: MarketState, reason: str, t_ns: int, start_ns: int, detail: str | None) -> bool:
        if st.status != FRESH:
            return False
        st.status = STALE
        st.gap = G.Gap(VENUE, st.slug, st.slug, None, reason, max(start_ns, st.verified_ns), t_ns, detail=detail)
        self.counts["gaps_opened"] += 1
        self.counts[f"stale_{reason}"] += 1
        return True

    def _close_gap(self, st: MarketState, t_ns: int, closed_by: str) -> None:
        assert st.gap is not None
        st.gap.end_ns, st.gap.closed_by = t_ns, closed_by
        self.closed_gaps.append(st.gap)
        self.counts["gaps_closed"] += 1
        st.gap = None

"""The per-asset steps of the Polymarket book state machine: the one place a book's state changes.

Every input that can change an asset's book or trust is one *step* on one asset. Two callers use exactly
these methods, so they cannot disagree:

* the record path (:class:`~polymarket_assets.streaming.ws.polymarket_books.PolymarketBooks`, live and raw-log
  replay) turns a record into steps — a frame into its events, a lost connection into one ``stale`` step per
  asset of that connection (the connection's last data time resolved there);
* the bronze replay (:mod:`~polymarket_assets.streaming.ws.bronze_replay`, silver) turns each bronze row of
  ``orderbook_ws_events`` back into the same step.

Bronze rows are these steps written down (:mod:`~polymarket_assets.streaming.ws.bronze_rows` overrides each
step to emit its rows, then runs it), so an asset's rows, replayed in order, rebuild the asset's live book.

Per asset: ``awaiting`` (subscribed, no book yet), ``fresh`` (a book is maintained and was last seen
consistent), ``stale`` (not trusted, a gap is open, until a full book arrives). A ``book`` (or a REST
``POST /books`` answer) replaces the book; a ``price_change`` sets one level (size 0 removes it) and the local
best bid/ask is then compared with the ``best_bid``/``best_ask`` the entry carries (the feed has no sequence
numbers, api_reference §7.1). A stale or awaiting book is never published (``on_bbo`` is not called).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from polymarket_assets.clients.clob_ws import (
    BUY,
    BestBidAskEvent,
    BookEvent,
    FrameProblem,
    LastTradePriceEvent,
    MarketResolvedEvent,
    NewMarketEvent,
    PriceChange,
    TickSizeChangeEvent,
    UnknownEvent,
)
from polymarket_assets.streaming.ws import checkpoint as C
from polymarket_assets.streaming.ws import gaps as G
from polymarket_assets.streaming.ws.book import Book

VENUE = "polymarket"
AWAITING, FRESH, STALE = "awaiting", "fresh", "stale"
REST_BUFFER_LIMIT = 10_000

log = logging.getLogger(__name__)

#: on_bbo(asset_id, market, timestamp_ms, recv_ns, best_bid, bid_size, best_ask, ask_size, verified): a trusted
#: book's top changed. ``verified``: the venue confirmed this top (a full book, or the change's best_bid/best_ask).
BboCallback = Callable[..., None]

_EMPTY_BID = (Decimal(0),)
_EMPTY_ASK = (Decimal(0), Decimal(1))


def _same(local: Decimal | None, venue: Decimal | None, empty: tuple[Decimal, ...]) -> bool:
    if venue is None:
        return True  # nothing to compare
    if local is None:
        return venue in empty  # [INF] an empty side may be sent as 0 (bid) / 0 or 1 (ask)
    return local == venue


class AssetState:
    __slots__ = ("asset_id", "market", "conn", "status", "book", "gap", "verified_ns", "subscribed_ns", "rest_buffer", "tick_size",
                 "timestamp_ms", "hash", "top")

    def __init__(self, asset_id: str, conn: str, t_ns: int):
        self.asset_id = asset_id
        self.market: str | None = None
        self.conn = conn
        self.status = AWAITING
        self.book: Book | None = None
        self.gap: G.Gap | None = None
        self.verified_ns = t_ns
        self.subscribed_ns = t_ns
        self.rest_buffer: list[tuple[int | None, PriceChange]] | None = None
        self.tick_size: Decimal | None = None
        self.timestamp_ms: int | None = None
        self.hash: str | None = None
        self.top: tuple[Any, ...] | None = None


class PolymarketSteps:
    """The assets and their steps. ``counts`` are the machine's counters (metrics and reconciliation)."""

    def __init__(self, *, on_bbo: BboCallback | None = None, check_best_bid_ask_events: bool = True,
                 on_problem: Callable[[str, FrameProblem], None] | None = None):
        self.assets: dict[str, AssetState] = {}
        self.on_bbo = on_bbo
        self.check_best_bid_ask_events = check_best_bid_ask_events
        self.on_problem = on_problem or (lambda conn, p: log.warning("malformed frame on %s skipped: %s | %s", conn, p.message, p.excerpt))
        self.closed_gaps: list[G.Gap] = []
        self.counts: Counter[str] = Counter()
        self.unknown_types: Counter[str] = Counter()

    # -- subscriptions -------------------------------------------------------------------------------
    def step_subscribe(self, asset: str, conn: str, t_ns: int) -> None:
        st = self.assets.get(asset)
        if st is None:
            self.assets[asset] = AssetState(asset, conn, t_ns)
        else:
            st.conn = conn
            if st.status != FRESH:
                st.subscribed_ns = t_ns

    def step_unsubscribe(self, asset: str, conn: str, t_ns: int) -> None:
        st = self.assets.pop(asset, None)
        if st is not None and st.gap is not None:
            self._close_gap(st, t_ns, "unsubscribed")

    # -- books and level changes ---------------------------------------------------------------------
    def step_book(self, event: BookEvent, t_ns: int, conn: str, source: str = "book") -> None:
        """A full book (``source``: ``book`` from the channel, ``rest`` from ``POST /books``)."""
        self.counts["book" if source == "book" else "rest_books"] += 1
        st = self.assets.get(event.asset_id)
        if st is None:
            self.counts["books_untracked"] += 1
            return
        book = st.book or Book()
        book.load(event.bids, event.asks)
        st.book = book
        st.market = event.market or st.market
        st.timestamp_ms = event.timestamp_ms
        st.hash = event.hash
        if event.tick_size is not None:
            st.tick_size = event.tick_size
        st.status = FRESH
        st.verified_ns = t_ns
        st.top = None
        buffered, st.rest_buffer = st.rest_buffer, None
        if st.gap is not None:
            self._close_gap(st, t_ns, source)
        if buffered and source == "rest":
            snapshot_ts = event.timestamp_ms or 0
            for ts, change in buffered:
                if ts is not None and ts > snapshot_ts:
                    (book.set_bid if change.side == BUY else book.set_ask)(change.price, change.size)
                    self.counts["level_changes"] += 1
                    st.timestamp_ms = ts
        self._publish_top(st, t_ns, True)

    def step_change(self, change: PriceChange, market: str | None, timestamp_ms: int | None, t_ns: int, conn: str) -> bool:
        """One level change; True when it made the asset stale (a resync is needed)."""
        st = self.assets.get(change.asset_id)
        counts = self.counts
        if st is None:
            counts["changes_untracked"] += 1
            return False
        if st.status != FRESH:
            if st.rest_buffer is not None and len(st.rest_buffer) < REST_BUFFER_LIMIT:
                st.rest_buffer.append((timestamp_ms, change))
                counts["changes_buffered"] += 1
            else:
                counts["changes_ignored_stale"] += 1
            return False
        book: Book = st.book  # type: ignore[assignment]  # fresh => has a book
        if change.side == BUY:
            book.set_bid(change.price, change.size)
        else:
            book.set_ask(change.price, change.size)
        counts["level_changes"] += 1
        st.timestamp_ms = timestamp_ms
        st.hash = change.hash
        verified = change.best_bid is not None or change.best_ask is not None
        if verified:
            if not self._consistent(book, change.best_bid, change.best_ask):
                self._make_stale(st, G.BBO_MISMATCH, t_ns, self._mismatch_detail(book, change.best_bid, change.best_ask))
                return True
            st.verified_ns = t_ns
        self._publish_top(st, t_ns, verified)
        return False

    def step_tick_size(self, event: TickSizeChangeEvent, t_ns: int, conn: str) -> bool:
        self.counts["tick_size_change"] += 1
        st = self.assets.get(event.asset_id)
        if st is None:
            return False
        st.tick_size = event.new_tick_size
        return self._make_stale(st, G.TICK_SIZE_CHANGE, t_ns, f"{event.old_tick_size} -> {event.new_tick_size}")

    def step_venue_top(self, event: BestBidAskEvent, t_ns: int, conn: str) -> bool:
        """``best_bid_ask``: the venue's top of book, checked against a fresh book."""
        self.counts["best_bid_ask"] += 1
        st = self.assets.get(event.asset_id)
        if not self.check_best_bid_ask_events or st is None or st.status != FRESH or st.book is None:
            return False
        if not self._consistent(st.book, event.best_bid, event.best_ask):
            return self._make_stale(st, G.BBO_MISMATCH, t_ns, self._mismatch_detail(st.book, event.best_bid, event.best_ask))
        st.verified_ns = t_ns
        return False

    # -- events that change no book ------------------------------------------------------------------
    def step_trade(self, event: LastTradePriceEvent, t_ns: int, conn: str) -> None:
        self.counts["last_trade_price"] += 1

    def step_lifecycle(self, event: NewMarketEvent | MarketResolvedEvent, t_ns: int, conn: str) -> None:
        self.counts[event.event_type] += 1

    def step_unknown(self, event: UnknownEvent, t_ns: int, conn: str) -> None:
        self.counts["unknown"] += 1
        self.unknown_types[str(event.event_type)] += 1

    # -- trust ---------------------------------------------------------------------------------------
    def step_malformed(self, problem: FrameProblem, t_ns: int, conn: str) -> bool:
        """A part of a frame that could not be parsed: logged and skipped; the asset it names is stale."""
        self.counts["malformed"] += 1
        self.on_problem(conn, problem)
        st = self.assets.get(problem.asset_id) if problem.asset_id else None
        return st is not None and self._make_stale(st, G.MALFORMED, t_ns, problem.message[:200])

    def step_stale(self, asset: str, reason: str, t_ns: int, conn: str, conn_last_ns: int | None = None,
                   detail: str | None = None) -> bool:
        """The live side declared the book untrustworthy (lost connection, silence, no snapshot). The gap
        starts at the later of the connection's last data (``conn_last_ns``, when given) and the book's last
        passed check."""
        st = self.assets.get(asset)
        if st is None:
            return False
        start = max(conn_last_ns, st.verified_ns) if conn_last_ns is not None else None
        return self._make_stale(st, reason, t_ns, detail, start_ns=start)

    def step_resync(self, asset: str, via: str, t_ns: int, conn: str) -> None:
        """A resync was started; via REST, the changes until the snapshot are buffered."""
        st = self.assets.get(asset)
        if via == "rest" and st is not None and st.status != FRESH and st.rest_buffer is None:
            st.rest_buffer = []

    def step_checkpoint(self, info: dict[str, Any], t_ns: int) -> None:
        """The day checkpoint of one asset: its state becomes exactly the checkpointed one."""
        asset = str(info["asset"])
        st = self.assets.get(asset)
        if st is None:
            st = self.assets[asset] = AssetState(asset, str(info.get("conn") or ""), t_ns)
        C.restore_polymarket(st, info)

    # -- helpers ---------------------------------------------------------------------------------------
    def _consistent(self, book: Book, best_bid: Decimal | None, best_ask: Decimal | None) -> bool:
        self.counts["bbo_checks"] += 1
        if _same(book.best_bid, best_bid, _EMPTY_BID) and _same(book.best_ask, best_ask, _EMPTY_ASK):
            return True
        self.counts["bbo_mismatches"] += 1
        return False

    @staticmethod
    def _mismatch_detail(book: Book, best_bid: Decimal | None, best_ask: Decimal | None) -> str:
        return f"local {book.best_bid}/{book.best_ask} venue {best_bid}/{best_ask}"

    def _publish_top(self, st: AssetState, t_ns: int, verified: bool) -> None:
        book: Book = st.book  # type: ignore[assignment]
        top = book.top()
        if top != st.top:
            st.top = top
            if book.crossed():
                self.counts["crossed_tops"] += 1
            if self.on_bbo is not None:
                self.on_bbo(st.asset_id, st.market, st.timestamp_ms, t_ns, top[0], top[1], top[2], top[3], verified)

    def _make_stale(self, st: AssetState, reason: str, t_ns: int, detail: str | None = None, start_ns: int | None = None) -> bool:
        """Mark stale and open a gap; False when it already was (awaiting assets get a gap only for
        ``no_snapshot``: there was no book to lose)."""
        if st.status == STALE:
            return False
        if st.status == AWAITING and reason != G.NO_SNAPSHOT:
            return False
        st.status = STALE
        st.gap = G.Gap(VENUE, st.asset_id, st.market, st.conn, reason, start_ns if start_ns is not None else st.verified_ns, t_ns, detail=detail)
        self.counts["gaps_opened"] += 1
        self.counts[f"stale_{reason}"] += 1
        return True

    def _close_gap(self, st: AssetState, t_ns: int, closed_by: str) -> None:
        assert st.gap is not None
        st.gap.end_ns, st.gap.closed_by = t_ns, closed_by
        self.closed_gaps.append(st.gap)
        self.counts["gaps_closed"] += 1
        st.gap = None

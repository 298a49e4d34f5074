"""The Polymarket book state machine: a pure function of the raw-log records it is fed.

Fed live (by :mod:`~polymarket_assets.streaming.ws.polymarket_stream`) and from the raw log (replay, bronze,
silver) with the same :class:`~polymarket_assets.streaming.ws.records.Record` sequence, it reaches the same
books and gaps: it reads no clock and does no I/O.

Per asset (tracked from the ``sent`` subscribe records of its connection):

* ``awaiting`` — subscribed, no book yet; ``fresh`` — a book is maintained and was last seen consistent;
  ``stale`` — not trusted (a gap is open) until a full book arrives.
* ``book`` (or a REST ``POST /books`` answer) replaces the book and makes it fresh; ``price_change`` sets the
  level (size 0 removes it), then the local best bid/ask is compared with the ``best_bid``/``best_ask`` the
  entry carries (the feed has no sequence numbers, §7.1). A mismatch, a ``tick_size_change``, a malformed
  change of the asset, a lost connection (``close``) or a ``stale`` record makes the asset stale and opens a
  gap; deltas for stale assets are ignored (or buffered while a REST snapshot is awaited, then the ones newer
  than the snapshot are applied).
* A stale or awaiting book is never published: :meth:`book` returns ``None`` for it and ``on_bbo`` is not
  called for a change found inconsistent.

``apply`` returns the assets that just became stale and need a resync (the live side chooses how), and the
``new_market`` / ``market_resolved`` events (the live side changes its subscriptions).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from polymarket_assets.clients import fastjson
from polymarket_assets.clients.clob_ws import (
    BUY,
    BestBidAskEvent,
    BookEvent,
    FrameProblem,
    LastTradePriceEvent,
    MarketResolvedEvent,
    NewMarketEvent,
    PriceChangeEvent,
    TickSizeChangeEvent,
    UnknownEvent,
    parse_client_message,
    parse_event,
    parse_frame,
)
from polymarket_assets.streaming.ws import gaps as G
from polymarket_assets.streaming.ws import records as R
from polymarket_assets.streaming.ws.book import Book, Level

VENUE = "polymarket"
AWAITING, FRESH, STALE = "awaiting", "fresh", "stale"
REST_BUFFER_LIMIT = 10_000

log = logging.getLogger(__name__)

#: on_bbo(asset_id, market, timestamp_ms, recv_ns, best_bid, bid_size, best_ask, ask_size)
BboCallback = Callable[[str, "str | None", "int | None", int, "Decimal | None", "Decimal | None", "Decimal | None", "Decimal | None"], None]


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
        self.rest_buffer: list[tuple[int | None, Any]] | None = None
        self.tick_size: Decimal | None = None
        self.timestamp_ms: int | None = None
        self.hash: str | None = None
        self.top: tuple[Any, ...] | None = None


@dataclass
class Effects:
    resync: list[str] = field(default_factory=list)
    lifecycle: list[NewMarketEvent | MarketResolvedEvent] = field(default_factory=list)


def _same(local: Decimal | None, venue: Decimal | None, empty: tuple[Decimal, ...]) -> bool:
    if venue is None:
        return True  # nothing to compare
    if local is None:
        return venue in empty  # [INF] an empty side may be sent as 0 (bid) / 0 or 1 (ask)
    return local == venue


_EMPTY_BID = (Decimal(0),)
_EMPTY_ASK = (Decimal(0), Decimal(1))


class PolymarketBooks:
    def __init__(self, *, on_bbo: BboCallback | None = None, check_best_bid_ask_events: bool = True,
                 on_problem: Callable[[str, FrameProblem], None] | None = None):
        self.assets: dict[str, AssetState] = {}
        self.on_bbo = on_bbo
        self.check_best_bid_ask_events = check_best_bid_ask_events
        self.on_problem = on_problem or (lambda conn, p: log.warning("malformed frame on %s skipped: %s | %s", conn, p.message, p.excerpt))
        self.last_data_ns: dict[str, int] = {}
        self.closed_gaps: list[G.Gap] = []
        self.counts: Counter[str] = Counter()
        self.unknown_types: Counter[str] = Counter()

    # -- public views ----------------------------------------------------------------------------
    def book(self, asset_id: str) -> Book | None:
        """The asset's book if it is trusted now, else ``None`` (never a book known to be wrong)."""
        st = self.assets.get(asset_id)
        return st.book if st is not None and st.status == FRESH else None

    def books(self) -> dict[str, tuple[list[Level], list[Level]]]:
        """Every trusted book, both sides best first."""
        return {a: st.book.levels() for a, st in self.assets.items() if st.status == FRESH and st.book is not None}

    def status(self, asset_id: str) -> str | None:
        st = self.assets.get(asset_id)
        return st.status if st is not None else None

    def state(self) -> dict[str, tuple[str, tuple[list[Level], list[Level]] | None]]:
        """Every followed asset's status and book (stale ones included: for comparing a replay with a live run)."""
        return {k: (st.status, st.book.levels() if st.book is not None else None) for k, st in self.assets.items()}

    def open_gaps(self) -> list[G.Gap]:
        return [st.gap for st in self.assets.values() if st.gap is not None]

    def take_closed_gaps(self) -> list[G.Gap]:
        out, self.closed_gaps = self.closed_gaps, []
        return out

    def awaiting(self, conn: str, older_than_ns: int) -> list[str]:
        """Assets of ``conn`` subscribed before ``older_than_ns`` that still have no book (watchdog input)."""
        return [a for a, st in self.assets.items() if st.conn == conn and st.status == AWAITING and st.subscribed_ns < older_than_ns]

    def conn_assets(self, conn: str) -> list[str]:
        return [a for a, st in self.assets.items() if st.conn == conn]

    # -- feeding ---------------------------------------------------------------------------------
    def apply(self, rec: R.Record) -> Effects | None:
        kind = rec.kind
        if kind == R.RECV:
            return self._recv(rec)
        if kind == R.SENT:
            self._sent(rec)
        elif kind == R.CLOSE:
            self._close(rec)
        elif kind == R.STALE:
            self._stale_record(rec)
        elif kind == R.RESYNC:
            self._resync_record(rec)
        elif kind == R.REST:
            self._rest(rec)
        elif kind == R.OPEN:
            self.last_data_ns[rec.conn] = rec.t_ns
        return None

    def _recv(self, rec: R.Record) -> Effects | None:
        frame = parse_frame(rec.data)
        counts = self.counts
        counts["frames"] += 1
        if frame.pong:
            counts["pongs"] += 1
            return None
        self.last_data_ns[rec.conn] = rec.t_ns
        effects: Effects | None = None
        for event in frame.events:
            etype = type(event)
            if etype is PriceChangeEvent:
                counts["price_change"] += 1
                stale = self._price_change(event, rec)  # type: ignore[arg-type]
                if stale:
                    effects = effects or Effects()
                    effects.resync.extend(stale)
            elif etype is BookEvent:
                counts["book"] += 1
                self._book(event, rec, closed_by="book")  # type: ignore[arg-type]
            elif etype is TickSizeChangeEvent:
                counts["tick_size_change"] += 1
                st = self.assets.get(event.asset_id)  # type: ignore[union-attr]
                if st is not None:
                    st.tick_size = event.new_tick_size  # type: ignore[union-attr]
                    if self._make_stale(st, G.TICK_SIZE_CHANGE, rec.t_ns, f"{event.old_tick_size} -> {event.new_tick_size}"):  # type: ignore[union-attr]
                        effects = effects or Effects()
                        effects.resync.append(st.asset_id)
            elif etype is BestBidAskEvent:
                counts["best_bid_ask"] += 1
                st = self.assets.get(event.asset_id)  # type: ignore[union-attr]
                if self.check_best_bid_ask_events and st is not None and st.status == FRESH and st.book is not None:
                    if not self._consistent(st.book, event.best_bid, event.best_ask):  # type: ignore[union-attr]
                        self._make_stale(st, G.BBO_MISMATCH, rec.t_ns, self._mismatch_detail(st.book, event.best_bid, event.best_ask))  # type: ignore[union-attr]
                        effects = effects or Effects()
                        effects.resync.append(st.asset_id)
                    else:
                        st.verified_ns = rec.t_ns
            elif etype is LastTradePriceEvent:
                counts["last_trade_price"] += 1
            elif etype is NewMarketEvent or etype is MarketResolvedEvent:
                counts[event.event_type] += 1  # type: ignore[union-attr]
                effects = effects or Effects()
                effects.lifecycle.append(event)  # type: ignore[arg-type]
            elif etype is UnknownEvent:
                counts["unknown"] += 1
                self.unknown_types[str(event.event_type)] += 1  # type: ignore[union-attr]
        for problem in frame.problems:
            counts["malformed"] += 1
            self.on_problem(rec.conn, problem)
            st = self.assets.get(problem.asset_id) if problem.asset_id else None
            if st is not None and self._make_stale(st, G.MALFORMED, rec.t_ns, problem.message[:200]):
                effects = effects or Effects()
                effects.resync.append(st.asset_id)
        return effects

    def _price_change(self, event: PriceChangeEvent, rec: R.Record) -> list[str] | None:
        stale: list[str] | None = None
        counts = self.counts
        assets = self.assets
        for change in event.changes:
            st = assets.get(change.asset_id)
            if st is None:
                counts["changes_untracked"] += 1
                continue
            if st.status != FRESH:
                if st.rest_buffer is not None and len(st.rest_buffer) < REST_BUFFER_LIMIT:
                    st.rest_buffer.append((event.timestamp_ms, change))
                    counts["changes_buffered"] += 1
                else:
                    counts["changes_ignored_stale"] += 1
                continue
            book = st.book
            if change.side == BUY:
                book.set_bid(change.price, change.size)  # type: ignore[union-attr]
            else:
                book.set_ask(change.price, change.size)  # type: ignore[union-attr]
            counts["level_changes"] += 1
            st.timestamp_ms = event.timestamp_ms
            st.hash = change.hash
            if change.best_bid is not None or change.best_ask is not None:
                if not self._consistent(book, change.best_bid, change.best_ask):  # type: ignore[arg-type]
                    self._make_stale(st, G.BBO_MISMATCH, rec.t_ns, self._mismatch_detail(book, change.best_bid, change.best_ask))  # type: ignore[arg-type]
                    if stale is None:
                        stale = []
                    stale.append(st.asset_id)
                    continue
                st.verified_ns = rec.t_ns
            self._publish_top(st, rec.t_ns)
        return stale

    def _consistent(self, book: Book, best_bid: Decimal | None, best_ask: Decimal | None) -> bool:
        self.counts["bbo_checks"] += 1
        if _same(book.best_bid, best_bid, _EMPTY_BID) and _same(book.best_ask, best_ask, _EMPTY_ASK):
            return True
        self.counts["bbo_mismatches"] += 1
        return False

    @staticmethod
    def _mismatch_detail(book: Book, best_bid: Decimal | None, best_ask: Decimal | None) -> str:
        return f"local {book.best_bid}/{book.best_ask} venue {best_bid}/{best_ask}"

    def _publish_top(self, st: AssetState, t_ns: int) -> None:
        top = st.book.top()  # type: ignore[union-attr]
        if top != st.top:
            st.top = top
            if st.book.crossed():  # type: ignore[union-attr]
                self.counts["crossed_tops"] += 1
            if self.on_bbo is not None:
                self.on_bbo(st.asset_id, st.market, st.timestamp_ms, t_ns, top[0], top[1], top[2], top[3])

    def _book(self, event: BookEvent, rec: R.Record, *, closed_by: str) -> None:
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
        st.verified_ns = rec.t_ns
        st.top = None
        buffered, st.rest_buffer = st.rest_buffer, None
        if st.gap is not None:
            st.gap.end_ns = rec.t_ns
            st.gap.closed_by = closed_by
            self.closed_gaps.append(st.gap)
            self.counts["gaps_closed"] += 1
            st.gap = None
        if buffered and closed_by == "rest":
            snapshot_ts = event.timestamp_ms or 0
            for ts, change in buffered:
                if ts is not None and ts > snapshot_ts:
                    (book.set_bid if change.side == BUY else book.set_ask)(change.price, change.size)
                    self.counts["level_changes"] += 1
                    st.timestamp_ms = ts
        self._publish_top(st, rec.t_ns)

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

    # -- control records ---------------------------------------------------------------------------
    def _sent(self, rec: R.Record) -> None:
        parsed = parse_client_message(rec.data)
        if parsed is None:
            return
        operation, ids = parsed
        if operation == "subscribe":
            for asset in ids:
                st = self.assets.get(asset)
                if st is None:
                    self.assets[asset] = AssetState(asset, rec.conn, rec.t_ns)
                else:
                    st.conn = rec.conn
                    if st.status != FRESH:
                        st.subscribed_ns = rec.t_ns
        else:
            for asset in ids:
                st = self.assets.pop(asset, None)
                if st is not None and st.gap is not None:
                    st.gap.end_ns, st.gap.closed_by = rec.t_ns, "unsubscribed"
                    self.closed_gaps.append(st.gap)
                    self.counts["gaps_closed"] += 1

    def _close(self, rec: R.Record) -> None:
        start = self.last_data_ns.get(rec.conn, rec.t_ns)
        for st in self.assets.values():
            if st.conn == rec.conn:
                self._make_stale(st, G.close_reason(rec.data), rec.t_ns, rec.data[:200], start_ns=max(start, st.verified_ns))

    def _stale_record(self, rec: R.Record) -> None:
        info = json.loads(rec.data)
        reason = str(info.get("reason") or G.SILENCE)
        wanted = info.get("assets")
        start = self.last_data_ns.get(rec.conn, rec.t_ns)
        targets = [self.assets[a] for a in wanted if a in self.assets] if wanted else [st for st in self.assets.values() if st.conn == rec.conn]
        for st in targets:
            self._make_stale(st, reason, rec.t_ns, info.get("detail"), start_ns=max(start, st.verified_ns) if reason == G.SILENCE else None)

    def _resync_record(self, rec: R.Record) -> None:
        info = json.loads(rec.data)
        self.counts["resyncs"] += 1
        if info.get("via") == "rest":
            for asset in info.get("assets") or []:
                st = self.assets.get(asset)
                if st is not None and st.status != FRESH and st.rest_buffer is None:
                    st.rest_buffer = []

    def _rest(self, rec: R.Record) -> None:
        try:
            books = fastjson.loads(rec.data)
        except fastjson.JSONDecodeError:
            books = None
        if not isinstance(books, list):
            self.counts["malformed"] += 1
            return
        problems: list[FrameProblem] = []
        for raw in books:
            if isinstance(raw, dict):
                raw = {**raw, "event_type": "book"}
            event = parse_event(raw, problems)
            if isinstance(event, BookEvent):
                self.counts["rest_books"] += 1
                self._book(event, rec, closed_by="rest")
        for problem in problems:
            self.counts["malformed"] += 1
            self.on_problem(rec.conn, problem)

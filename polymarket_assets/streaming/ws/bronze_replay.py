"""Bronze ``orderbook_ws_events`` rows back into the book machines' steps, one asset at a time.

The inverse of :mod:`~polymarket_assets.streaming.ws.bronze_rows`: each row (or, for ``book``,
``rest_book`` and ``checkpoint``, the rows of one snapshot) becomes the step it recorded, on the same
per-asset step methods the live machines run. An asset's rows replayed in order therefore rebuild the book
it had live; the silver tables ``orderbook_bbo`` and ``orderbook_gaps`` are what this replay publishes.

Input: Arrow record batches of one bronze day with every row of an asset together and, within it, in raw-log
order (``seq``, ``idx``) — the order the bronze file is sorted in while receive times never go backwards
(the compaction counts the records whose receive time went back; then the caller reads the day ordered by
``seq`` instead). Memory holds one asset's book at a time: its state is dropped when its rows end (unless
``keep_state``, for tests that compare the rebuilt books with the live ones).

A trusted book's top is published (``on_bbo``) when it changes, like live, and also once for each book a
day checkpoint restores (``source = "checkpoint"``), so every day's BBO starts from the carried book.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pyarrow as pa

from polymarket_assets.clients.clob_ws import BUY, SELL, BestBidAskEvent, BookEvent, FrameProblem, PriceChange, TickSizeChangeEvent
from polymarket_assets.clients.limitless_ws import LimitlessProblem, MarketResolved, OrderbookUpdate
from polymarket_assets.streaming.ws.bronze_rows import BID, LEVEL_ROWS
from polymarket_assets.streaming.ws.gaps import Gap
from polymarket_assets.streaming.ws.limitless_books import EPOCH, LimitlessBooks
from polymarket_assets.streaming.ws.polymarket_steps import FRESH, PolymarketSteps

COLUMNS = ("venue", "market", "asset_id", "event_type", "side", "price", "size", "best_bid", "best_ask", "tick_size", "hash",
           "ts_exchange", "ts_received", "connection_id", "seq", "idx", "event_idx", "detail")


class OutOfOrder(ValueError):
    """The rows of an asset were not together, or not in raw-log order (read the day ordered by seq)."""


@dataclass(frozen=True)
class Bbo:
    """One change of a trusted book's best bid or ask."""

    venue: str
    asset_id: str
    market: str | None
    ts_exchange_ms: int | None
    ts_received_us: int
    best_bid: Decimal | None
    bid_size: Decimal | None
    best_ask: Decimal | None
    ask_size: Decimal | None
    verified: bool  # the venue confirmed this top: a full book, or the change's best_bid/best_ask
    source: str  # the row kind that moved it: book | rest_book | price_change | checkpoint
    seq: int
    idx: int


@dataclass
class ReplayStats:
    rows: int = 0
    assets: int = 0
    bbo: int = 0
    gaps: int = 0
    rows_by_type: Counter[str] = field(default_factory=Counter)


def _dt_ms(ms: int | None):  # noqa: ANN202 - datetime | None
    return None if ms is None else EPOCH + timedelta(milliseconds=ms)


def _quiet(conn: str, problem: Any) -> None:
    return None


class BronzeReplay:
    """Feed bronze rows (:meth:`feed`) to the machines' steps; :meth:`finish` ends the last asset."""

    def __init__(self, *, on_bbo: Callable[[Bbo], None] | None = None, on_gap: Callable[[Gap, bool], None] | None = None,
                 keep_state: bool = False):
        self.on_bbo_row = on_bbo
        self.on_gap = on_gap  # (gap, still_open_at_the_end_of_the_day)
        self.keep_state = keep_state
        self.polymarket = PolymarketSteps(on_bbo=self._published, on_problem=_quiet)
        self.limitless = LimitlessBooks(on_bbo=self._published, on_problem=_quiet)
        self.stats = ReplayStats()
        self._asset: tuple[str, str] | None = None
        self._done: set[tuple[str, str]] = set()
        self._last: tuple[int, int] = (-1, -1)
        self._group: list[dict[str, Any]] = []
        self._row: dict[str, Any] = {}

    # -- input -----------------------------------------------------------------------------------------
    def feed(self, batches: Iterable[pa.RecordBatch]) -> ReplayStats:
        for batch in batches:
            cols = {}
            for name in COLUMNS:
                col = batch.column(name)
                if name in ("ts_exchange", "ts_received"):
                    col = col.cast(pa.int64())
                cols[name] = col.to_pylist()
            for values in zip(*(cols[n] for n in COLUMNS), strict=True):
                self._feed_row(dict(zip(COLUMNS, values, strict=True)))
        return self.stats

    def finish(self) -> ReplayStats:
        self._flush_group()
        self._end_asset()
        return self.stats

    def _feed_row(self, row: dict[str, Any]) -> None:
        self.stats.rows += 1
        self.stats.rows_by_type[row["event_type"]] += 1
        if row["asset_id"] is None:
            return  # about no asset (a system message, an unknown event, a frame too broken to name one): no book changes
        key = (row["venue"], row["asset_id"])
        if key != self._asset:
            self._flush_group()
            self._end_asset()
            if key in self._done:
                raise OutOfOrder(f"rows of {key[0]} asset {key[1]!r} are not together (seq {row['seq']})")
            self._asset = key
            self._last = (-1, -1)
            self.stats.assets += 1
        order = (row["seq"], row["idx"])
        if order <= self._last:
            raise OutOfOrder(f"rows of {key[0]} asset {key[1]!r} are not in raw-log order at seq {row['seq']}")
        self._last = order
        if self._group and (row["event_type"] not in LEVEL_ROWS or (row["seq"], row["event_idx"]) != (self._group[0]["seq"], self._group[0]["event_idx"])
                            or row["event_type"] != self._group[0]["event_type"]):
            self._flush_group()
        if row["event_type"] in LEVEL_ROWS:
            self._group.append(row)
        else:
            self._step(row)

    # -- steps -----------------------------------------------------------------------------------------
    def _step(self, row: dict[str, Any]) -> None:
        self._row = row
        kind, asset, t_ns, conn = row["event_type"], row["asset_id"], row["ts_received"] * 1000, row["connection_id"]
        detail = json.loads(row["detail"]) if row["detail"] else {}
        if row["venue"] == "polymarket":
            m = self.polymarket
            if kind == "price_change":
                side = BUY if row["side"] == BID else SELL
                m.step_change(PriceChange(asset, row["price"], row["size"], side, row["hash"], row["best_bid"], row["best_ask"]),
                              row["market"], row["ts_exchange"], t_ns, conn)
            elif kind == "subscribe":
                m.step_subscribe(asset, conn, t_ns)
            elif kind == "unsubscribe":
                m.step_unsubscribe(asset, conn, t_ns)
            elif kind == "stale":
                m.step_stale(asset, detail["reason"], t_ns, conn, detail.get("conn_last_ns"), detail.get("detail"))
            elif kind == "tick_size_change":
                old = detail.get("old_tick_size")
                m.step_tick_size(TickSizeChangeEvent(asset, row["market"], None if old is None else Decimal(old), row["tick_size"],
                                                     row["ts_exchange"]), t_ns, conn)
            elif kind == "best_bid_ask":
                m.step_venue_top(BestBidAskEvent(asset, row["market"], row["best_bid"], row["best_ask"], None, row["ts_exchange"]), t_ns, conn)
            elif kind == "malformed":
                m.step_malformed(FrameProblem(detail.get("message", ""), detail.get("excerpt", ""), asset, row["market"]), t_ns, conn)
            elif kind == "resync":
                m.step_resync(asset, detail.get("via", ""), t_ns, conn)
        else:
            lm = self.limitless
            if kind == "subscribe":
                lm.step_subscribe(asset, conn, t_ns)
            elif kind == "unsubscribe":
                lm.step_unsubscribe(asset, conn, t_ns)
            elif kind == "stale":
                lm.step_stale(asset, detail["reason"], t_ns, conn, detail.get("conn_last_ns"), detail.get("detail"))
            elif kind == "market_resolved":
                lm.step_resolved(MarketResolved(asset, detail.get("market_type"), detail.get("winning_outcome"), detail.get("winning_index"),
                                                _dt_ms(row["ts_exchange"])), t_ns, conn)
            elif kind == "malformed":
                lm.step_malformed(LimitlessProblem(detail.get("message", ""), detail.get("excerpt", ""), asset), t_ns, conn)

    def _flush_group(self) -> None:
        if not self._group:
            return
        rows, self._group = self._group, []
        first = rows[-1]  # the BBO a snapshot publishes is keyed by its last row
        self._row = first
        head = rows[0]
        kind, asset, t_ns, conn = head["event_type"], head["asset_id"], head["ts_received"] * 1000, head["connection_id"]
        detail = json.loads(head["detail"]) if head["detail"] else {}
        bids = [(r["price"], r["size"]) for r in rows if r["side"] == BID]
        asks = [(r["price"], r["size"]) for r in rows if r["side"] is not None and r["side"] != BID]
        if kind == "checkpoint":
            info = dict(detail)
            has_book = info.pop("has_book", bool(bids or asks))
            info["bids"] = [[str(p), str(s)] for p, s in bids] if has_book else None
            info["asks"] = [[str(p), str(s)] for p, s in asks] if has_book else None
            st: Any
            if head["venue"] == "polymarket":
                self.polymarket.step_checkpoint(info, t_ns)
                st = self.polymarket.assets[asset]
                market = st.market
            else:
                self.limitless.step_checkpoint(info, t_ns)
                st = self.limitless.markets[asset]
                market = asset
            if st.status == FRESH and st.book is not None:
                bb, bs, ba, asz = st.book.top()
                self._emit(asset, market, st.timestamp_ms, t_ns, bb, bs, ba, asz, True, "checkpoint")
            return
        if head["venue"] == "polymarket":
            event = BookEvent(asset, head["market"], head["ts_exchange"], head["hash"], bids, asks, tick_size=head["tick_size"])
            self.polymarket.step_book(event, t_ns, conn, "book" if kind == "book" else "rest")
        else:
            update = OrderbookUpdate(asset, detail.get("token_id"), bids, asks, detail.get("version"), _dt_ms(head["ts_exchange"]),
                                     None, None, None, None)
            self.limitless.step_book(update, t_ns, conn)

    def _end_asset(self) -> None:
        if self._asset is None:
            return
        venue, asset = self._asset
        self._done.add(self._asset)
        machine: Any = self.polymarket if venue == "polymarket" else self.limitless
        for gap in machine.closed_gaps:
            self._gap(gap, False)
        machine.closed_gaps = []
        states = machine.assets if venue == "polymarket" else machine.markets
        st = states.get(asset)
        if st is not None and st.gap is not None:
            self._gap(st.gap, True)
        if not self.keep_state:
            states.pop(asset, None)
        self._asset = None

    # -- output ----------------------------------------------------------------------------------------
    def _published(self, asset: str, market: str | None, ts_ms: int | None, t_ns: int, best_bid: Decimal | None, bid_size: Decimal | None,
                   best_ask: Decimal | None, ask_size: Decimal | None, verified: bool) -> None:
        self._emit(asset, market, ts_ms, t_ns, best_bid, bid_size, best_ask, ask_size, verified, self._row["event_type"])

    def _emit(self, asset: str, market: str | None, ts_ms: int | None, t_ns: int, best_bid: Decimal | None, bid_size: Decimal | None,
              best_ask: Decimal | None, ask_size: Decimal | None, verified: bool, source: str) -> None:
        self.stats.bbo += 1
        if self.on_bbo_row is not None:
            row = self._row
            self.on_bbo_row(Bbo(row["venue"], asset, market, ts_ms, t_ns // 1000, best_bid, bid_size, best_ask, ask_size, verified, source,
                                row["seq"], row["idx"]))

    def _gap(self, gap: Gap, still_open: bool) -> None:
        self.stats.gaps += 1
        if self.on_gap is not None:
            self.on_gap(gap, still_open)

    # -- for tests -------------------------------------------------------------------------------------
    def state(self, venue: str) -> dict[str, Any]:
        """Every asset's ``(status, levels)`` (with ``keep_state``), as the live machines' ``state()``."""
        states = self.polymarket.assets if venue == "polymarket" else self.limitless.markets
        return {k: (st.status, st.book.levels() if st.book is not None else None) for k, st in states.items()}

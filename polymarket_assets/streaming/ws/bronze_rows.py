"""The book machines' steps written down as bronze ``orderbook_ws_events`` rows.

:class:`PolymarketRows` and :class:`LimitlessRows` are the live machines with every per-asset step
overridden to first append its row(s) to a :class:`RowSink`, then run the step. Fed a day's raw log (in
order, through :func:`~polymarket_assets.streaming.ws.replay.replay`), they produce one row per input of
every asset's book — which is why the rows, replayed asset by asset (``bronze_replay``), rebuild the live
books. Row kinds (``event_type``):

======================  ==========================================================================================
venue events            ``book`` (one row per level of a snapshot; an empty snapshot is one row without side),
                        ``price_change`` (one per level change, with the venue's ``best_bid``/``best_ask``),
                        ``last_trade_price`` (trade print: ``side`` buy/sell, ``price``, ``size``),
                        ``tick_size_change`` (``tick_size`` = new, detail ``old``), ``best_bid_ask``,
                        ``new_market`` / ``market_resolved`` (one row per asset of the market), ``oracle_price``,
                        ``system`` (Limitless acknowledgements), ``unknown`` (an event type we do not know:
                        kept verbatim in ``detail``)
control                 ``subscribe`` / ``unsubscribe`` (per asset), ``stale`` (a lost connection, silence or
                        missing snapshot, expanded to every asset it concerns: detail ``reason``,
                        ``conn_last_ns``), ``resync`` (detail ``via``), ``rest_book`` (levels of a
                        ``POST /books`` answer), ``malformed`` (what could not be parsed, with the asset it
                        names), ``checkpoint`` (the day checkpoint: the asset's levels, its state in ``detail``
                        of the first row)
======================  ==========================================================================================

Levels: ``side`` is ``bid``/``ask``; the rows of one snapshot share ``(seq, event_idx)``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

import pyarrow as pa

from polymarket_assets.bronze.schemas import BOOK_PRICE, BOOK_SIZE, ORDERBOOK_WS_EVENTS
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
from polymarket_assets.clients.limitless_ws import LimitlessProblem, MarketResolved, OraclePriceData, OrderbookUpdate, UnknownLimitlessEvent
from polymarket_assets.streaming.ws import records as R
from polymarket_assets.streaming.ws.limitless_books import LimitlessBooks, ms_of, timestamp_ms
from polymarket_assets.streaming.ws.polymarket_books import PolymarketBooks

BID, ASK = "bid", "ask"
LEVEL_ROWS = ("book", "rest_book", "checkpoint")  # kinds whose rows of one (seq, event_idx) form one snapshot
DEFAULT_BATCH_ROWS = 65_536
_COLUMNS = [f.name for f in ORDERBOOK_WS_EVENTS]
_DECIMALS = {"price": BOOK_PRICE, "size": BOOK_SIZE, "best_bid": BOOK_PRICE, "best_ask": BOOK_PRICE, "tick_size": BOOK_PRICE}


def _json(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), default=str)


class RowSink:
    """Column buffers for the rows of one venue's day; every ``batch_rows`` rows become an Arrow batch
    handed to ``on_batch`` (so memory is bounded by one batch)."""

    def __init__(self, venue: str, on_batch: Callable[[pa.RecordBatch], None], *, batch_rows: int = DEFAULT_BATCH_ROWS):
        self.venue = venue
        self.on_batch = on_batch
        self.batch_rows = batch_rows
        self.rows = 0
        self.by_type: Counter[str] = Counter()
        self.values_rounded = 0
        self.values_unrepresentable = 0
        self.seq = -1
        self.markets: dict[tuple[str, str], str] = {}  # (venue, asset) -> market, for the rows that carry none
        self._cols: dict[str, list[Any]] = {c: [] for c in _COLUMNS}
        self._t_us = 0
        self._conn = ""
        self._file = ""
        self._idx = 0
        self.machine: Any = None
        self._known: set[str] = set()

    def begin(self, rec: R.Record, source_file: str) -> None:
        """A new record: its rows get the next ``seq`` and its receive time and connection."""
        self.seq += 1
        self._t_us = rec.t_ns // 1000
        self._conn = rec.conn
        self._file = source_file
        self._idx = 0

    def add(self, event_type: str, asset: str | None, market: str | None = None, side: str | None = None,
            price: Decimal | None = None, size: Decimal | None = None, best_bid: Decimal | None = None,
            best_ask: Decimal | None = None, tick_size: Decimal | None = None, hash: str | None = None,
            ts_ms: int | None = None, detail: str | None = None) -> None:
        c = self._cols
        if market is not None and asset is not None and asset not in self._known:
            self._known.add(asset)
            self.markets[(self.venue, asset)] = market
        c["venue"].append(self.venue)
        c["market"].append(market)
        c["asset_id"].append(asset)
        c["event_type"].append(event_type)
        c["side"].append(side)
        c["price"].append(price)
        c["size"].append(size)
        c["best_bid"].append(best_bid)
        c["best_ask"].append(best_ask)
        c["tick_size"].append(tick_size)
        c["hash"].append(hash)
        c["ts_exchange"].append(ts_ms)
        c["ts_received"].append(self._t_us)
        c["connection_id"].append(self._conn)
        c["seq"].append(self.seq)
        c["idx"].append(self._idx)
        c["event_idx"].append(self.machine.event_index if self.machine is not None else 0)
        c["detail"].append(detail)
        c["source_file"].append(self._file)
        self._idx += 1
        self.rows += 1
        self.by_type[event_type] += 1
        if len(c["venue"]) >= self.batch_rows:
            self.flush()

    def levels(self, event_type: str, asset: str, market: str | None, bids: Any, asks: Any, *, tick_size: Decimal | None = None,
               hash: str | None = None, ts_ms: int | None = None, detail: str | None = None) -> None:
        """One row per level of a snapshot (``detail`` on the first); an empty snapshot is one row without side."""
        first = True
        for side, levels in ((BID, bids), (ASK, asks)):
            for price, size in levels:
                self.add(event_type, asset, market, side, price, size, tick_size=tick_size, hash=hash, ts_ms=ts_ms,
                         detail=detail if first else None)
                first = False
        if first:
            self.add(event_type, asset, market, tick_size=tick_size, hash=hash, ts_ms=ts_ms, detail=detail)

    def flush(self) -> None:
        if not self._cols["venue"]:
            return
        arrays = []
        for f in ORDERBOOK_WS_EVENTS:
            values = self._cols[f.name]
            arrays.append(self._decimal_array(values, f.type) if f.name in _DECIMALS else pa.array(values, f.type))
        self._cols = {c: [] for c in _COLUMNS}
        self.on_batch(pa.RecordBatch.from_arrays(arrays, schema=ORDERBOOK_WS_EVENTS))

    def _decimal_array(self, values: list[Any], typ: pa.DataType) -> pa.Array:
        try:
            return pa.array(values, typ)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            pass
        quantum = Decimal(1).scaleb(-typ.scale)
        limit = Decimal(10) ** (typ.precision - typ.scale)
        out: list[Decimal | None] = []
        for v in values:
            if v is None:
                out.append(None)
                continue
            try:
                q = v.quantize(quantum, rounding=ROUND_HALF_EVEN)
            except InvalidOperation:
                q = None
            if q is None or abs(q) >= limit:
                self.values_unrepresentable += 1
                out.append(None)
                continue
            if q != v:
                self.values_rounded += 1
            out.append(q)
        return pa.array(out, typ)


def _side(venue_side: str) -> str:
    return BID if venue_side == BUY else ASK


class PolymarketRows(PolymarketBooks):
    """The Polymarket machine, writing every step as rows (malformed frames are counted, not logged)."""

    def __init__(self, sink: RowSink):
        super().__init__(on_problem=lambda conn, problem: None)
        self.sink = sink
        sink.machine = self

    def apply(self, rec: R.Record):  # noqa: ANN201
        self.event_index = 0
        return super().apply(rec)

    def step_subscribe(self, asset: str, conn: str, t_ns: int) -> None:
        self.sink.add("subscribe", asset)
        super().step_subscribe(asset, conn, t_ns)

    def step_unsubscribe(self, asset: str, conn: str, t_ns: int) -> None:
        st = self.assets.get(asset)
        self.sink.add("unsubscribe", asset, st.market if st is not None else None)
        super().step_unsubscribe(asset, conn, t_ns)

    def step_book(self, event: BookEvent, t_ns: int, conn: str, source: str = "book") -> None:
        detail = _json({"last_trade_price": event.last_trade_price}) if event.last_trade_price is not None else None
        self.sink.levels("book" if source == "book" else "rest_book", event.asset_id, event.market, event.bids, event.asks,
                         tick_size=event.tick_size, hash=event.hash, ts_ms=event.timestamp_ms, detail=detail)
        super().step_book(event, t_ns, conn, source)

    def step_change(self, change: PriceChange, market: str | None, timestamp_ms: int | None, t_ns: int, conn: str) -> bool:
        self.sink.add("price_change", change.asset_id, market, _side(change.side), change.price, change.size, change.best_bid,
                      change.best_ask, None, change.hash, timestamp_ms)
        return super().step_change(change, market, timestamp_ms, t_ns, conn)

    def step_tick_size(self, event: TickSizeChangeEvent, t_ns: int, conn: str) -> bool:
        self.sink.add("tick_size_change", event.asset_id, event.market, tick_size=event.new_tick_size, ts_ms=event.timestamp_ms,
                      detail=_json({"old_tick_size": event.old_tick_size}))
        return super().step_tick_size(event, t_ns, conn)

    def step_venue_top(self, event: BestBidAskEvent, t_ns: int, conn: str) -> bool:
        self.sink.add("best_bid_ask", event.asset_id, event.market, best_bid=event.best_bid, best_ask=event.best_ask, ts_ms=event.timestamp_ms,
                      detail=_json({"spread": event.spread}) if event.spread is not None else None)
        return super().step_venue_top(event, t_ns, conn)

    def step_trade(self, event: LastTradePriceEvent, t_ns: int, conn: str) -> None:
        self.sink.add("last_trade_price", event.asset_id, event.market, event.side.lower() if event.side else None, event.price, event.size,
                      ts_ms=event.timestamp_ms, detail=_json({"fee_rate_bps": event.fee_rate_bps, "transaction_hash": event.transaction_hash}))
        super().step_trade(event, t_ns, conn)

    def step_lifecycle(self, event: NewMarketEvent | MarketResolvedEvent, t_ns: int, conn: str) -> None:
        if isinstance(event, NewMarketEvent):
            detail = _json({"gamma_market_id": event.gamma_market_id, "slug": event.slug, "question": event.question, "outcomes": event.outcomes,
                            "active": event.active, "tags": event.tags})
            tick = event.tick_size
        else:
            detail = _json({"gamma_market_id": event.gamma_market_id, "winning_asset_id": event.winning_asset_id,
                            "winning_outcome": event.winning_outcome})
            tick = None
        assets: list[str | None] = list(event.asset_ids) or [None]
        for asset in assets:
            self.sink.add(event.event_type, asset, event.market, tick_size=tick, ts_ms=event.timestamp_ms, detail=detail)
        super().step_lifecycle(event, t_ns, conn)

    def step_unknown(self, event: UnknownEvent, t_ns: int, conn: str) -> None:
        raw = event.raw
        asset, market = raw.get("asset_id"), raw.get("market")
        self.sink.add("unknown", asset if isinstance(asset, str) else None, market if isinstance(market, str) else None, detail=_json(raw))
        super().step_unknown(event, t_ns, conn)

    def step_malformed(self, problem: FrameProblem, t_ns: int, conn: str) -> bool:
        self.sink.add("malformed", problem.asset_id, problem.market, detail=_json({"message": problem.message, "excerpt": problem.excerpt}))
        return super().step_malformed(problem, t_ns, conn)

    def step_stale(self, asset: str, reason: str, t_ns: int, conn: str, conn_last_ns: int | None = None, detail: str | None = None) -> bool:
        st = self.assets.get(asset)
        self.sink.add("stale", asset, st.market if st is not None else None,
                      detail=_json({"reason": reason, "conn_last_ns": conn_last_ns, "detail": detail}))
        return super().step_stale(asset, reason, t_ns, conn, conn_last_ns, detail)

    def step_resync(self, asset: str, via: str, t_ns: int, conn: str) -> None:
        st = self.assets.get(asset)
        self.sink.add("resync", asset, st.market if st is not None else None, detail=_json({"via": via}))
        super().step_resync(asset, via, t_ns, conn)

    def step_checkpoint(self, info: dict, t_ns: int) -> None:
        state = {k: v for k, v in info.items() if k not in ("bids", "asks")}
        state["has_book"] = info.get("bids") is not None or info.get("asks") is not None
        self.sink.levels("checkpoint", str(info["asset"]), info.get("market"),
                         [(Decimal(p), Decimal(s)) for p, s in info.get("bids") or []],
                         [(Decimal(p), Decimal(s)) for p, s in info.get("asks") or []],
                         tick_size=None if info.get("tick_size") is None else Decimal(info["tick_size"]),
                         hash=info.get("hash"), ts_ms=info.get("timestamp_ms"), detail=_json(state))
        super().step_checkpoint(info, t_ns)


class LimitlessRows(LimitlessBooks):
    """The Limitless machine, writing every step as rows."""

    def __init__(self, sink: RowSink):
        super().__init__(on_problem=lambda conn, problem: None)
        self.sink = sink
        sink.machine = self

    def _recv(self, rec: R.Record):  # noqa: ANN202
        before = self.counts["system"]
        out = super()._recv(rec)
        if self.counts["system"] != before:
            self.sink.add("system", None, detail=rec.data[:2000])
        return out

    def step_subscribe(self, slug: str, conn: str, t_ns: int) -> None:
        self.sink.add("subscribe", slug, slug)
        super().step_subscribe(slug, conn, t_ns)

    def step_unsubscribe(self, slug: str, conn: str, t_ns: int) -> None:
        self.sink.add("unsubscribe", slug, slug)
        super().step_unsubscribe(slug, conn, t_ns)

    def step_book(self, event: OrderbookUpdate, t_ns: int, conn: str) -> None:
        detail = _json({"token_id": event.token_id, "version": event.version, "midpoint": event.midpoint,
                        "adjusted_midpoint": event.adjusted_midpoint, "max_spread": event.max_spread, "min_size": event.min_size})
        self.sink.levels("book", event.market_slug, event.market_slug, event.bids, event.asks, ts_ms=timestamp_ms(event), detail=detail)
        super().step_book(event, t_ns, conn)

    def step_resolved(self, event: MarketResolved, t_ns: int, conn: str) -> bool:
        self.sink.add("market_resolved", event.slug, event.slug, ts_ms=ms_of(event.resolution_date),
                      detail=_json({"market_type": event.market_type, "winning_outcome": event.winning_outcome, "winning_index": event.winning_index}))
        return super().step_resolved(event, t_ns, conn)

    def step_oracle(self, event: OraclePriceData, t_ns: int, conn: str) -> None:
        self.sink.add("oracle_price", event.market_slug, event.market_slug, ts_ms=ms_of(event.timestamp),
                      detail=_json({"value": event.value, "source": event.source, "market_address": event.market_address}))
        super().step_oracle(event, t_ns, conn)

    def step_unknown(self, event: UnknownLimitlessEvent, t_ns: int, conn: str) -> None:
        self.sink.add("unknown", None, detail=_json({"event": event.event, "args": event.args}))
        super().step_unknown(event, t_ns, conn)

    def step_malformed(self, problem: LimitlessProblem, t_ns: int, conn: str) -> bool:
        self.sink.add("malformed", problem.market_slug, problem.market_slug, detail=_json({"message": problem.message, "excerpt": problem.excerpt}))
        return super().step_malformed(problem, t_ns, conn)

    def step_stale(self, slug: str, reason: str, t_ns: int, conn: str, conn_last_ns: int | None = None, detail: str | None = None) -> bool:
        self.sink.add("stale", slug, slug, detail=_json({"reason": reason, "conn_last_ns": conn_last_ns, "detail": detail}))
        return super().step_stale(slug, reason, t_ns, conn, conn_last_ns, detail)

    def step_checkpoint(self, info: dict, t_ns: int) -> None:
        state = {k: v for k, v in info.items() if k not in ("bids", "asks")}
        state["has_book"] = info.get("bids") is not None or info.get("asks") is not None
        slug = str(info["asset"])
        self.sink.levels("checkpoint", slug, slug, [(Decimal(p), Decimal(s)) for p, s in info.get("bids") or []],
                         [(Decimal(p), Decimal(s)) for p, s in info.get("asks") or []], ts_ms=info.get("timestamp_ms"), detail=_json(state))
        super().step_checkpoint(info, t_ns)


def rows_machine(venue: str, sink: RowSink) -> PolymarketRows | LimitlessRows:
    return PolymarketRows(sink) if venue == "polymarket" else LimitlessRows(sink)

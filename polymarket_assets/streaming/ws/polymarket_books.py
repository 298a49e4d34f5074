"""The Polymarket book state machine: a pure function of the raw-log records it is fed.

Fed live (by :mod:`~polymarket_assets.streaming.ws.polymarket_stream`) and from the raw log (replay, bronze)
with the same :class:`~polymarket_assets.streaming.ws.records.Record` sequence, it reaches the same books and
gaps: it reads no clock and does no I/O. :meth:`PolymarketBooks.apply` turns each record into the per-asset
steps of :class:`~polymarket_assets.streaming.ws.polymarket_steps.PolymarketSteps` (where the book logic is):

* ``recv`` — the frame's events in wire order (``price_change`` entries one by one), then its problems;
* ``sent`` — subscribe / unsubscribe per asset (the assets followed are tracked from these);
* ``close`` — a ``stale`` step for every asset of the connection (gap ``reconnect``, or ``stop``);
* ``stale`` — the watchdog's verdict (``silence`` for the connection's assets, ``no_snapshot`` for some);
* ``resync`` — per asset; ``rest`` — the ``POST /books`` answer, one book step per book;
* ``checkpoint`` — the day checkpoint (:mod:`~polymarket_assets.streaming.ws.checkpoint`).

``apply`` returns the assets that just became stale and need a resync (the live side chooses how), and the
``new_market`` / ``market_resolved`` events (the live side changes its subscriptions).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from polymarket_assets.clients import fastjson
from polymarket_assets.clients.clob_ws import (
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
from polymarket_assets.streaming.ws import checkpoint as C
from polymarket_assets.streaming.ws import gaps as G
from polymarket_assets.streaming.ws import records as R
from polymarket_assets.streaming.ws.book import Level
from polymarket_assets.streaming.ws.gaps import Gap
from polymarket_assets.streaming.ws.polymarket_steps import (
    AWAITING,
    FRESH,
    STALE,
    VENUE,
    AssetState,
    BboCallback,
    PolymarketSteps,
)

__all__ = ["AWAITING", "FRESH", "STALE", "VENUE", "AssetState", "BboCallback", "Effects", "PolymarketBooks"]


@dataclass
class Effects:
    resync: list[str] = field(default_factory=list)
    lifecycle: list[NewMarketEvent | MarketResolvedEvent] = field(default_factory=list)


class PolymarketBooks(PolymarketSteps):
    def __init__(self, **kwargs):  # noqa: ANN003 - see PolymarketSteps
        super().__init__(**kwargs)
        self.last_data_ns: dict[str, int] = {}
        self.event_index = 0  # position of the event being applied in its frame (bronze rows record it)

    # -- public views ----------------------------------------------------------------------------
    def book(self, asset_id: str):  # noqa: ANN201 - Book | None
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

    def open_gaps(self) -> list[Gap]:
        return [st.gap for st in self.assets.values() if st.gap is not None]

    def take_closed_gaps(self) -> list[Gap]:
        out, self.closed_gaps = self.closed_gaps, []
        return out

    def awaiting(self, conn: str, older_than_ns: int) -> list[str]:
        """Assets of ``conn`` subscribed before ``older_than_ns`` that still have no book (watchdog input)."""
        return [a for a, st in self.assets.items() if st.conn == conn and st.status == AWAITING and st.subscribed_ns < older_than_ns]

    def conn_assets(self, conn: str) -> list[str]:
        return [a for a, st in self.assets.items() if st.conn == conn]

    # -- day checkpoints -----------------------------------------------------------------------------
    def checkpoint_records(self, t_ns: int, conn: str) -> list[R.Record]:
        """The records that restore this machine's state (see :mod:`~polymarket_assets.streaming.ws.checkpoint`);
        each asset's on its own connection (``conn``, the connection of the record that starts the day, is unused)."""
        out = [R.Record(t_ns, VENUE, conn, R.CHECKPOINT, json.dumps({"conn": conn, "last_data_ns": last}))
               for conn, last in sorted(self.last_data_ns.items())]
        out += [R.Record(t_ns, VENUE, st.conn, R.CHECKPOINT, json.dumps(C.polymarket_state(st))) for st in self.assets.values()]
        return out

    # -- feeding ---------------------------------------------------------------------------------
    def apply(self, rec: R.Record) -> Effects | None:
        kind = rec.kind
        if kind == R.RECV:
            return self._recv(rec)
        if kind == R.SENT:
            self._sent(rec)
        elif kind == R.CLOSE:
            start = self.last_data_ns.pop(rec.conn, rec.t_ns)  # the connection is gone: forget it
            reason = G.close_reason(rec.data)
            for asset in self.conn_assets(rec.conn):
                self.step_stale(asset, reason, rec.t_ns, rec.conn, start, rec.data[:200])
        elif kind == R.STALE:
            self._stale_record(rec)
        elif kind == R.RESYNC:
            info = json.loads(rec.data)
            self.counts["resyncs"] += 1
            via = str(info.get("via"))
            for asset in info.get("assets") or []:
                self.step_resync(str(asset), via, rec.t_ns, rec.conn)
        elif kind == R.REST:
            self._rest(rec)
        elif kind == R.OPEN:
            self.last_data_ns[rec.conn] = rec.t_ns
        elif kind == R.CHECKPOINT:
            info = json.loads(rec.data)
            if "asset" in info:
                self.step_checkpoint(info, rec.t_ns)
            else:
                self.last_data_ns[str(info["conn"])] = int(info["last_data_ns"])
        return None

    def _recv(self, rec: R.Record) -> Effects | None:
        frame = parse_frame(rec.data)
        counts = self.counts
        counts["frames"] += 1
        if frame.pong:
            counts["pongs"] += 1
            return None
        t_ns, conn = rec.t_ns, rec.conn
        self.last_data_ns[conn] = t_ns
        effects: Effects | None = None
        stale: list[str] = []
        for index, event in enumerate(frame.events):
            self.event_index = index
            etype = type(event)
            if etype is PriceChangeEvent:
                counts["price_change"] += 1
                step = self.step_change
                market, ts = event.market, event.timestamp_ms  # type: ignore[union-attr]
                for change in event.changes:  # type: ignore[union-attr]
                    if step(change, market, ts, t_ns, conn):
                        stale.append(change.asset_id)
            elif etype is BookEvent:
                self.step_book(event, t_ns, conn)  # type: ignore[arg-type]
            elif etype is TickSizeChangeEvent:
                if self.step_tick_size(event, t_ns, conn):  # type: ignore[arg-type]
                    stale.append(event.asset_id)  # type: ignore[union-attr]
            elif etype is BestBidAskEvent:
                if self.step_venue_top(event, t_ns, conn):  # type: ignore[arg-type]
                    stale.append(event.asset_id)  # type: ignore[union-attr]
            elif etype is LastTradePriceEvent:
                self.step_trade(event, t_ns, conn)  # type: ignore[arg-type]
            elif etype is NewMarketEvent or etype is MarketResolvedEvent:
                self.step_lifecycle(event, t_ns, conn)  # type: ignore[arg-type]
                effects = effects or Effects()
                effects.lifecycle.append(event)  # type: ignore[arg-type]
            elif etype is UnknownEvent:
                self.step_unknown(event, t_ns, conn)  # type: ignore[arg-type]
        self.event_index = len(frame.events)
        for problem in frame.problems:
            if self.step_malformed(problem, t_ns, conn):
                stale.append(problem.asset_id)  # type: ignore[arg-type]
            self.event_index += 1
        if stale:
            effects = effects or Effects()
            effects.resync.extend(stale)
        return effects

    # -- control records ---------------------------------------------------------------------------
    def _sent(self, rec: R.Record) -> None:
        parsed = parse_client_message(rec.data)
        if parsed is None:
            return
        operation, ids = parsed
        step = self.step_subscribe if operation == "subscribe" else self.step_unsubscribe
        for index, asset in enumerate(ids):
            self.event_index = index
            step(asset, rec.conn, rec.t_ns)

    def _stale_record(self, rec: R.Record) -> None:
        info = json.loads(rec.data)
        reason = str(info.get("reason") or G.SILENCE)
        wanted = info.get("assets")
        start = self.last_data_ns.get(rec.conn, rec.t_ns) if reason == G.SILENCE else None
        targets = [a for a in wanted if a in self.assets] if wanted else self.conn_assets(rec.conn)
        for asset in targets:
            self.step_stale(asset, reason, rec.t_ns, rec.conn, start, info.get("detail"))

    def _rest(self, rec: R.Record) -> None:
        try:
            books = fastjson.loads(rec.data)
        except fastjson.JSONDecodeError:
            books = None
        if not isinstance(books, list):
            self.step_malformed(FrameProblem("REST books answer is not a JSON array", rec.data[:300]), rec.t_ns, rec.conn)
            return
        problems: list[FrameProblem] = []
        for index, raw in enumerate(books):
            self.event_index = index
            if isinstance(raw, dict):
                raw = {**raw, "event_type": "book"}
            event = parse_event(raw, problems)
            if isinstance(event, BookEvent):
                self.step_book(event, rec.t_ns, rec.conn, "rest")
        for problem in problems:
            self.step_malformed(problem, rec.t_ns, rec.conn)

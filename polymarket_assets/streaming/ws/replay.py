"""Replay raw-log records through the same book state machines the live stream used.

Live and replay feed the machines the same record sequence, so the rebuilt books and gaps equal the live
ones. Connection ids start with the writer session (``<session>/...``); when the records of a new session
begin, every connection of the earlier sessions that has no ``close`` record (a killed run) is closed first,
so a book of a dead run is never extended with the next run's deltas. :class:`SessionReplay` does this one
record at a time (bronze compaction feeds it file by file); :func:`replay` runs it over an iterable.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from polymarket_assets.streaming.ws import records as R
from polymarket_assets.streaming.ws.limitless_books import LimitlessBooks
from polymarket_assets.streaming.ws.polymarket_books import PolymarketBooks

M = TypeVar("M", PolymarketBooks, LimitlessBooks)
SESSION_ENDED = json.dumps({"reason": "session ended without a close record"})


def session_of(conn: str) -> str:
    return conn.split("/", 1)[0] if "/" in conn else ""


class SessionReplay:
    """Feeds records to ``machine`` (``before(rec)`` is called first for every record it feeds, the
    synthetic ``close`` records of a dead session included)."""

    def __init__(self, machine: Any, *, venue: str | None = None, before: Callable[[R.Record], None] | None = None):
        self.machine = machine
        self.venue = venue
        self.before = before
        self.open_conns: dict[str, tuple[str, int]] = {}  # conn -> (session, last record time)
        self.session: str | None = None
        self.synthetic_closes = 0

    def apply(self, rec: R.Record) -> None:
        if self.venue is not None and rec.venue != self.venue:
            return
        rec_session = session_of(rec.conn)
        if self.session is not None and rec_session != self.session:
            for conn, (conn_session, last_ns) in list(self.open_conns.items()):
                if conn_session != rec_session:
                    self._feed(R.Record(last_ns, rec.venue, conn, R.CLOSE, SESSION_ENDED))
                    self.synthetic_closes += 1
                    del self.open_conns[conn]
        self.session = rec_session
        if rec.kind == R.CLOSE:
            self.open_conns.pop(rec.conn, None)
        else:
            self.open_conns[rec.conn] = (rec_session, rec.t_ns)
        self._feed(rec)

    def _feed(self, rec: R.Record) -> None:
        if self.before is not None:
            self.before(rec)
        self.machine.apply(rec)


def replay(records: Iterable[R.Record], machine: M, *, venue: str | None = None) -> M:
    """Feed ``records`` (of ``venue`` only, when given) to ``machine``; returns it."""
    session = SessionReplay(machine, venue=venue)
    for rec in records:
        session.apply(rec)
    return machine


def replay_polymarket(records: Iterable[R.Record], **kwargs: Any) -> PolymarketBooks:
    return replay(records, PolymarketBooks(**kwargs), venue="polymarket")


def replay_limitless(records: Iterable[R.Record], **kwargs: Any) -> LimitlessBooks:
    return replay(records, LimitlessBooks(**kwargs), venue="limitless")

"""Replay raw-log records through the same book state machines the live stream used.

Live and replay feed the machines the same record sequence, so the rebuilt books and gaps equal the live
ones. Connection ids start with the writer session (``<session>/...``); when the records of a new session
begin, every connection of the earlier sessions that has no ``close`` record (a killed run) is closed first,
so a book of a dead run is never extended with the next run's deltas.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TypeVar

from polymarket_assets.streaming.ws import records as R
from polymarket_assets.streaming.ws.limitless_books import LimitlessBooks
from polymarket_assets.streaming.ws.polymarket_books import PolymarketBooks

M = TypeVar("M", PolymarketBooks, LimitlessBooks)


def session_of(conn: str) -> str:
    return conn.split("/", 1)[0] if "/" in conn else ""


def replay(records: Iterable[R.Record], machine: M, *, venue: str | None = None) -> M:
    """Feed ``records`` (of ``venue`` only, when given) to ``machine``; returns it."""
    open_conns: dict[str, tuple[str, int]] = {}  # conn -> (session, last record time)
    session: str | None = None
    for rec in records:
        if venue is not None and rec.venue != venue:
            continue
        rec_session = session_of(rec.conn)
        if session is not None and rec_session != session:
            for conn, (conn_session, last_ns) in list(open_conns.items()):
                if conn_session != rec_session:
                    machine.apply(R.Record(last_ns, rec.venue, conn, R.CLOSE, json.dumps({"reason": "session ended without a close record"})))
                    del open_conns[conn]
        session = rec_session
        if rec.kind == R.CLOSE:
            open_conns.pop(rec.conn, None)
        else:
            open_conns[rec.conn] = (rec_session, rec.t_ns)
        machine.apply(rec)
    return machine


def replay_polymarket(records: Iterable[R.Record], **kwargs: Any) -> PolymarketBooks:
    return replay(records, PolymarketBooks(**kwargs), venue="polymarket")


def replay_limitless(records: Iterable[R.Record], **kwargs: Any) -> LimitlessBooks:
    return replay(records, LimitlessBooks(**kwargs), venue="limitless")

"""Day checkpoints: a book machine's whole state as JSON, written into the raw log when a new UTC day begins.

The raw log of a day must replay on its own (bronze compacts one day at a time, and a backfill may build
days in any order), but a run that crosses midnight keeps books whose snapshot arrived the day before. So
the first record of a new day is preceded, in the log, by ``checkpoint`` records (same receive time): one per
followed asset (``{"asset": ..., status, book levels, open gap, ...}``) and, for Polymarket, one per
connection (``{"conn": ..., "last_data_ns": ...}``). Applying them to an empty machine restores exactly the
state the live machine had at that moment; applying them to a machine that already has that state (a replay
across days) changes nothing.

Numbers are strings (exact Decimals); levels are ``[price, size]`` pairs.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from polymarket_assets.clients.clob_ws import PriceChange
from polymarket_assets.streaming.ws import gaps as G
from polymarket_assets.streaming.ws.book import Book

DAY_NS = 86_400 * 1_000_000_000


def day_of(t_ns: int) -> int:
    """Days since the epoch of a receive time (UTC)."""
    return t_ns // DAY_NS


def _levels(levels: dict[Decimal, Decimal]) -> list[list[str]]:
    return [[str(p), str(s)] for p, s in levels.items()]


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _book(info: dict[str, Any]) -> Book | None:
    if info.get("bids") is None and info.get("asks") is None:
        return None
    book = Book()
    book.load([(Decimal(p), Decimal(s)) for p, s in info.get("bids") or []], [(Decimal(p), Decimal(s)) for p, s in info.get("asks") or []])
    return book


def _gap(info: dict[str, Any]) -> G.Gap | None:
    gap = info.get("gap")
    return G.Gap(**gap) if gap else None


# -- Polymarket ----------------------------------------------------------------------------------------

def polymarket_state(st: Any) -> dict[str, Any]:
    """An :class:`~polymarket_assets.streaming.ws.polymarket_steps.AssetState` as checkpoint JSON."""
    buffer = None
    if st.rest_buffer is not None:
        buffer = [[ts, c.side, str(c.price), str(c.size), c.hash, None if c.best_bid is None else str(c.best_bid),
                   None if c.best_ask is None else str(c.best_ask)] for ts, c in st.rest_buffer]
    return {
        "asset": st.asset_id,
        "market": st.market,
        "conn": st.conn,
        "status": st.status,
        "verified_ns": st.verified_ns,
        "subscribed_ns": st.subscribed_ns,
        "tick_size": None if st.tick_size is None else str(st.tick_size),
        "timestamp_ms": st.timestamp_ms,
        "hash": st.hash,
        "bids": None if st.book is None else _levels(st.book.bids),
        "asks": None if st.book is None else _levels(st.book.asks),
        "gap": None if st.gap is None else st.gap.as_dict(),
        "rest_buffer": buffer,
    }


def restore_polymarket(st: Any, info: dict[str, Any]) -> None:
    """Set an ``AssetState`` to the checkpointed state."""
    st.market = info.get("market")
    st.conn = info.get("conn") or st.conn
    st.status = info["status"]
    st.verified_ns = int(info["verified_ns"])
    st.subscribed_ns = int(info.get("subscribed_ns") or info["verified_ns"])
    st.tick_size = _dec(info.get("tick_size"))
    st.timestamp_ms = info.get("timestamp_ms")
    st.hash = info.get("hash")
    st.book = _book(info)
    st.gap = _gap(info)
    buffer = info.get("rest_buffer")
    st.rest_buffer = None if buffer is None else [
        (ts, PriceChange(st.asset_id, Decimal(p), Decimal(s), side, h, _dec(bb), _dec(ba))) for ts, side, p, s, h, bb, ba in buffer
    ]
    st.top = st.book.top() if st.book is not None and st.status == "fresh" else None


# -- Limitless -----------------------------------------------------------------------------------------

def limitless_state(st: Any) -> dict[str, Any]:
    """A :class:`~polymarket_assets.streaming.ws.limitless_books.MarketState` as checkpoint JSON."""
    return {
        "asset": st.slug,
        "token_id": st.token_id,
        "status": st.status,
        "verified_ns": st.verified_ns,
        "version": st.version,
        "timestamp_ms": st.timestamp_ms,
        "bids": None if st.book is None else _levels(st.book.bids),
        "asks": None if st.book is None else _levels(st.book.asks),
        "gap": None if st.gap is None else st.gap.as_dict(),
    }


def restore_limitless(st: Any, info: dict[str, Any]) -> None:
    st.token_id = info.get("token_id")
    st.status = info["status"]
    st.verified_ns = int(info["verified_ns"])
    st.version = info.get("version")
    st.timestamp_ms = info.get("timestamp_ms")
    st.book = _book(info)
    st.gap = _gap(info)
    st.top = st.book.top() if st.book is not None and st.status == "fresh" else None

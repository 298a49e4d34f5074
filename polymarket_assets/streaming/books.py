"""Raw venue order books -> the normalized snapshot record the writer appends as one JSONL line.

A record (one per polled book) holds::

    snapshot_id   "<run tag>-<seq>"          unique per logger run, seq increases by one per snapshot
    seq, poll_cycle                          counters of the run (lost-snapshot and rollover checks)
    venue, source, instrument_key, market_id, instrument_id, token_id, slug, outcome
    exchange_ts   ISO-8601 UTC ms            the venue's book timestamp (Polymarket ``timestamp`` ms;
                                             null for Limitless REST, whose book carries none)
    received_ts   ISO-8601 UTC ms            wall time the response arrived
    best_bid, best_ask, mid, spread          decimal strings (null when a side is empty)
    bids, asks    [{"price": "0.48", "size": "500"}, ...] best level FIRST (bids high->low, asks low->high)
    hash          Polymarket book hash (null elsewhere)
    fetch_ms      request round-trip in milliseconds

Parsing is the clients' (``clob.parse_clob_book`` / ``limitless.parse_limitless_book`` / ``orderbook.normalize_book``):
levels sorted best first whatever order the venue sends, size-0 levels dropped, Limitless sizes divided
by 10**6 (raw 6-decimal units -> shares). Prices and sizes are written as exact decimal *strings*
(Limitless JSON numbers go through ``repr``, so 0.012 stays ``"0.012"``).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TypedDict

from polymarket_assets.clients.clob.parsing import parse_clob_book
from polymarket_assets.clients.limitless.parsing import parse_limitless_book
from polymarket_assets.streaming.clock import iso_ms
from polymarket_assets.streaming.instruments import Instrument


class Level(TypedDict):
    price: str
    size: str


class BookLevels(TypedDict):
    """A book's levels and top of book as exact decimal strings (best level first)."""

    best_bid: str | None
    best_ask: str | None
    mid: str | None
    spread: str | None
    bids: list[Level]
    asks: list[Level]


class SnapshotRecord(BookLevels):
    """One JSONL line of the logger (the table of the module docstring)."""

    snapshot_id: str
    seq: int
    poll_cycle: int
    venue: str
    source: str | None
    instrument_key: str
    market_id: str
    instrument_id: str
    token_id: str | None
    slug: str | None
    outcome: str | None
    exchange_ts: str | None
    received_ts: str | None
    hash: str | None
    fetch_ms: float


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def levels_record(book: Mapping[str, Any]) -> BookLevels:
    """A normalized book (``clients.orderbook.normalize_book`` shape: Decimals, best first) -> JSON-ready
    strings: ``best_bid/best_ask/mid/spread`` and ``bids/asks`` as ``[{"price", "size"}]``."""
    return {
        "best_bid": _text(book["best_bid"]),
        "best_ask": _text(book["best_ask"]),
        "mid": _text(book["mid"]),
        "spread": _text(book["spread"]),
        "bids": [{"price": format(p, "f"), "size": format(s, "f")} for p, s in book["bids"]],
        "asks": [{"price": format(p, "f"), "size": format(s, "f")} for p, s in book["asks"]],
    }


def _epoch(value: Any) -> float | None:
    return None if value is None else value.timestamp()


def build_record(
    inst: Instrument,
    book: BookLevels,
    *,
    exchange_ts: float | None,
    received_ts: float,
    fetch_ms: float,
    seq: int,
    poll_cycle: int,
    run_tag: str,
    book_hash: str | None = None,
) -> SnapshotRecord:
    return {
        "snapshot_id": f"{run_tag}-{seq}",
        "seq": seq,
        "poll_cycle": poll_cycle,
        "venue": inst["venue"],
        "source": inst.get("source"),
        "instrument_key": inst["instrument_key"],
        "market_id": inst["market_id"],
        "instrument_id": inst["instrument_id"],
        "token_id": inst.get("token_id"),
        "slug": inst.get("slug"),
        "outcome": inst.get("outcome"),
        "exchange_ts": iso_ms(exchange_ts),
        "received_ts": iso_ms(received_ts),
        "best_bid": book["best_bid"],
        "best_ask": book["best_ask"],
        "mid": book["mid"],
        "spread": book["spread"],
        "bids": book["bids"],
        "asks": book["asks"],
        "hash": book_hash,
        "fetch_ms": round(fetch_ms, 3),
    }


def polymarket_book(obj: Any) -> tuple[BookLevels, float | None, str | None, str | None]:
    """A CLOB book object (``GET /book`` / ``POST /books`` element) -> (levels, exchange ts s, hash, asset id)."""
    book = parse_clob_book(obj)
    return levels_record(book), _epoch(book["exchange_ts"]), book["hash"], book["asset_id"]


def limitless_book(obj: Any, slug: str = "") -> tuple[BookLevels, float | None]:
    """A Limitless ``/markets/{slug}/orderbook`` body (or WS ``orderbookUpdate`` payload) -> (levels, exchange ts s).

    Sizes are rescaled from raw 6-decimal units to shares by ``clients.limitless.parse_limitless_book``."""
    book = parse_limitless_book(obj, slug)
    return levels_record(book), _epoch(book["exchange_ts"])

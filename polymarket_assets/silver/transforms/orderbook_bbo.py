"""``silver.orderbook_bbo``: one row per change of a trusted book's best bid or ask, from replaying a day of
``bronze/orderbook_ws_events`` through the live book machines (``orderbook_replay``).

A book the machine does not trust (stale after a mismatch, a reconnect, …; or awaiting its first snapshot) is
never published, exactly as live. ``verified`` says whether the venue confirmed this top (a full book, or the
``best_bid``/``best_ask`` the change carried); ``crossed`` whether best bid >= best ask (a venue-confirmed
crossed top is what the venue sent: counted by the ``crossed_only_as_sent`` check; an unconfirmed one fails
it). ``source`` is the row kind that moved the top; ``checkpoint`` rows are the books carried into the day.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pyarrow as pa

from polymarket_assets.silver.model import DayInput
from polymarket_assets.silver.transforms.orderbook_replay import replay_day
from polymarket_assets.streaming.ws.bronze_replay import Bbo, BronzeReplay

PRICE = pa.decimal128(18, 6)
MID = pa.decimal128(19, 7)
SIZE = pa.decimal128(28, 8)
TS = pa.timestamp("us", tz="UTC")
SCHEMA = pa.schema([
    ("dt", pa.date32()), ("venue", pa.string()), ("market", pa.string()), ("asset_id", pa.string()),
    ("ts_exchange", pa.timestamp("ms", tz="UTC")), ("ts_received", TS), ("best_bid", PRICE), ("bid_size", SIZE), ("best_ask", PRICE),
    ("ask_size", SIZE), ("mid", MID), ("spread", PRICE), ("crossed", pa.bool_()), ("verified", pa.bool_()), ("source", pa.string()),
    ("seq", pa.int64()), ("idx", pa.int32()),
])
HALF = Decimal("0.5")


def transform(day: DayInput) -> Iterator[pa.Table]:
    rows: list[Bbo] = []

    def table(items: list[Bbo]) -> pa.Table:
        both = [b.best_bid is not None and b.best_ask is not None for b in items]
        return pa.table({
            "dt": [day.day] * len(items),
            "venue": [b.venue for b in items],
            "market": [b.market for b in items],
            "asset_id": [b.asset_id for b in items],
            "ts_exchange": pa.array([b.ts_exchange_ms for b in items], pa.int64()).cast(pa.timestamp("ms", tz="UTC")),
            "ts_received": pa.array([b.ts_received_us for b in items], pa.int64()).cast(TS),
            "best_bid": pa.array([b.best_bid for b in items], PRICE),
            "bid_size": pa.array([b.bid_size for b in items], SIZE),
            "best_ask": pa.array([b.best_ask for b in items], PRICE),
            "ask_size": pa.array([b.ask_size for b in items], SIZE),
            "mid": pa.array([(b.best_bid + b.best_ask) * HALF if ok else None for b, ok in zip(items, both, strict=True)], MID),  # type: ignore[operator]
            "spread": pa.array([b.best_ask - b.best_bid if ok else None for b, ok in zip(items, both, strict=True)], PRICE),  # type: ignore[operator]
            "crossed": [ok and b.best_bid >= b.best_ask for b, ok in zip(items, both, strict=True)],  # type: ignore[operator]
            "verified": [b.verified for b in items],
            "source": [b.source for b in items],
            "seq": pa.array([b.seq for b in items], pa.int64()),
            "idx": pa.array([b.idx for b in items], pa.int32()),
        }, schema=SCHEMA)

    replay = BronzeReplay(on_bbo=rows.append)
    yield from replay_day(day, replay, rows, table)
    day.notes["assets_replayed"] = replay.stats.assets

"""``silver.orderbook_gaps``: the periods in which a book was not known to be right, from the same replay of a
day of ``bronze/orderbook_ws_events`` as ``orderbook_bbo`` (gap reasons and semantics:
:mod:`polymarket_assets.streaming.ws.gaps`). A gap still open when the day's rows end (it continues into the
next day through the day checkpoint, or the book was never fixed) has ``end_ts`` NULL and
``open_at_day_end``; the next day holds it again, closed there.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa

from polymarket_assets.silver.model import DayInput
from polymarket_assets.silver.transforms.orderbook_replay import replay_day
from polymarket_assets.streaming.ws.bronze_replay import BronzeReplay
from polymarket_assets.streaming.ws.gaps import Gap

TS = pa.timestamp("us", tz="UTC")
SCHEMA = pa.schema([
    ("dt", pa.date32()), ("venue", pa.string()), ("market", pa.string()), ("asset_id", pa.string()), ("connection_id", pa.string()),
    ("reason", pa.string()), ("start_ts", TS), ("detected_ts", TS), ("end_ts", TS), ("closed_by", pa.string()),
    ("open_at_day_end", pa.bool_()), ("seconds", pa.float64()), ("detail", pa.string()),
])


def _ts(values: list[int | None]) -> pa.Array:
    return pa.array([None if v is None else v // 1000 for v in values], pa.int64()).cast(TS)


def transform(day: DayInput) -> Iterator[pa.Table]:
    rows: list[tuple[Gap, bool]] = []

    def table(items: list[tuple[Gap, bool]]) -> pa.Table:
        gaps = [g for g, _ in items]
        return pa.table({
            "dt": [day.day] * len(items),
            "venue": [g.venue for g in gaps],
            "market": [g.market for g in gaps],
            "asset_id": [g.asset_id for g in gaps],
            "connection_id": [g.conn for g in gaps],
            "reason": [g.reason for g in gaps],
            "start_ts": _ts([g.start_ns for g in gaps]),
            "detected_ts": _ts([g.detected_ns for g in gaps]),
            "end_ts": _ts([g.end_ns for g in gaps]),
            "closed_by": [g.closed_by for g in gaps],
            "open_at_day_end": [still_open for _, still_open in items],
            "seconds": [None if g.end_ns is None else (g.end_ns - g.start_ns) / 1e9 for g in gaps],
            "detail": [g.detail for g in gaps],
        }, schema=SCHEMA)

    replay = BronzeReplay(on_gap=lambda gap, still_open: rows.append((gap, still_open)))
    yield from replay_day(day, replay, rows, table)

"""Reading one day of ``bronze/orderbook_ws_events`` in replay order, shared by ``orderbook_bbo`` and
``orderbook_gaps``.

The bronze file is sorted by ``(market, asset_id, ts_received, seq, idx)``: every asset's rows are together
and, as long as receive times never went backwards, in raw-log order, so the file is read as stored, batch by
batch (bounded memory). When the compaction counted records whose receive time went back (its
reconciliation metadata), the day is read ordered by ``seq`` through an in-memory DuckDB instead (out of core,
400 MB limit), which is the raw-log order the live machines saw.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from polymarket_assets.bronze.datasets.orderbook_ws_events import SORT_MEMORY_LIMIT, reconciliation
from polymarket_assets.lake import as_lake_path
from polymarket_assets.lake.duckdb_fs import attach
from polymarket_assets.silver.model import DayInput
from polymarket_assets.streaming.ws.bronze_replay import COLUMNS, BronzeReplay

#: the modules whose logic a replay runs (part of the silver models' versions)
REPLAY_MODULES = (
    __name__,
    "polymarket_assets.streaming.ws.bronze_replay",
    "polymarket_assets.streaming.ws.polymarket_steps",
    "polymarket_assets.streaming.ws.limitless_books",
    "polymarket_assets.streaming.ws.checkpoint",
    "polymarket_assets.streaming.ws.book",
)
BATCH_ROWS = 65_536


def _steps_back(files: list[str]) -> int:
    return sum(int(v.get("receive_time_steps_back", 0)) for f in files for v in reconciliation(f).values())


def day_batches(files: list[str]) -> Iterator[pa.RecordBatch]:
    """The day's rows, every asset's together in raw-log order."""
    if _steps_back(files) == 0:
        for f in files:  # a local path or an S3 URI of the lake: read through the lake's filesystem
            with as_lake_path(f).open_input_file() as fh:
                yield from pq.ParquetFile(fh).iter_batches(batch_size=BATCH_ROWS, columns=list(COLUMNS))
        return
    conn = duckdb.connect(config={"memory_limit": SORT_MEMORY_LIMIT, "threads": 1})
    try:
        if files:
            attach(conn, as_lake_path(files[0]).lake)  # S3 URIs readable by read_parquet (no-op for a local lake)
        listing = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
        sql = f"SELECT {', '.join(COLUMNS)} FROM read_parquet([{listing}]) ORDER BY venue, asset_id NULLS LAST, seq, idx"
        yield from conn.sql(sql).fetch_arrow_reader(BATCH_ROWS)
    finally:
        conn.close()


def replay_day(day: DayInput, replay: BronzeReplay, out: list[Any], to_table: Callable[[list[Any]], pa.Table]) -> Iterator[pa.Table]:
    """Feed the day to ``replay`` batch by batch; whenever its callbacks filled ``out`` with a batch worth of
    rows, yield them as a table (so memory holds one batch of input and of output); record the rows read."""
    for batch in day_batches(day.files):
        replay.feed((batch,))
        if len(out) >= BATCH_ROWS:
            yield to_table(out)
            out.clear()
    replay.finish()
    day.rows_read = replay.stats.rows
    day.notes["bronze_rows_by_type"] = dict(replay.stats.rows_by_type)
    if out:
        yield to_table(out)
        out.clear()

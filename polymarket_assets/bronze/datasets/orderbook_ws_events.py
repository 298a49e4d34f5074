"""How ``bronze/orderbook_ws_events`` is built: one UTC day of the WebSocket raw log, both venues, into one
Parquet partition sorted by ``(market, asset_id, ts_received, seq, idx)``, zstd.

Input: ``<lake>/stream/<venue>_ws/raw/date=YYYY-MM-DD/*.jsonl.zst`` (hourly files of every run of the day, by
receive time; in a local lake the stream job's own files, in an S3 lake the copies it shipped when it closed
them), read through the lake (``LakePath``), so the same code compacts both. Two passes, each in bounded memory
(the staging files are on this machine's disk):

1. **Rows.** The day's records are read with the raw log's constant-memory reader (a torn last line — a killed
   writer — is counted in ``torn_tails`` and skipped; a line that is not a record is counted in ``bad_lines``)
   and replayed, in log order, through :mod:`~polymarket_assets.streaming.ws.bronze_rows`: the live book
   machines, writing every step as rows. So a lost connection becomes one ``stale`` row per asset it served
   (which needs the machine's state: which assets were on that connection), a malformed frame a
   ``malformed`` row, an unknown event an ``unknown`` row with the event verbatim — nothing the venue sent is
   dropped. Rows stream into an unsorted staging file, 64k rows per Arrow batch. The day's first records
   are the day checkpoint written by the run that crossed midnight, so the day needs no earlier day.
2. **Sort.** DuckDB sorts the staging file out of core (``memory_limit`` 400 MB, one thread, spilling to the
   staging directory) and fills ``market`` on the rows that did not carry it (a ``subscribe`` precedes the
   asset's first ``book``) from the asset's market that day, so an asset's rows are together. The sorted
   batches go through the shared atomic :class:`~polymarket_assets.bronze.parquet_io.PartitionWriter`.

Why not Polars' ``scan_ndjson`` → ``sink_parquet`` (issue 9 asked for it or a measurement of why not): the
rows are not a projection of the lines — a ``close`` expands to one row per asset of its connection, and a
book's trust depends on every earlier frame — so the lines must go through the state machine in Python
anyway; and measured (``bench/polars_vs_duckdb.py``, Polars 2.1.0): ``scan_ndjson`` fails the whole scan on a
torn last line or on one malformed line, even with ``ignore_errors=True``, and its sort of 3 M rows peaked at
1.7 GB RSS while DuckDB's ``ORDER BY`` with a 400 MB limit peaked at 0.48 GB (README, "WebSocket streaming").

Reconciliation (kept in the file's Parquet metadata ``polymarket_assets.reconciliation``, and checked by
silver ``orderbook_bbo``'s ``bronze_day_reconciles``): per venue, lines read = records + bad lines; records =
the records that produced rows + those that produce none (``PONG``, ``open``, connection-level checkpoint
entries, …, counted by reason); and the file's rows per event type equal the counts written.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import zstandard

from polymarket_assets.bronze.parquet_io import PartitionWriter, WrittenPartition, staging_dir
from polymarket_assets.bronze.schemas import ORDERBOOK_WS_EVENTS
from polymarket_assets.lake import LakePath, as_lake_path
from polymarket_assets.streaming.ws import records as R
from polymarket_assets.streaming.ws.bronze_rows import RowSink, rows_machine
from polymarket_assets.streaming.ws.rawlog import ReadStats, iter_lines, lake_raw_files
from polymarket_assets.streaming.ws.replay import SessionReplay

ASSET_NAME = "orderbook_ws_events"
VENUES = ("polymarket", "limitless")
RECONCILIATION_KEY = b"polymarket_assets.reconciliation"
SORT_MEMORY_LIMIT = "400MB"
SORT_KEY = "market NULLS LAST, asset_id NULLS LAST, ts_received, seq, idx"


class ReconciliationError(RuntimeError):
    """A day's lines, records and rows do not add up (a bug): the partition is not written."""


@dataclass
class VenueDay:
    """What one venue's raw log of the day held, and what became of it."""

    venue: str
    files: list[str] = field(default_factory=list)
    input_bytes: int = 0
    lines: int = 0
    bad_lines: int = 0
    torn_tails: int = 0
    corrupt_files: int = 0
    records: int = 0
    records_by_kind: Counter[str] = field(default_factory=Counter)
    records_with_rows: int = 0
    records_without_rows: Counter[str] = field(default_factory=Counter)
    synthetic_closes: int = 0
    receive_time_steps_back: int = 0
    rows: int = 0
    rows_by_type: Counter[str] = field(default_factory=Counter)
    unknown_types: Counter[str] = field(default_factory=Counter)
    malformed: int = 0
    values_rounded: int = 0
    values_unrepresentable: int = 0

    def reconciles(self) -> bool:
        return (self.lines == self.records + self.bad_lines
                and self.records + self.synthetic_closes == self.records_with_rows + sum(self.records_without_rows.values())
                and self.rows == sum(self.rows_by_type.values()))

    def as_dict(self) -> dict[str, Any]:
        return {
            "venue": self.venue, "files": len(self.files), "input_bytes": self.input_bytes, "lines": self.lines,
            "bad_lines": self.bad_lines, "torn_tails": self.torn_tails, "corrupt_files": self.corrupt_files, "records": self.records,
            "records_by_kind": dict(self.records_by_kind), "records_with_rows": self.records_with_rows,
            "records_without_rows": dict(self.records_without_rows), "synthetic_closes": self.synthetic_closes,
            "receive_time_steps_back": self.receive_time_steps_back, "rows": self.rows, "rows_by_type": dict(self.rows_by_type),
            "unknown_types": dict(self.unknown_types), "malformed": self.malformed, "values_rounded": self.values_rounded,
            "values_unrepresentable": self.values_unrepresentable, "reconciles": self.reconciles(),
        }


@dataclass
class DayResult:
    day: str
    venues: dict[str, VenueDay]
    written: WrittenPartition
    seconds: float

    @property
    def rows(self) -> int:
        return self.written.rows


def _no_rows_reason(rec: R.Record) -> str:
    if rec.kind == R.RECV and rec.data in ("PONG", ""):
        return "pong" if rec.data == "PONG" else "empty_frame"
    if rec.kind == R.CHECKPOINT and '"conn"' in rec.data[:10]:
        return "checkpoint_connection"
    return rec.kind if rec.kind != R.RECV else "frame_without_rows"


def _venue_rows(lake_root: LakePath, venue: str, day: str, writer: pq.ParquetWriter, markets: dict[tuple[str, str], str]) -> VenueDay:
    """Pass 1 for one venue: replay its records of ``day`` through the row-writing machine."""
    stats = VenueDay(venue)
    sink = RowSink(venue, writer.write_batch)
    machine = rows_machine(venue, sink)
    state: dict[str, Any] = {"file": "", "last_t": 0, "rows_before": 0}

    def before(rec: R.Record) -> None:
        finish_record()
        sink.begin(rec, state["file"])
        state["pending"] = rec

    def finish_record() -> None:
        pending = state.pop("pending", None)
        if pending is None:
            return
        if sink.rows > state["rows_before"]:
            stats.records_with_rows += 1
        else:
            stats.records_without_rows[_no_rows_reason(pending)] += 1
        state["rows_before"] = sink.rows

    session = SessionReplay(machine, venue=venue, before=before)
    read = ReadStats()
    for path in lake_raw_files(lake_root, venue, day):
        stats.files.append(path.relative_to(lake_root))
        stats.input_bytes += path.stat().st_size
        state["file"] = stats.files[-1]
        try:
            for line in iter_lines(path, read):
                try:
                    rec = R.decode(line)
                except ValueError:
                    read.bad_lines += 1
                    continue
                stats.records += 1
                stats.records_by_kind[rec.kind] += 1
                if rec.t_ns < state["last_t"]:
                    stats.receive_time_steps_back += 1
                state["last_t"] = max(state["last_t"], rec.t_ns)
                session.apply(rec)
        except zstandard.ZstdError:
            stats.corrupt_files += 1  # the rest of this file cannot be decoded; what came before it is kept
    finish_record()
    sink.flush()
    stats.lines, stats.bad_lines, stats.torn_tails = read.lines, read.bad_lines, read.torn_tails
    stats.synthetic_closes = session.synthetic_closes
    stats.rows, stats.rows_by_type = sink.rows, sink.by_type
    stats.values_rounded, stats.values_unrepresentable = sink.values_rounded, sink.values_unrepresentable
    stats.unknown_types = Counter(machine.unknown_types)
    stats.malformed = machine.counts["malformed"]
    markets.update(sink.markets)
    return stats


def _sorted_batches(conn: duckdb.DuckDBPyConnection, staging_file: Path, markets: dict[tuple[str, str], str]):
    """Pass 2: the staging rows sorted, with ``market`` filled from the asset's market of the day."""
    venues, assets, values = zip(*((v, a, m) for (v, a), m in markets.items()), strict=True) if markets else ((), (), ())
    conn.register("asset_markets", pa.table({"venue": pa.array(venues, pa.string()), "asset_id": pa.array(assets, pa.string()),
                                             "asset_market": pa.array(values, pa.string())}))
    cols = ", ".join("coalesce(e.market, m.asset_market) AS market" if f.name == "market" else f"e.{f.name}" for f in ORDERBOOK_WS_EVENTS)
    sql = (f"SELECT {cols} FROM read_parquet(?) e "  # the path is bound, never spliced into the SQL (it may hold a quote)
           f"LEFT JOIN asset_markets m ON e.venue = m.venue AND e.asset_id = m.asset_id ORDER BY {SORT_KEY}")
    return conn.sql(sql, params=[str(staging_file)]).fetch_arrow_reader(65_536)  # streamed: the sorted day is never in memory


def compact_day(lake_root: LakePath | Path | str, day: str, *, memory_limit: str = SORT_MEMORY_LIMIT) -> DayResult:
    """Compact ``day`` (``YYYY-MM-DD``) of both venues of the lake at ``lake_root`` (``LakeResource.root``: a
    directory or S3) into its bronze partition, atomically."""
    started = time.monotonic()
    lake_root = as_lake_path(lake_root)
    bronze_root = lake_root / "bronze"
    staging = staging_dir(bronze_root, ASSET_NAME) / f"{day}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
    staging.mkdir(parents=True, exist_ok=True)
    try:
        unsorted = staging / "rows.parquet"
        markets: dict[tuple[str, str], str] = {}
        venues: dict[str, VenueDay] = {}
        with pq.ParquetWriter(unsorted, ORDERBOOK_WS_EVENTS, compression="lz4") as writer:
            for venue in VENUES:
                venues[venue] = _venue_rows(lake_root, venue, day, writer, markets)
        for venue, s in venues.items():
            if not s.reconciles():
                raise ReconciliationError(f"bronze/{ASSET_NAME} {day} {venue}: the raw log does not reconcile with the rows made from it "
                                          f"({s.as_dict()}); nothing was written. This is a bug: report it with the day's raw files.")
        accounting = json.dumps({v: s.as_dict() for v, s in venues.items()}, separators=(",", ":"))
        schema = ORDERBOOK_WS_EVENTS.with_metadata({RECONCILIATION_KEY: accounting.encode()})
        conn = duckdb.connect(config={"memory_limit": memory_limit, "threads": 1, "temp_directory": str(staging / "spill"),
                                      "preserve_insertion_order": False})
        try:
            conn.execute("SET TimeZone = 'UTC'")
            with PartitionWriter(bronze_root, ASSET_NAME, day, schema) as out:
                for batch in _sorted_batches(conn, unsorted, markets):
                    out.write_table(batch)
                written = out.commit()
        finally:
            conn.close()
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return DayResult(day, venues, written, time.monotonic() - started)


def reconciliation(path: str | Path | LakePath) -> dict[str, Any]:
    """The accounting a partition file (a local path or a lake path/URI) carries (empty for a file written
    before it existed)."""
    with as_lake_path(path).open_input_file() as fh:
        meta = pq.ParquetFile(fh).schema_arrow.metadata or {}
    raw = meta.get(RECONCILIATION_KEY)
    return json.loads(raw) if raw else {}


# -- the asset's metadata ------------------------------------------------------------------------------

def table_schema() -> Any:
    import dagster as dg

    return dg.TableSchema(columns=[
        dg.TableColumn(name=f.name, type=str(f.type), constraints=dg.TableColumnConstraints(nullable=f.nullable)) for f in ORDERBOOK_WS_EVENTS
    ])


def compact_days(lake_root: LakePath | Path | str, days: list[str], log: Any) -> dict[str, Any]:
    """Compact every day of ``days``; returns the run's materialization metadata."""
    import dagster as dg

    lines = ["| day | venue | lines | records | rows | torn | bad lines | malformed | unknown | reconciles |", "|---" * 10 + "|"]
    totals: Counter[str] = Counter()
    by_type: Counter[str] = Counter()
    unknown: Counter[str] = Counter()
    by_venue: Counter[str] = Counter()
    last: DayResult | None = None
    for day in days:
        result = compact_day(lake_root, day)
        last = result
        if not any(s.files for s in result.venues.values()):
            log.warning(f"bronze/{ASSET_NAME} {day}: no WebSocket raw log for this day under {as_lake_path(lake_root) / 'stream'} "
                        "(did orderbook_stream_job run that day?): the partition is empty. Materialize the day again once its "
                        "files are there.")
        for venue, s in result.venues.items():
            lines.append(f"| {day} | {venue} | {s.lines} | {s.records} | {s.rows} | {s.torn_tails} | {s.bad_lines} | {s.malformed} | "
                         f"{sum(s.unknown_types.values())} | {s.reconciles()} |")
            totals.update({"lines": s.lines, "records": s.records, "torn_tails": s.torn_tails, "bad_lines": s.bad_lines,
                           "malformed": s.malformed, "corrupt_files": s.corrupt_files, "input_files": len(s.files),
                           "input_bytes": s.input_bytes, "receive_time_steps_back": s.receive_time_steps_back,
                           "values_rounded": s.values_rounded, "values_unrepresentable": s.values_unrepresentable})
            by_type.update(s.rows_by_type)
            unknown.update(s.unknown_types)
            by_venue[venue] += s.rows
            if s.torn_tails or s.bad_lines or s.corrupt_files:
                log.warning(f"{day} {venue}: skipped {s.torn_tails} torn last line(s), {s.bad_lines} line(s) that are not records, "
                            f"{s.corrupt_files} undecodable file tail(s)")
            if s.receive_time_steps_back:
                log.warning(f"{day} {venue}: {s.receive_time_steps_back} record(s) received \"before\" a record logged ahead of them "
                            "(the wall clock stepped back); rows keep raw-log order in seq")
        log.info(f"bronze/{ASSET_NAME} {day}: {result.rows} rows ({dict(by_venue)}) in {result.seconds:.1f} s -> {result.written.path}")
    md: dict[str, Any] = {
        "dagster/row_count": dg.MetadataValue.int(sum(by_venue.values())),
        "dagster/column_schema": table_schema(),
        "rows_by_venue": dg.MetadataValue.json(dict(by_venue)),
        "rows_by_event_type": dg.MetadataValue.json(dict(by_type)),
        "unknown_event_types": dg.MetadataValue.json(dict(unknown)),
        "days": dg.MetadataValue.md("\n".join(lines)),
        **{k: dg.MetadataValue.int(int(totals[k])) for k in ("lines", "records", "torn_tails", "bad_lines", "malformed", "corrupt_files",
                                                               "input_files", "input_bytes", "receive_time_steps_back", "values_rounded",
                                                               "values_unrepresentable")},
    }
    if last is not None:
        md["path"] = dg.MetadataValue.path(str(last.written.path))
        md["bytes_written"] = dg.MetadataValue.int(last.written.bytes)
    return md

"""How ``bronze/orderbook_snapshots`` is built: one day of the logger's JSONL compacted into one Parquet partition.

Input: every ``stream/<venue>/orderbooks/date=YYYY-MM-DD/*.jsonl`` of the partition's day (the day of
``received_ts``, UTC) in the lake (``LakeResource.stream_lake``: local, or S3 where the logger ships each file
when it closes it). Output: ``bronze/orderbook_snapshots/dt=YYYY-MM-DD/part-0.parquet`` written with the
shared atomic :class:`~polymarket_assets.bronze.parquet_io.PartitionWriter` (local temp file, one atomic
commit; a re-run replaces the partition, never duplicates rows). Everything goes through ``LakePath``, so the
same code compacts a local lake and an S3 one.

Parsing is block-wise with Arrow's JSON reader (64 MiB blocks cut at line ends, bounded memory). A file's
last line without a trailing newline is a **torn** line (the process died mid-write, or the logger is
writing right now): if it does not parse it is skipped and counted (``torn_lines_skipped``). A block with
an unparseable line in the middle falls back to line-by-line parsing; the bad lines are skipped and
counted as ``corrupt_lines_skipped``.

Schema: ``ORDERBOOK_SNAPSHOTS`` in :mod:`polymarket_assets.bronze.schemas`. Numbers: prices and top of book
(``best_bid``, ``best_ask``, ``mid``, ``spread``, level ``price``) are ``decimal128(18, 6)``; level ``size`` is
``decimal128(28, 8)`` — exact, as written by the logger. A value with more decimals than that (never seen) is
rounded half-even and counted in ``values_rounded``.
"""


import io
import json
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Iterator

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from polymarket_assets.bronze.schemas import BOOK_LEVEL, BOOK_PRICE, BOOK_SIZE, BOOK_TS, ORDERBOOK_SNAPSHOTS
from polymarket_assets.lake import LakePath, as_lake_path

ASSET_NAME = "orderbook_snapshots"
BLOCK_BYTES = 64 * 1024 * 1024

_RAW_LEVEL = pa.list_(pa.struct([pa.field("price", pa.string()), pa.field("size", pa.string())]))
_DECIMAL_COLS = {"best_bid": BOOK_PRICE, "best_ask": BOOK_PRICE, "mid": BOOK_PRICE, "spread": BOOK_PRICE}
_TS_COLS = ("exchange_ts", "received_ts")
RAW_SCHEMA = pa.schema(
    [
        pa.field(
            f.name,
            pa.string() if f.name in _DECIMAL_COLS or f.name in _TS_COLS else (_RAW_LEVEL if f.name in ("bids", "asks") else f.type),
        )
        for f in ORDERBOOK_SNAPSHOTS
        if f.name != "source_file"
    ]
)
_PARSE = pj.ParseOptions(explicit_schema=RAW_SCHEMA, unexpected_field_behavior="ignore")


@dataclass
class CompactionStats:
    files: list[str] = field(default_factory=list)
    rows: int = 0
    input_bytes: int = 0
    torn_lines_skipped: int = 0
    corrupt_lines_skipped: int = 0
    values_rounded: int = 0
    rows_by_venue: dict[str, int] = field(default_factory=dict)


def day_files(stream_dir: LakePath | Any, day: str) -> list[LakePath]:
    return as_lake_path(stream_dir).glob(f"*/orderbooks/date={day}/*.jsonl")


def iter_blocks(path: LakePath | Any, stats: CompactionStats, block_bytes: int = BLOCK_BYTES) -> Iterator[bytes]:
    """Whole lines of ``path`` in blocks; a final line without ``\\n`` is yielded only if it parses."""
    carry = b""
    with as_lake_path(path).open_input_stream() as fh:
        while True:
            chunk = fh.read(block_bytes)
            if not chunk:
                break
            data = carry + chunk
            cut = data.rfind(b"\n")
            if cut < 0:
                carry = data
                continue
            carry = data[cut + 1 :]
            yield data[: cut + 1]
    if carry.strip():
        try:
            json.loads(carry)
        except ValueError:
            stats.torn_lines_skipped += 1
            return
        yield carry + b"\n"  # complete record that only lost its newline


def _parse_block(block: bytes, stats: CompactionStats) -> pa.Table:
    try:
        return pj.read_json(io.BytesIO(block), parse_options=_PARSE)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    rows = []
    for line in block.splitlines():
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            stats.corrupt_lines_skipped += 1
            continue
        if not isinstance(obj, dict) or not obj.get("snapshot_id") or not obj.get("received_ts"):
            stats.corrupt_lines_skipped += 1
            continue
        rows.append(obj)
    try:
        return pa.Table.from_pylist(rows, schema=RAW_SCHEMA)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        good = []
        for obj in rows:
            try:
                pa.Table.from_pylist([obj], schema=RAW_SCHEMA)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                stats.corrupt_lines_skipped += 1
                continue
            good.append(obj)
        return pa.Table.from_pylist(good, schema=RAW_SCHEMA)


def _round_text(values: list[str | None], scale: int, stats: CompactionStats) -> list[str | None]:
    quantum = Decimal(1).scaleb(-scale)
    out: list[str | None] = []
    for v in values:
        if v is None:
            out.append(None)
            continue
        d = Decimal(v)
        q = d.quantize(quantum, rounding=ROUND_HALF_EVEN)
        if q != d:
            stats.values_rounded += 1
        out.append(str(q))
    return out


def _to_decimal(arr: pa.ChunkedArray | pa.Array, typ: pa.DataType, stats: CompactionStats) -> pa.Array:
    try:
        return pc.cast(arr, typ)
    except pa.ArrowInvalid:
        return pc.cast(pa.array(_round_text(arr.to_pylist(), typ.scale, stats), pa.string()), typ)


def _levels(arr: pa.ChunkedArray, stats: CompactionStats) -> pa.Array:
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    flat = pc.list_flatten(arr)
    prices = _to_decimal(flat.field("price"), BOOK_PRICE, stats)
    sizes = _to_decimal(flat.field("size"), BOOK_SIZE, stats)
    structs = pa.StructArray.from_arrays([prices, sizes], fields=list(BOOK_LEVEL))
    offsets = pc.subtract(arr.offsets, arr.offsets[0]) if arr.offset else arr.offsets
    return pa.ListArray.from_arrays(offsets, structs, type=pa.list_(BOOK_LEVEL), mask=arr.is_null())


def to_bronze(raw: pa.Table, source_file: str, stats: CompactionStats) -> pa.Table:
    """The logger's JSON columns (strings) -> the bronze schema (decimals, UTC timestamps)."""
    columns = []
    for f in ORDERBOOK_SNAPSHOTS:
        if f.name == "source_file":
            columns.append(pa.array([source_file] * raw.num_rows, pa.string()))
        elif f.name in _DECIMAL_COLS:
            columns.append(_to_decimal(raw[f.name].combine_chunks(), f.type, stats))
        elif f.name in _TS_COLS:
            columns.append(pc.cast(raw[f.name], BOOK_TS))
        elif f.name in ("bids", "asks"):
            columns.append(_levels(raw[f.name], stats))
        else:
            columns.append(raw[f.name].combine_chunks())
    return pa.Table.from_arrays(columns, schema=ORDERBOOK_SNAPSHOTS)


def compact_day(stream_dir: LakePath | Any, day: str, sink: Any, stats: CompactionStats | None = None) -> CompactionStats:
    """Feed every snapshot of ``day`` to ``sink.write_table(table)``; return counts."""
    stats = stats or CompactionStats()
    stream_dir = as_lake_path(stream_dir)
    for path in day_files(stream_dir, day):
        stats.files.append(str(path))
        stats.input_bytes += path.stat().st_size
        rel = path.relative_to(stream_dir)
        for block in iter_blocks(path, stats):
            raw = _parse_block(block, stats)
            if raw.num_rows == 0:
                continue
            table = to_bronze(raw, rel, stats)
            sink.write_table(table)
            stats.rows += table.num_rows
            for venue, n in zip(*_value_counts(table["venue"]), strict=True):
                stats.rows_by_venue[venue] = stats.rows_by_venue.get(venue, 0) + n
    return stats


def _value_counts(col: pa.ChunkedArray) -> tuple[list[str], list[int]]:
    vc = pc.value_counts(col.combine_chunks())
    return vc.field("values").to_pylist(), vc.field("counts").to_pylist()


def _preview(path: LakePath, limit: int = 5) -> str:
    import pyarrow.parquet as pq

    cols = ["received_ts", "venue", "instrument_key", "best_bid", "best_ask", "mid", "spread"]
    try:
        with path.open_input_file() as fh:
            parquet = pq.ParquetFile(fh)
            table = parquet.read_row_group(0, columns=cols).slice(0, limit) if parquet.num_row_groups else None
    except Exception:  # noqa: BLE001
        table = None
    if table is None or table.num_rows == 0:
        return "_no rows_"
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in table.to_pylist():
        lines.append("| " + " | ".join("" if row[c] is None else str(row[c]) for c in cols) + " |")
    return "\n".join(lines)


def write_partition(stream_dir: LakePath | Any, bronze_root: LakePath | Any, day: str) -> tuple[CompactionStats, LakePath, int]:
    """Compact ``day`` of ``stream_dir`` into its partition under ``bronze_root`` atomically. Returns (stats, path, bytes)."""
    from polymarket_assets.bronze.parquet_io import PartitionWriter

    with PartitionWriter(bronze_root, ASSET_NAME, day, ORDERBOOK_SNAPSHOTS) as writer:
        stats = compact_day(stream_dir, day, writer)
        written = writer.commit()
    return stats, written.path, written.bytes


def table_schema() -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name=f.name, type=str(f.type), constraints=dg.TableColumnConstraints(nullable=f.nullable))
            for f in ORDERBOOK_SNAPSHOTS
        ]
    )


def compact_days(stream_dir: LakePath | Any, bronze_root: LakePath | Any, days: list[str], log: Any) -> dict[str, Any]:
    """Compact every day of ``days`` (stream files in ``stream_dir``, e.g. ``LakeResource.stream_lake``) into its
    partition under ``bronze_root`` (``LakeResource.bronze``); returns the run's materialization metadata."""
    totals = CompactionStats()
    per_day: list[str] = ["| day | rows | torn | corrupt | files | bytes |", "|---|---|---|---|---|---|"]
    total_bytes = 0
    last_path: LakePath | None = None
    for day in days:
        stats, path, size = write_partition(stream_dir, bronze_root, day)
        total_bytes += size
        last_path = path
        totals.rows += stats.rows
        totals.input_bytes += stats.input_bytes
        totals.torn_lines_skipped += stats.torn_lines_skipped
        totals.corrupt_lines_skipped += stats.corrupt_lines_skipped
        totals.values_rounded += stats.values_rounded
        totals.files.extend(stats.files)
        for venue, n in stats.rows_by_venue.items():
            totals.rows_by_venue[venue] = totals.rows_by_venue.get(venue, 0) + n
        per_day.append(f"| {day} | {stats.rows} | {stats.torn_lines_skipped} | {stats.corrupt_lines_skipped} | {len(stats.files)} | {size} |")
        if not stats.files:
            log.warning(f"bronze/orderbook_snapshots {day}: no logger files for this day under {stream_dir} (did "
                        "orderbook_logger_job run that day?): the partition is empty. Materialize the day again once "
                        "its files are there.")
        log.info(
            f"bronze/orderbook_snapshots {day}: {stats.rows} rows from {len(stats.files)} files "
            f"({stats.torn_lines_skipped} torn, {stats.corrupt_lines_skipped} corrupt lines skipped) -> {path}"
        )
        if stats.torn_lines_skipped or stats.corrupt_lines_skipped:
            log.warning(f"{day}: skipped {stats.torn_lines_skipped} torn and {stats.corrupt_lines_skipped} corrupt lines")
    metadata: dict[str, Any] = {
        "dagster/row_count": dg.MetadataValue.int(totals.rows),
        "dagster/column_schema": table_schema(),
        "torn_lines_skipped": dg.MetadataValue.int(totals.torn_lines_skipped),
        "corrupt_lines_skipped": dg.MetadataValue.int(totals.corrupt_lines_skipped),
        "values_rounded": dg.MetadataValue.int(totals.values_rounded),
        "input_files": dg.MetadataValue.int(len(totals.files)),
        "input_bytes": dg.MetadataValue.int(totals.input_bytes),
        "bytes_written": dg.MetadataValue.int(total_bytes),
        "rows_by_venue": dg.MetadataValue.json(totals.rows_by_venue),
        "days": dg.MetadataValue.md("\n".join(per_day)),
    }
    if last_path is not None:
        metadata["path"] = dg.MetadataValue.path(str(last_path))
        metadata["preview"] = dg.MetadataValue.md(_preview(last_path))
    return metadata

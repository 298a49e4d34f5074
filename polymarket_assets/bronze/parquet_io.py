"""Atomic, streaming Parquet partitions: ``<bronze>/<asset>/dt=YYYY-MM-DD/part-0.parquet``, on a local disk or S3.

``bronze_root`` is anything :func:`polymarket_assets.lake.as_lake_path` takes: ``LakeResource.bronze`` (a
``LakePath``), a local directory, or an ``s3://`` URI.

How a partition is written (``PartitionWriter``):

1. rows stream into a temporary file on local disk, one row group at a time (zstd, dictionary encoding,
   statistics), so memory stays bounded by one row group per writer. Local lake: under
   ``<bronze>/_staging/<asset>/`` (same filesystem as the partition, outside every ``<asset>/dt=*/``
   directory, so readers globbing ``<asset>/*/*.parquet`` never see it). S3 lake: under
   ``<local dir>/_staging/bronze/<asset>/``;
2. ``commit()`` closes the file (footer written), fsyncs it and makes it THE partition in one step
   (``Lake.commit_file``): locally ``os.replace`` onto ``dt=…/part-0.parquet``; on S3 one upload of the
   finished file to that key (a PUT, or a multipart upload whose completion is atomic). Either way a reader
   sees the previous complete partition or the new complete one, never a mix and never a half-written file.
   A re-run replaces the same key, so rows are never duplicated; any other ``*.parquet`` left in the
   partition directory is then removed (a partition is exactly one file);
3. leaving the ``with`` block without ``commit()`` (an exception, a kill) removes the temporary file; a
   process killed with SIGKILL leaves an orphan in the staging directory that the next writer of the same asset
   on the same machine removes (orphans are recognised by the writer's pid no longer running). Nothing of an
   uncommitted partition ever reaches S3 (an upload cut short by a crash is an incomplete multipart upload,
   invisible to readers; README "Beyond one machine" suggests the bucket lifecycle rule that clears them).

A partition with no rows is still written (a zero-row file carrying the schema), so "this day was
processed and had nothing" differs from "this day was never processed".
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from polymarket_assets.bronze.partitions import to_day
from polymarket_assets.lake import LakePath, as_lake_path
from polymarket_assets.paths import component
from polymarket_assets.reliability.processes import pid_exists
from polymarket_assets.storage_errors import disk_full, is_disk_full, is_unwritable, unwritable

BronzeRoot = LakePath | str | os.PathLike[str]

PART_FILE = "part-0.parquet"
STAGING_DIR = "_staging"
COMPRESSION = "zstd"
COMPRESSION_LEVEL = 3
DEFAULT_ROW_GROUP_SIZE = 128_000
DEFAULT_MAX_BUFFER_BYTES = 64 * 1024 * 1024


def partition_dir(bronze_root: BronzeRoot, asset: str, day: dt.date | str) -> LakePath:
    return as_lake_path(bronze_root) / component(asset, "asset") / f"dt={to_day(day).isoformat()}"


def partition_file(bronze_root: BronzeRoot, asset: str, day: dt.date | str) -> LakePath:
    return partition_dir(bronze_root, asset, day) / PART_FILE


def partition_files(bronze_root: BronzeRoot, asset: str, day: dt.date | str) -> list[LakePath]:
    """The committed Parquet files of one partition (one, normally; none if it is missing), sorted."""
    return [p for p, info in partition_dir(bronze_root, asset, day).children() if p.suffix == ".parquet" and info.is_file]


def partition_exists(bronze_root: BronzeRoot, asset: str, day: dt.date | str) -> bool:
    """True when a committed partition is visible (an empty, zero-row partition counts)."""
    return bool(partition_files(bronze_root, asset, day))


def _parquet_file(path: LakePath) -> pq.ParquetFile:
    """A ParquetFile over ``path``: the local file, or (S3) one GET of the whole object, so the rows come from
    one version of it even if it is replaced while being read."""
    if path.local is not None:
        return pq.ParquetFile(path.local)
    return pq.ParquetFile(pa.BufferReader(path.read_bytes()))


def partition_stats(bronze_root: BronzeRoot, asset: str, day: dt.date | str) -> tuple[int, int]:
    """``(rows, bytes)`` of a committed partition from the Parquet footers (no data pages read); ``(0, 0)`` if missing."""
    rows = size = 0
    for f in partition_files(bronze_root, asset, day):
        with f.open_input_file() as fh:
            rows += pq.ParquetFile(fh).metadata.num_rows
            size += fh.size()
    return rows, size


def read_partition(bronze_root: BronzeRoot, asset: str, day: dt.date | str) -> pa.Table:
    """Every row of one partition (raises ``FileNotFoundError`` naming the path when it is missing)."""
    files = partition_files(bronze_root, asset, day)
    if not files:
        raise FileNotFoundError(f"no bronze partition at {partition_dir(bronze_root, asset, day)}")
    tables = [_parquet_file(f).read() for f in files]
    return tables[0] if len(tables) == 1 else pa.concat_tables(tables)


def iter_partition_batches(bronze_root: BronzeRoot, asset: str, day: dt.date | str, batch_size: int = 10_000):
    """Stream a partition as record batches (local: bounded memory; S3: the object is fetched once, whole)."""
    files = partition_files(bronze_root, asset, day)
    if not files:
        raise FileNotFoundError(f"no bronze partition at {partition_dir(bronze_root, asset, day)}")
    for f in files:
        yield from _parquet_file(f).iter_batches(batch_size=batch_size)


@dataclass(frozen=True)
class WrittenPartition:
    path: LakePath
    rows: int
    bytes: int


def _pid_alive(pid: int) -> bool:
    return pid == os.getpid() or pid_exists(pid)


def staging_dir(bronze_root: BronzeRoot, asset: str) -> Path:
    """The local directory where ``asset``'s partitions are written before their commit."""
    root = as_lake_path(bronze_root)
    return root.lake.staging_dir(root) / component(asset, "asset")


def clean_orphans(bronze_root: BronzeRoot, asset: str) -> int:
    """Remove staging files of ``asset`` left by writers that no longer run. Returns how many went."""
    staging = staging_dir(bronze_root, asset)
    removed = 0
    if not staging.is_dir():
        return 0
    for tmp in staging.glob("*.tmp"):
        # name: dt=YYYY-MM-DD.<pid>.<hex>.parquet.tmp
        parts = tmp.name.split(".")
        try:
            pid = int(parts[1])
        except (IndexError, ValueError):
            continue
        if not _pid_alive(pid):
            tmp.unlink(missing_ok=True)
            removed += 1
    return removed


class PartitionWriter:
    """Stream rows into one day's partition and swap it in atomically on ``commit()``.

    ``write_rows`` takes dicts whose values already match ``schema`` (see ``coerce.py``); ``write_table``
    takes Arrow data (cast to ``schema``). Rows are buffered as Arrow batches and flushed as a row group at
    ``row_group_size`` rows or ``max_buffer_bytes`` of buffered Arrow memory, whichever comes first.
    """

    def __init__(
        self,
        bronze_root: BronzeRoot,
        asset: str,
        day: dt.date | str,
        schema: pa.Schema,
        row_group_size: int = DEFAULT_ROW_GROUP_SIZE,
        max_buffer_bytes: int = DEFAULT_MAX_BUFFER_BYTES,
    ):
        self.bronze_root = as_lake_path(bronze_root)
        self.asset = asset
        self.day = to_day(day)
        self.schema = schema
        self.row_group_size = row_group_size
        self.max_buffer_bytes = max_buffer_bytes
        self.final_dir = partition_dir(self.bronze_root, asset, self.day)
        self.final_path = self.final_dir / PART_FILE
        staging = staging_dir(self.bronze_root, asset)
        try:
            staging.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise (unwritable(staging, exc) if is_unwritable(exc) else exc) from exc
        clean_orphans(self.bronze_root, asset)
        self.tmp_path = staging / f"dt={self.day.isoformat()}.{os.getpid()}.{uuid.uuid4().hex[:12]}.parquet.tmp"
        try:
            self._writer: pq.ParquetWriter | None = pq.ParquetWriter(
                self.tmp_path,
                schema,
                compression=COMPRESSION,
                compression_level=COMPRESSION_LEVEL,
                use_dictionary=True,
                write_statistics=True,
            )
        except OSError as exc:
            self.tmp_path.unlink(missing_ok=True)
            raise self._storage_error(exc) from exc
        self._buffer: list[pa.RecordBatch] = []
        self._buffered_rows = 0
        self._buffered_bytes = 0
        self.rows = 0
        self._done = False

    # -- writing ------------------------------------------------------------------------------
    def write_rows(self, rows: Iterable[dict[str, Any]]) -> int:
        rows = list(rows)
        if not rows:
            return 0
        batch = pa.RecordBatch.from_pylist(rows, schema=self.schema)
        self._append(batch)
        return batch.num_rows

    def write_table(self, table: pa.Table | pa.RecordBatch) -> int:
        if table.num_rows == 0:
            return 0
        if isinstance(table, pa.RecordBatch):
            table = pa.Table.from_batches([table])
        table = table.select(self.schema.names).cast(self.schema)
        for batch in table.to_batches():
            self._append(batch)
        return table.num_rows

    def _append(self, batch: pa.RecordBatch) -> None:
        if self._done or self._writer is None:
            raise RuntimeError(f"PartitionWriter for {self.asset} {self.day} is already closed")
        self._buffer.append(batch)
        self._buffered_rows += batch.num_rows
        self._buffered_bytes += batch.nbytes
        self.rows += batch.num_rows
        if self._buffered_rows >= self.row_group_size or self._buffered_bytes >= self.max_buffer_bytes:
            self._flush()

    def _flush(self) -> None:
        if not self._buffer or self._writer is None:
            return
        table = pa.Table.from_batches(self._buffer, schema=self.schema)
        self._buffer, self._buffered_rows, self._buffered_bytes = [], 0, 0
        # Row groups of at most row_group_size rows (a flush can hold a little more than that).
        try:
            self._writer.write_table(table, row_group_size=self.row_group_size)
        except OSError as exc:
            self.abort()
            raise self._storage_error(exc) from exc

    def _storage_error(self, exc: OSError) -> OSError:
        if is_disk_full(exc):
            return disk_full(self.tmp_path, f"bronze/{self.asset} {self.day}", exc)
        return unwritable(self.tmp_path, exc) if is_unwritable(exc) else exc

    # -- finishing ----------------------------------------------------------------------------
    def commit(self) -> WrittenPartition:
        """Finish the file and make it THE partition (atomic replace). Returns rows and bytes written."""
        if self._done:
            raise RuntimeError(f"PartitionWriter for {self.asset} {self.day} is already closed")
        self._flush()
        assert self._writer is not None
        try:
            self._writer.close()
            self._writer = None
            size = self.bronze_root.lake.commit_file(self.tmp_path, self.final_path)  # the atomic step
        except OSError as exc:
            self.abort()
            raise self._storage_error(exc) from exc
        self._done = True
        # A partition is exactly one file: drop anything else a different layout may have left.
        for stray in partition_files(self.bronze_root, self.asset, self.day):
            if stray.name != PART_FILE:
                stray.unlink(missing_ok=True)
        return WrittenPartition(self.final_path, self.rows, size)

    def abort(self) -> None:
        """Forget everything written so far; the visible partition (if any) is untouched."""
        if self._done:
            return
        self._done = True
        if self._writer is not None:
            try:
                self._writer.close()
            except Exception:
                pass
            self._writer = None
        self._buffer = []
        self.tmp_path.unlink(missing_ok=True)

    def __enter__(self) -> "PartitionWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if not self._done:
            self.abort()


def write_partition(
    bronze_root: BronzeRoot, asset: str, day: dt.date | str, schema: pa.Schema, rows: Iterable[dict[str, Any]], **kwargs: Any
) -> WrittenPartition:
    """Write a whole (small) partition in one call."""
    with PartitionWriter(bronze_root, asset, day, schema, **kwargs) as writer:
        writer.write_rows(rows)
        return writer.commit()

"""DuckDB plumbing for silver: the single-writer connection and typed views over bronze Parquet files.

Writer discipline (README "Silver: readers and the single writer"):

* DuckDB lets one process open a database file read-write, and then no other process may open it at all
  (not even read-only); several processes may open it read-only together, and then nobody can write.
* Silver writers first take ``<db>.writer.lock`` (a ``filelock``), so silver steps of concurrent runs queue
  behind each other even where the Dagster ``duckdb`` pool is not enforced (e.g. an instance without the
  project's dagster.yaml). They then open the file, retrying with backoff while *another* process (a user's
  DuckDB shell, a notebook) holds it, and fail after ``lock_timeout_seconds`` with :class:`DuckDBLockedError`,
  whose message says which process to close. Nothing is written in that case (the silver assets then ask
  Dagster to retry the step a few times before failing the run).
* Every connection runs with ``TimeZone = 'UTC'`` so ``CAST(ts AS DATE)`` means the UTC day, as ``dt`` does.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from filelock import FileLock, Timeout

from polymarket_assets.storage_errors import corrupt_duckdb, duckdb_disk_full, is_disk_full

DEFAULT_LOCK_TIMEOUT_S = 120.0
RESERVED_CATALOG_NAMES = {"silver", "silver_meta", "gold"}
WRITER_QUEUE_TIMEOUT_S = 6 * 3600.0


class DuckDBLockedError(RuntimeError):
    """The DuckDB file stayed locked by another process for longer than the timeout."""


def _is_corrupt(exc: BaseException, database: str | os.PathLike[str] | None = None) -> bool:
    """DuckDB's words for a damaged database file: a bad header (at connect), a file cut short, a block whose
    checksum fails (when a query reads it). A damaged Parquet or spill file is not the database's fault; when
    the message names a file, it must be ``database``."""
    text = str(exc)
    if not any(s in text for s in ("not a valid DuckDB database file", "Corrupt database file", "Could not read enough bytes", "checksum")):
        return False
    if ".parquet" in text or "temporary file" in text.lower() or ".tmp" in text:
        return False
    return database is None or str(database) in text or "Corrupt database file" in text or "not a valid DuckDB" in text


def _is_lock_error(exc: BaseException) -> bool:
    text = str(exc)
    return "lock" in text.lower() and ("Conflicting lock" in text or "Could not set lock" in text)


def rollback_after_error(conn: duckdb.DuckDBPyConnection) -> None:
    """``ROLLBACK`` on the way out of a failed block. DuckDB may already have ended the transaction itself (an
    I/O error such as a full disk aborts it), and then ``rollback()`` raises "no transaction is active": that
    second error would replace the first, which is the one that says what happened, so it is swallowed."""
    try:
        conn.rollback()
    except duckdb.Error:
        pass


@contextlib.contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """``BEGIN`` … ``COMMIT``, or ``ROLLBACK`` and re-raise when the block fails."""
    conn.begin()
    try:
        yield conn
    except BaseException:
        rollback_after_error(conn)
        raise
    conn.commit()


@contextlib.contextmanager
def open_writer(
    database: str | os.PathLike[str],
    *,
    config: dict[str, Any] | None = None,
    lock_timeout_seconds: float = DEFAULT_LOCK_TIMEOUT_S,
    queue_timeout_seconds: float = WRITER_QUEUE_TIMEOUT_S,
    log: Callable[[str], None] | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The one read-write connection of this process to ``database`` (see the module docstring)."""
    path = Path(database)
    in_memory = str(database) == ":memory:"
    if not in_memory and path.stem.lower() in RESERVED_CATALOG_NAMES:
        raise ValueError(
            f"DuckDB names a database after its file, so {path.name!r} would be a catalog called {path.stem!r}, "
            f"which makes the schema of the same name ambiguous in every query. Name the file differently "
            f"(the default is polymarket.duckdb; setting POLYMARKET_DUCKDB_PATH)."
        )
    lock: FileLock | contextlib.AbstractContextManager[Any]
    if in_memory:
        lock = contextlib.nullcontext()
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(path) + ".writer.lock", timeout=queue_timeout_seconds)
    try:
        lock.__enter__()
    except Timeout as exc:
        raise DuckDBLockedError(
            f"another silver writer has held {path}.writer.lock for over {queue_timeout_seconds:.0f} s; "
            "is a silver run stuck? Cancel it and re-run."
        ) from exc
    try:
        conn = _connect_with_retry(str(database), {"custom_user_agent": "dagster", **(config or {})}, lock_timeout_seconds, log)
        try:
            conn.execute("SET TimeZone = 'UTC'")
            yield conn
        except duckdb.Error as exc:
            if not in_memory and is_disk_full(exc):
                raise duckdb_disk_full(database, exc) from exc
            if not in_memory and _is_corrupt(exc, database):
                raise corrupt_duckdb(database, exc) from exc
            raise
        finally:
            conn.close()
    finally:
        lock.__exit__(None, None, None)


def _connect_with_retry(database: str, config: dict[str, Any], timeout: float, log: Callable[[str], None] | None) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + max(timeout, 0.0)
    delay = 0.25
    warned = False
    while True:
        try:
            return duckdb.connect(database, read_only=False, config=config)
        except duckdb.Error as exc:  # a checksum failure is a plain duckdb.Error, a bad header an IOException
            if _is_corrupt(exc, database):
                raise corrupt_duckdb(database, exc) from exc
            if not (isinstance(exc, duckdb.IOException) and _is_lock_error(exc)):
                raise
            if time.monotonic() >= deadline:
                raise DuckDBLockedError(
                    f"The silver DuckDB file {database} is held by another process, so this run cannot write "
                    f"(waited {timeout:.0f} s). DuckDB said: {exc}\n"
                    "Close the DuckDB shell, notebook or BI tool that has it open (read-only sessions block the "
                    "writer too) and re-run; nothing was written. To read while silver runs, query the bronze "
                    "Parquet directly or open the file only between runs."
                ) from exc
            if log and not warned:
                log(f"{database} is locked by another process; retrying for up to {timeout:.0f} s ({exc})")
                warned = True
            time.sleep(min(delay, max(deadline - time.monotonic(), 0.0)))
            delay = min(delay * 2, 5.0)


# -- views over bronze ---------------------------------------------------------------------------

def duckdb_type(t: pa.DataType) -> str:
    """The DuckDB type ``read_parquet`` yields for a bronze Arrow type."""
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "VARCHAR"
    if pa.types.is_timestamp(t):
        return "TIMESTAMPTZ" if t.tz else "TIMESTAMP"
    if pa.types.is_decimal(t):
        return f"DECIMAL({t.precision}, {t.scale})"
    if pa.types.is_boolean(t):
        return "BOOLEAN"
    if pa.types.is_float64(t):
        return "DOUBLE"
    if pa.types.is_float32(t):
        return "FLOAT"
    if pa.types.is_int16(t):
        return "SMALLINT"
    if pa.types.is_int32(t):
        return "INTEGER"
    if pa.types.is_int64(t):
        return "BIGINT"
    if pa.types.is_date32(t):
        return "DATE"
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return duckdb_type(t.value_type) + "[]"
    raise TypeError(f"no DuckDB mapping for bronze type {t}")


def sql_list(values: Sequence[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def bronze_relation(files: Sequence[str], schema: pa.Schema) -> str:
    """SQL for the rows of ``files`` with the contract's columns plus ``dt`` (DATE, from the Hive path).

    Columns are selected by name (``union_by_name``), so a file that lacks a later-added column reads as
    NULL there. No files → an empty relation of the same shape (``read_parquet`` rejects an empty list).
    """
    columns = ", ".join(f'"{f.name}"' for f in schema) + ", dt"
    if not files:
        typed = ", ".join(f'NULL::{duckdb_type(f.type)} AS "{f.name}"' for f in schema)
        return f"(SELECT {typed}, NULL::DATE AS dt WHERE false)"
    return (
        f"(SELECT {columns} FROM read_parquet({sql_list(files)}, hive_partitioning = true, "
        "hive_types = {'dt': DATE}, union_by_name = true))"
    )


def create_bronze_view(conn: duckdb.DuckDBPyConnection, name: str, files: Sequence[str], schema: pa.Schema) -> None:
    """``CREATE OR REPLACE TEMP VIEW <name>`` over ``files`` (see :func:`bronze_relation`)."""
    conn.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM {bronze_relation(files, schema)}")


def parquet_rows(conn: duckdb.DuckDBPyConnection, files: Sequence[str]) -> int:
    """Rows in ``files`` from their Parquet footers (no data pages read)."""
    if not files:
        return 0
    rows = conn.execute(f"SELECT coalesce(sum(num_rows), 0) FROM parquet_file_metadata({sql_list(files)})").fetchall()
    return int(rows[0][0]) if rows else 0  # fetchall: leaves no unfinished result (DuckDB 2 refuses register() then)

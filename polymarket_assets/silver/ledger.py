"""The load ledger: which bronze day partitions a silver table has loaded, and whether they changed since.

Small API (no Dagster import, usable by any DuckDB loader):

* :func:`scan_partitions` lists ``<dataset dir>/dt=YYYY-MM-DD/*.parquet`` — a local directory or the S3 lake,
  through ``polymarket_assets.lake`` — and fingerprints each day from the files' metadata (sorted ``(file name,
  size, mtime_ns, version)``; the version is the inode locally and the ETag on S3), so a partition rewritten by
  *anything* (a Dagster run, a range backfill committing many days in one run, a manual copy) is seen as changed;
  :func:`current_fingerprint` re-reads one day's (the loader checks a day did not change while it read it);
* :class:`LoadLedger` keeps one row per ``(target table, source dataset, dt)`` in the DuckDB table
  ``silver_meta.load_ledger`` and answers :meth:`LoadLedger.plan`: the days that are new or changed (to load),
  unchanged (to skip, costing nothing) and gone from bronze (to remove);
* :meth:`LoadLedger.record` / :meth:`LoadLedger.forget` write the ledger *inside the caller's transaction*,
  so a day's data and its ledger row commit or roll back together;
* :meth:`LoadLedger.model_version` / :meth:`LoadLedger.set_model_version` remember which version of a
  table's SQL built it, so changing the SQL rebuilds the table instead of mixing old and new rows.
* :meth:`LoadLedger.loaded_partitions` presents the days a silver table has loaded as partitions, so a
  table computed from it (``silver/orderbook_top_of_book_1m`` from ``orderbook_snapshot_fact``) plans its
  loads from them exactly as a table over bronze plans from the files.

Typical use::

    parts = scan_partitions(lake.bronze / "trades")
    ledger = LoadLedger(conn)
    plan = ledger.plan("trade_fact", "trades", parts)
    for part in plan.to_load:
        conn.begin(); ...replace the day...; ledger.record("trade_fact", part, source_rows=..., loaded_rows=...); conn.commit()
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from polymarket_assets.lake import LakePath, as_lake_path

LEDGER_SCHEMA = "silver_meta"
LEDGER_TABLE = f"{LEDGER_SCHEMA}.load_ledger"
MODELS_TABLE = f"{LEDGER_SCHEMA}.model_versions"

_DT_DIR = re.compile(r"^dt=(\d{4}-\d{2}-\d{2})$")


#: concurrent HEAD requests when reading the ETags of an S3 dataset
ETAG_WORKERS = 16


@dataclass(frozen=True)
class FileStat:
    name: str
    size: int
    mtime_ns: int
    inode: int = 0
    etag: str = ""  # S3: the object's ETag (replaces the inode)


@dataclass(frozen=True)
class Partition:
    """One bronze day partition as it is on disk right now."""

    source: str  # dataset name, e.g. "trades"
    dt: dt.date
    directory: Any  # LakePath of the day's directory (local or S3); unused for a silver source
    files: tuple[FileStat, ...]
    fingerprint: str

    @property
    def paths(self) -> list[str]:
        return [str(self.directory / f.name) for f in self.files]

    @property
    def bytes(self) -> int:
        return sum(f.size for f in self.files)


def fingerprint(files: Iterable[FileStat]) -> str:
    """sha256 over the sorted ``(name, size, mtime_ns, inode or ETag)`` of a partition's files (metadata only,
    no reads).

    The inode makes an atomic replace (write a temp file, ``os.replace`` it over the partition, as bronze
    does) a change even when size and mtime happen to match; copying the lake elsewhere changes inodes and
    so reloads everything once (conservative, never wrong). On S3 the ETag plays that part: S3's
    ``LastModified`` has one-second resolution, and the ETag changes with the content whatever the timing.
    """
    digest = hashlib.sha256()
    for f in sorted(files, key=lambda s: s.name):
        version = f.etag or f.inode
        digest.update(f"{f.name}\0{f.size}\0{f.mtime_ns}\0{version}\n".encode())
    return digest.hexdigest()


def _wanted(name: str, suffix: str) -> bool:
    return name.endswith(suffix) and not name.startswith((".", "_"))


def _local_day_files(directory: str, suffix: str) -> list[FileStat]:
    stats: list[FileStat] = []
    try:
        children = list(os.scandir(directory))
    except (FileNotFoundError, NotADirectoryError):
        return stats
    for child in children:
        if not _wanted(child.name, suffix):
            continue
        try:
            st = child.stat()
        except FileNotFoundError:
            continue
        stats.append(FileStat(child.name, st.st_size, st.st_mtime_ns, st.st_ino))
    return sorted(stats, key=lambda s: s.name)


def _with_etags(files: list[tuple[LakePath, FileStat]]) -> list[tuple[LakePath, FileStat]]:
    """Fill in each S3 object's ETag (one HEAD each, ``ETAG_WORKERS`` at a time); a file gone meanwhile is dropped."""
    def one(item: tuple[LakePath, FileStat]) -> tuple[LakePath, FileStat] | None:
        path, stat = item
        try:
            return path, FileStat(stat.name, stat.size, stat.mtime_ns, 0, path.version())
        except FileNotFoundError:
            return None

    if not files:
        return []
    with ThreadPoolExecutor(max_workers=min(ETAG_WORKERS, len(files))) as pool:
        return [r for r in pool.map(one, files) if r is not None]


def _remote_day_files(directory: LakePath, suffix: str) -> list[FileStat]:
    found = [(p, FileStat(p.name, int(info.size or 0), int(info.mtime_ns or 0))) for p, info in directory.children()
             if info.is_file and _wanted(p.name, suffix)]
    return sorted((stat for _, stat in _with_etags(found)), key=lambda s: s.name)


def current_fingerprint(part: Partition, suffix: str = ".parquet") -> str | None:
    """The fingerprint ``part``'s directory has now (``None`` if it holds no file any more)."""
    directory = as_lake_path(part.directory)
    stats = _local_day_files(directory.fs_path, suffix) if directory.local is not None else _remote_day_files(directory, suffix)
    return fingerprint(stats) if stats else None


def scan_partitions(dataset_dir: LakePath | str | os.PathLike[str], suffix: str = ".parquet", source: str | None = None) -> dict[dt.date, Partition]:
    """Every ``dt=YYYY-MM-DD`` directory under ``dataset_dir`` that holds at least one ``*suffix`` file.

    ``dataset_dir``: a ``LakePath`` (local or S3), a local directory or an ``s3://`` URI. Hidden and temporary
    files (``.x``, ``_x``, ``*.tmp``) are ignored; a directory that vanishes or changes while being listed is
    simply listed as found (the next scan sees the final state). A missing ``dataset_dir`` is an empty result,
    not an error (the dataset has not landed yet). On S3: one listing of the dataset, then one HEAD per file
    for its ETag.
    """
    root = as_lake_path(dataset_dir)
    name = source or root.name
    found: dict[dt.date, Partition] = {}
    by_day: dict[dt.date, tuple[LakePath, list[FileStat]]] = {}
    if root.local is not None:
        try:
            entries = list(os.scandir(root.fs_path))
        except (FileNotFoundError, NotADirectoryError):
            return found
        for entry in entries:
            match = _DT_DIR.match(entry.name)
            if not match or not entry.is_dir():
                continue
            try:
                day = dt.date.fromisoformat(match.group(1))
            except ValueError:
                continue
            by_day[day] = (root / entry.name, _local_day_files(entry.path, suffix))
    else:
        listed: list[tuple[LakePath, FileStat]] = []
        for path, info in root.walk_files():
            parts = path.relative_to(root).split("/")
            match = _DT_DIR.match(parts[0]) if len(parts) == 2 else None
            if match and _wanted(parts[1], suffix):
                listed.append((path, FileStat(parts[1], int(info.size or 0), int(info.mtime_ns or 0))))
        for path, stat in _with_etags(listed):
            try:
                day = dt.date.fromisoformat(_DT_DIR.match(path.parent.name).group(1))  # type: ignore[union-attr]
            except ValueError:
                continue
            by_day.setdefault(day, (path.parent, []))[1].append(stat)
    for day, (directory, stats) in by_day.items():
        if stats:
            stats.sort(key=lambda s: s.name)
            found[day] = Partition(name, day, directory, tuple(stats), fingerprint(stats))
    return dict(sorted(found.items()))


@dataclass
class Plan:
    """What one load must do for one (target, source)."""

    target: str
    source: str
    to_load: list[Partition] = field(default_factory=list)  # new or changed days, oldest first
    unchanged: list[dt.date] = field(default_factory=list)
    removed: list[dt.date] = field(default_factory=list)  # in the ledger, gone from bronze
    new_days: list[dt.date] = field(default_factory=list)
    changed_days: list[dt.date] = field(default_factory=list)

    @property
    def is_noop(self) -> bool:
        return not self.to_load and not self.removed


_DDL = f"""
CREATE SCHEMA IF NOT EXISTS {LEDGER_SCHEMA};
CREATE TABLE IF NOT EXISTS {LEDGER_TABLE} (
    target        VARCHAR NOT NULL,   -- silver table name, e.g. 'trade_fact'
    source        VARCHAR NOT NULL,   -- bronze dataset, e.g. 'trades'
    dt            DATE    NOT NULL,   -- the bronze day partition
    fingerprint   VARCHAR NOT NULL,   -- sha256 of sorted (file name, size, mtime_ns, inode or S3 ETag)
    model_version VARCHAR NOT NULL,   -- version of the target's SQL that loaded it
    file_count    INTEGER NOT NULL,
    source_bytes  BIGINT  NOT NULL,
    source_rows   BIGINT,             -- rows in the bronze files (Parquet footers)
    loaded_rows   BIGINT,             -- rows the target holds for this day after the load (facts)
    dropped_rows  BIGINT,             -- source rows not loaded, e.g. duplicate keys (facts)
    loaded_at     TIMESTAMPTZ NOT NULL,
    run_id        VARCHAR
);
CREATE TABLE IF NOT EXISTS {MODELS_TABLE} (
    target        VARCHAR NOT NULL,
    model_version VARCHAR NOT NULL,
    built_at      TIMESTAMPTZ NOT NULL
);
"""


class LoadLedger:
    """The ledger table on one DuckDB connection. Methods that write do not commit: the caller's
    transaction decides, so data and ledger move together."""

    def __init__(self, conn: Any):
        self.conn = conn
        conn.execute(_DDL)

    # -- model versions -------------------------------------------------------------------------
    def model_version(self, target: str) -> str | None:
        row = self.conn.execute(f"SELECT model_version FROM {MODELS_TABLE} WHERE target = ?", [target]).fetchone()
        return row[0] if row else None

    def set_model_version(self, target: str, version: str) -> None:
        self.conn.execute(f"DELETE FROM {MODELS_TABLE} WHERE target = ?", [target])
        self.conn.execute(f"INSERT INTO {MODELS_TABLE} VALUES (?, ?, now())", [target, version])

    # -- reading --------------------------------------------------------------------------------
    def entries(self, target: str, source: str | None = None) -> dict[tuple[str, dt.date], dict[str, Any]]:
        sql = f"SELECT * FROM {LEDGER_TABLE} WHERE target = ?"
        params: list[Any] = [target]
        if source is not None:
            sql += " AND source = ?"
            params.append(source)
        cur = self.conn.execute(sql + " ORDER BY source, dt", params)
        cols = [d[0] for d in cur.description]
        return {(r[1], r[2]): dict(zip(cols, r, strict=True)) for r in cur.fetchall()}

    def loaded_days(self, target: str, source: str) -> list[dt.date]:
        return [k[1] for k in self.entries(target, source)]

    def days_of_latest_load(self, target: str, run_id: str | None = None) -> list[dt.date]:
        """Days written by ``run_id`` if it wrote any, else by the most recent run that wrote ``target``."""
        if run_id is not None:
            days = self.days_loaded_by_run(target, run_id)
            if days:
                return days
        row = self.conn.execute(
            f"SELECT run_id FROM {LEDGER_TABLE} WHERE target = ? AND run_id IS NOT NULL ORDER BY loaded_at DESC LIMIT 1", [target]
        ).fetchone()
        return self.days_loaded_by_run(target, row[0]) if row else []

    def days_loaded_by_run(self, target: str, run_id: str) -> list[dt.date]:
        """Days of ``target`` whose current ledger row was written by run ``run_id``."""
        rows = self.conn.execute(f"SELECT DISTINCT dt FROM {LEDGER_TABLE} WHERE target = ? AND run_id = ? ORDER BY dt", [target, run_id]).fetchall()
        return [r[0] for r in rows]

    def loaded_partitions(self, target: str) -> dict[dt.date, Partition]:
        """The days silver table ``target`` holds, as partitions (without files) for a table computed from it.

        A day's fingerprint hashes ``target``'s ledger rows for the day (source fingerprint, model version,
        rows loaded, load time), so it changes exactly when ``target`` (re)loads the day, and a day
        ``target`` removed is absent.
        """
        rows: dict[dt.date, list[str]] = {}
        for (source, day), row in self.entries(target).items():
            rows.setdefault(day, []).append(
                f"{source}|{row['fingerprint']}|{row['model_version']}|{row['loaded_rows']}|{row['loaded_at'].isoformat()}")
        return {
            day: Partition(target, day, None, (), hashlib.sha256("\n".join(sorted(parts)).encode()).hexdigest())
            for day, parts in sorted(rows.items())
        }

    def plan(self, target: str, source: str, partitions: Mapping[dt.date, Partition], model_version: str = "") -> Plan:
        """Days to load (new, or fingerprint/model version differs), unchanged days, and removed days."""
        known = {day: row for (_, day), row in self.entries(target, source).items()}
        plan = Plan(target, source)
        for day, part in sorted(partitions.items()):
            row = known.get(day)
            if row is None:
                plan.to_load.append(part)
                plan.new_days.append(day)
            elif row["fingerprint"] != part.fingerprint or row["model_version"] != model_version:
                plan.to_load.append(part)
                plan.changed_days.append(day)
            else:
                plan.unchanged.append(day)
        plan.removed = sorted(day for day in known if day not in partitions)
        return plan

    # -- writing (inside the caller's transaction) ----------------------------------------------
    def record(
        self,
        target: str,
        part: Partition,
        *,
        model_version: str = "",
        source_rows: int | None = None,
        loaded_rows: int | None = None,
        dropped_rows: int | None = None,
        run_id: str | None = None,
    ) -> None:
        self.forget(target, part.source, [part.dt])
        self.conn.execute(
            f"INSERT INTO {LEDGER_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now(), ?)",
            [target, part.source, part.dt, part.fingerprint, model_version, len(part.files), part.bytes,
             source_rows, loaded_rows, dropped_rows, run_id],
        )

    def forget(self, target: str, source: str | None = None, days: Iterable[dt.date] | None = None) -> None:
        """Drop ledger rows of ``target`` (optionally one source, optionally some days)."""
        sql = f"DELETE FROM {LEDGER_TABLE} WHERE target = ?"
        params: list[Any] = [target]
        if source is not None:
            sql += " AND source = ?"
            params.append(source)
        if days is not None:
            days = list(days)
            if not days:
                return
            sql += " AND dt IN (SELECT UNNEST(?::DATE[]))"
            params.append(days)
        self.conn.execute(sql, params)

"""Incremental loads of one model (silver or gold) from its sources: set-based DuckDB SQL, one ledger, no row loops.

``load_model(conn, model, bronze_root)`` brings ``<layer>.<model>`` up to date with its sources (bronze
datasets in the lake — a local directory or S3, read by DuckDB through the lake's own filesystem
(``lake/duckdb_fs.py``); for a model with ``source_layer="silver"`` or ``"gold"``, the tables of that layer it is
computed from):

1. **Version.** If the table was built by another version of the model (DDL/SQL changed), or a full refresh
   is asked for, it is dropped and every bronze day is reloaded.
2. **Plan.** Each source dataset's day partitions are fingerprinted from disk and compared with the load
   ledger: new or changed days are loaded, unchanged days cost nothing, days gone from bronze are removed
   (facts) or forgotten (dimensions keep their rows). A silver source's days are its ledger rows
   (``LoadLedger.loaded_partitions``): a day is reloaded when the source table reloaded it.
3. **Facts** (``trade_fact``, ``price_history_fact``, ``leaderboard_fact``, ``orderbook_snapshot_fact``,
   ``orderbook_top_of_book_1m``): per changed day, one transaction ``DELETE FROM fact WHERE dt = day;
   INSERT INTO fact BY NAME <sql/<model>.sql over the view of that day's source rows>`` (``bronze_<dataset>``
   over the day's files, or ``silver_<table>`` over the source table's rows of the day), repeated keys
   dropped (newest fetch kept, counted), write-phase checks, ledger row, ``COMMIT`` — or ``ROLLBACK`` when a
   blocking check fails (the day keeps its previous rows and stays pending), or when the day's bronze files
   changed while they were being read (its fingerprint is read again before the commit: a partition replaced
   mid-read on S3 could otherwise mix two versions; the day stays pending for the next run).
   A fact with a Python transform (``model.python``: ``orderbook_bbo``, ``orderbook_gaps``) runs the same
   transaction with ``INSERT INTO fact BY NAME`` of each Arrow batch the transform yields instead of the SELECT;
   its documented drops are the source rows it read minus the rows it wrote, so ``reconciles_with_bronze``
   checks that it read every bronze row of the day (and the table holds what it wrote).
4. **Dimensions**: one transaction: the incoming rows of every changed day (``sql/<model>.sql``: newest
   state per key, first/last seen) are ``MERGE``d into the table (rules per column in models.py), checks,
   ledger rows, ``COMMIT``/``ROLLBACK``. The bridge ``event_category`` runs ``event_category_merge.sql``.
5. **Tables** (``kind="table"``, gold models derived from whole tables): when any source (re)loaded or removed
   a day since the last build, one transaction ``DELETE FROM table; INSERT INTO table BY NAME <sql/<model>.sql
   over views of the whole source tables>``, write-phase checks, one ledger row per source day, ``COMMIT`` —
   or ``ROLLBACK`` (the table keeps its previous state). Nothing changed: nothing is read or written.
6. **Post checks** on the committed table: reconciliation with bronze (facts) and freshness. (Checks against
   *other* tables run as separate Dagster check steps: see checks/, phase ``after``.)

A source table that does not exist is an error naming what to materialize first, except an optional source
(``Model.optional_sources``), which reads as an empty relation of its declared columns.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from polymarket_assets.bronze.schemas import SCHEMAS
from polymarket_assets.lake import LakePath, as_lake_path
from polymarket_assets.lake.duckdb_fs import attach
from polymarket_assets.silver.checks import CheckContext, CheckDef, Outcome, Severity, checks_for
from polymarket_assets.silver.duck import create_bronze_view, parquet_rows, rollback_after_error
from polymarket_assets.silver.ledger import LoadLedger, Partition, Plan, current_fingerprint, scan_partitions
from polymarket_assets.silver.model import Col, DayInput, Model, read_sql
from polymarket_assets.storage_errors import StorageError, corrupt_bronze_file

Log = Callable[[str], None]


@dataclass
class LoadResult:
    model: str
    model_version: str
    rebuilt: bool = False
    days_loaded: list[dt.date] = field(default_factory=list)
    days_failed: list[dt.date] = field(default_factory=list)
    days_unchanged: int = 0
    days_removed: list[dt.date] = field(default_factory=list)
    days_changed_while_loading: list[dt.date] = field(default_factory=list)
    rows_inserted: int = 0
    rows_deleted: int = 0
    rows_dropped: int = 0
    source_rows: int = 0
    committed: bool = False  # did this load change the table at all
    table_rows: int = 0
    checks: dict[str, Outcome] = field(default_factory=dict)
    seconds: float = 0.0
    notes: dict[str, Any] = field(default_factory=dict)
    check_defs: list[CheckDef] = field(default_factory=list)

    @property
    def blocking_failures(self) -> list[str]:
        blocking = {c.name for c in self.check_defs if c.blocking}
        return [n for n, o in self.checks.items() if not o.passed and o.severity == "ERROR" and n in blocking]


class SourceMissingError(RuntimeError):
    """A table the model is computed from does not exist yet (materialize it first)."""


def _blocking(checks: list[CheckDef], name: str) -> bool:
    return next(c for c in checks if c.name == name).blocking


def _sql(model: Model, name: str | None = None) -> str:
    return read_sql(name or model.name, model.layer).strip().rstrip(";")


def relation_exists(conn: Any, schema: str, name: str) -> bool:
    return bool(conn.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?", [schema, name]
    ).fetchone()[0])


def table_exists(conn: Any, model: Model) -> bool:
    return relation_exists(conn, model.layer, model.name)


def ensure_table(conn: Any, model: Model, ledger: LoadLedger, *, full_refresh: bool = False) -> bool:
    """Create the table; drop and recreate it when its model version changed. True when (re)built."""
    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {model.layer}")
    exists = table_exists(conn, model)
    if exists and not full_refresh and ledger.model_version(model.name) == model.version:
        return False
    conn.begin()
    try:
        conn.execute(f"DROP TABLE IF EXISTS {model.table}")
        conn.execute(model.ddl())
        ledger.forget(model.name)
        ledger.set_model_version(model.name, model.version)
        conn.commit()
    except BaseException:
        rollback_after_error(conn)
        raise
    return True


def source_partitions(ledger: LoadLedger, model: Model, bronze_root: LakePath) -> dict[str, dict[dt.date, Partition]]:
    """The model's source days as they are now: bronze files in the lake, or the source tables' ledgers."""
    if model.source_layer != "bronze":
        return {s: ledger.loaded_partitions(s) for s in model.all_sources}
    return {s: scan_partitions(bronze_root / s, source=s) for s in model.sources}


def plan_model(ledger: LoadLedger, model: Model, bronze_root: LakePath) -> tuple[dict[str, dict[dt.date, Partition]], dict[str, Plan]]:
    partitions = source_partitions(ledger, model, bronze_root)
    plans = {s: ledger.plan(model.name, s, partitions[s], model.version) for s in partitions}
    return partitions, plans


def load_model(
    conn: Any,
    model: Model,
    bronze_root: LakePath | str | Path,
    *,
    full_refresh: bool = False,
    run_id: str | None = None,
    log: Log | None = None,
) -> LoadResult:
    """Bring ``model.table`` up to date with its sources; a corrupt bronze file or a full disk is reported
    by name with what to do (``storage_errors``; a full disk: ``duck.open_writer``); the failed day's transaction is rolled back."""
    try:
        return _load_model(conn, model, bronze_root, full_refresh=full_refresh, run_id=run_id, log=log)
    except duckdb.Error as exc:
        clear: StorageError | None = corrupt_bronze_file(exc, str(bronze_root), model.table)
        if clear is not None:
            raise clear from exc
        raise  # a full disk is named with the DuckDB file's path where the connection is opened (duck.open_writer)


def _load_model(
    conn: Any,
    model: Model,
    bronze_root: LakePath | str | Path,
    *,
    full_refresh: bool,
    run_id: str | None,
    log: Log | None,
) -> LoadResult:
    started = time.monotonic()
    log = log or (lambda _msg: None)
    bronze_root = as_lake_path(bronze_root)
    attach(conn, bronze_root.lake)  # an S3 lake: DuckDB reads its objects through the lake's filesystem
    ledger = LoadLedger(conn)
    all_checks = checks_for(model)
    result = LoadResult(model.name, model.version, check_defs=all_checks)
    _require_sources(conn, model)
    result.rebuilt = ensure_table(conn, model, ledger, full_refresh=full_refresh)
    result.committed = result.rebuilt
    _, plans = plan_model(ledger, model, bronze_root)
    result.days_unchanged = sum(len(p.unchanged) for p in plans.values())
    for source, plan in plans.items():
        log(f"{model.table} ← {model.source_layer}/{source}: {len(plan.new_days)} new, {len(plan.changed_days)} changed, "
            f"{len(plan.unchanged)} unchanged, {len(plan.removed)} removed day(s)")

    write_checks = [c for c in all_checks if c.phase == "write"]  # "after" checks are separate steps
    if model.kind == "fact":
        _load_fact(conn, model, ledger, plans[model.sources[0]], write_checks, result, run_id, log)
    elif model.kind == "table":
        _load_table(conn, model, ledger, plans, write_checks, result, run_id, log)
    else:
        _load_merged(conn, model, ledger, plans, write_checks, result, run_id, log)

    # post checks see the sources as they are now (a day that landed during the run shows as pending)
    partitions, _ = plan_model(ledger, model, bronze_root)
    for check in all_checks:
        if check.phase == "post":
            result.checks[check.name] = check.fn(CheckContext(conn, model, None, ledger, partitions))
    result.table_rows = int(conn.execute(f"SELECT count(*) FROM {model.table}").fetchone()[0])
    if model.stats_sql:
        cur = conn.execute(_sql(model, model.stats_sql))
        row = cur.fetchone()
        if row is not None:
            result.notes.update({d[0]: (int(v) if isinstance(v, int) else v) for d, v in zip(cur.description, row, strict=True)})
    result.seconds = time.monotonic() - started
    return result


def _require_sources(conn: Any, model: Model) -> None:
    """A table the model reads must exist (optional sources excepted): say what to materialize first."""
    if model.source_layer == "bronze":
        return
    missing = [s for s in model.sources if not relation_exists(conn, model.source_layer, s)]
    if missing:
        names = ", ".join(f"{model.source_layer}.{s}" for s in missing)
        keys = ", ".join(f"{model.source_layer}/{s}" for s in missing)
        raise SourceMissingError(
            f"{model.table} is computed from {names}, which does not exist yet in this DuckDB file. Materialize "
            f"{keys} first (or select them in the same run: dagster asset materialize -m polymarket_assets "
            f"--select 'key:{model.source_layer}/* or key:{model.layer}/*'); nothing was written."
        )


def empty_relation(columns: tuple[Col, ...]) -> str:
    """SQL for zero rows of the given columns (an optional source that does not exist yet)."""
    typed = ", ".join(f"NULL::{c.type} AS {c.name}" for c in columns)
    return f"(SELECT {typed} WHERE false)"


# -- facts -----------------------------------------------------------------------------------------

def _dedupe_day(conn: Any, model: Model, day: dt.date, select_sql: str) -> int:
    """Drop repeated keys of one day (newest fetch wins). Cheap test first; rewrite only when needed."""
    key = ", ".join(model.key)
    dups = conn.execute(
        f"SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM {model.table} WHERE dt = ? GROUP BY {key} HAVING count(*) > 1)",
        [day],
    ).fetchone()[0]
    if not dups:
        return 0
    conn.execute(f"DELETE FROM {model.table} WHERE dt = ?", [day])
    conn.execute(
        f"INSERT INTO {model.table} BY NAME SELECT * FROM ({select_sql}\n) "
        f"QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY fetched_at DESC) = 1"
    )
    return int(dups)


def _source_view(conn: Any, model: Model, part: Partition) -> int:
    """Create the view the model's SQL reads, over the source rows of ``part``'s day; return their count."""
    view = model.source_view(part.source)
    if model.source_layer != "bronze":
        conn.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT * FROM {model.source_layer}.{part.source} "
                     f"WHERE dt = DATE '{part.dt.isoformat()}'")
        return int(conn.execute(f"SELECT count(*) FROM {view}").fetchone()[0])
    create_bronze_view(conn, view, part.paths, SCHEMAS[part.source])
    return parquet_rows(conn, part.paths)


def _counted_rows(conn: Any, model: Model, day: dt.date, rows: int) -> int:
    """Source rows the day's rows account for: one each, or the sum of the model's count column (aggregates)."""
    if model.count_column is None:
        return rows
    return int(conn.execute(f"SELECT {model.counted_sql} FROM {model.table} WHERE dt = ?", [day]).fetchone()[0])


def _insert_python(conn: Any, model: Model, part: Partition, result: LoadResult) -> tuple[int, int]:
    """Insert what the model's Python transform yields for ``part``'s day; returns (rows inserted, rows read)."""
    assert model.python is not None
    day = DayInput(part.dt, part.source, part.paths)
    inserted = 0
    for chunk in model.python(day):
        if chunk.num_rows == 0:
            continue
        conn.register("python_transform_rows", chunk)
        try:
            conn.execute(f"INSERT INTO {model.table} BY NAME SELECT * FROM python_transform_rows")
        finally:
            conn.unregister("python_transform_rows")
        inserted += chunk.num_rows
    for k, v in day.notes.items():
        result.notes[k] = result.notes.get(k, 0) + v if isinstance(v, (int, float)) and not isinstance(v, bool) else v
    return inserted, day.rows_read


def _load_fact(conn: Any, model: Model, ledger: LoadLedger, plan: Plan, checks: list[CheckDef],
               result: LoadResult, run_id: str | None, log: Log) -> None:
    source = plan.source
    select_sql = _sql(model) if model.python is None else ""
    per_check: dict[str, list[tuple[dt.date, Outcome]]] = {c.name: [] for c in checks}

    if plan.removed:
        conn.begin()
        try:
            n = conn.execute(f"DELETE FROM {model.table} WHERE dt IN (SELECT UNNEST(?::DATE[]))", [plan.removed]).fetchone()[0]
            ledger.forget(model.name, source, plan.removed)
            conn.commit()
        except BaseException:
            rollback_after_error(conn)
            raise
        result.rows_deleted += int(n)
        result.days_removed = list(plan.removed)
        result.committed = True
        log(f"{model.table}: removed {len(plan.removed)} day(s) gone from {model.source_layer}/{source} ({n} rows)")

    for part in plan.to_load:
        day = part.dt
        conn.begin()
        try:
            deleted = int(conn.execute(f"DELETE FROM {model.table} WHERE dt = ?", [day]).fetchone()[0])
            source_rows = _source_view(conn, model, part)
            if model.python is None:
                inserted = int(conn.execute(f"INSERT INTO {model.table} BY NAME {select_sql}").fetchone()[0])
                dup_dropped = _dedupe_day(conn, model, day, select_sql)
                loaded = inserted - dup_dropped
                dropped = source_rows - _counted_rows(conn, model, day, loaded)
            else:  # repeated keys are not dropped: the blocking key check rejects the day
                loaded, rows_read = _insert_python(conn, model, part, result)
                dropped = rows_read - loaded
            outcomes = {c.name: c.fn(CheckContext(conn, model, [day], files=part.paths)) for c in checks}
            failed = [n for n, o in outcomes.items() if not o.passed and o.severity == "ERROR" and _blocking(checks, n)]
            if failed:
                conn.rollback()
                result.days_failed.append(day)
                log(f"{model.table} dt={day}: blocking check(s) failed ({', '.join(failed)}); day rolled back, stays pending")
            elif _changed_while_read(model, [part]):
                conn.rollback()
                result.days_changed_while_loading.append(day)
                log(f"{model.table} dt={day}: {model.source_layer}/{source} was rewritten while it was read; day rolled back, "
                    f"stays pending (the next run loads the new files)")
                continue
            else:
                ledger.record(model.name, part, model_version=model.version, source_rows=source_rows,
                              loaded_rows=loaded, dropped_rows=dropped, run_id=run_id)
                conn.commit()
                result.days_loaded.append(day)
                result.rows_inserted += loaded
                result.rows_deleted += deleted
                result.rows_dropped += dropped
                result.source_rows += source_rows
                result.committed = True
            for n, o in outcomes.items():
                per_check[n].append((day, o))
        except BaseException:
            rollback_after_error(conn)
            raise
    if plan.to_load:
        log(f"{model.table}: loaded {len(result.days_loaded)} day(s), {result.rows_inserted} rows"
            + (f"; {len(result.days_failed)} day(s) failed checks" if result.days_failed else ""))
    for check in checks:
        result.checks[check.name] = _combine_days(per_check[check.name])


def _changed_while_read(model: Model, parts: list[Partition]) -> bool:
    """True when a bronze day's files are no longer the ones fingerprinted before the read (S3 has no atomic
    rename: a partition replaced mid-read could mix two versions)."""
    if model.source_layer != "bronze":
        return False
    return any(current_fingerprint(p) != p.fingerprint for p in parts)


def _combine_days(per_day: list[tuple[dt.date, Outcome]]) -> Outcome:
    """One result per check for all the days this run loaded."""
    if not per_day:
        return Outcome(True, "ERROR", "no bronze day changed: nothing new to check",
                       {"scope": "days loaded by this run", "days_checked": 0})
    failing = [(d, o) for d, o in per_day if not o.passed]
    errors = [(d, o) for d, o in failing if o.severity == "ERROR"]
    md: dict[str, Any] = {"scope": "days loaded by this run", "days_checked": len(per_day)}
    days = [d for d, _ in per_day]
    md["days"] = f"{min(days).isoformat()} .. {max(days).isoformat()}"
    for _, o in per_day:
        for k, v in o.metadata.items():
            if isinstance(v, (int, float)) and not isinstance(v, bool) and k != "orphan_share":
                md[k] = md.get(k, 0) + v
    if "rows_checked" in md and ("orphan_rows_unknown_market" in md or "orphan_rows_unknown_token" in md):
        worst = max(md.get("orphan_rows_unknown_market", 0), md.get("orphan_rows_unknown_token", 0))
        md["orphan_share"] = round(worst / md["rows_checked"], 6) if md["rows_checked"] else 0.0
    if not failing:
        return Outcome(True, "ERROR", per_day[-1][1].description, md)
    md["failing_days"] = ", ".join(d.isoformat() for d, _ in failing[:20]) + (" …" if len(failing) > 20 else "")
    first_day, first = (errors or failing)[0]
    for k in ("sample", "sample_mismatched"):
        if k in first.metadata:
            md[k] = first.metadata[k]
    severity: Severity = "ERROR" if errors else "WARN"
    return Outcome(False, severity, f"{len(failing)} day(s) failed, e.g. {first_day.isoformat()}: {first.description}", md)


# -- dimensions and the bridge ---------------------------------------------------------------------

def _newer(order: tuple[str, ...]) -> str:
    """SQL: the incoming state s is at least as new as the stored d (NULL instants sort first)."""
    s = ", ".join(f"coalesce(s.{c}, '-infinity'::TIMESTAMPTZ)" for c in order)
    d = ", ".join(f"coalesce(d.{c}, '-infinity'::TIMESTAMPTZ)" for c in order)
    return f"(({s}) >= ({d}))" if len(order) > 1 else f"({s} >= {d})"


def merge_sql(model: Model, incoming: str = "incoming") -> str:
    """MERGE of the incoming rows into a dimension, per the columns' merge rules (SCD type 1 + first/last seen)."""
    on = " AND ".join(f"d.{k} = s.{k}" for k in model.key)
    sets = []
    for c in model.columns:
        if c.merge == "key":
            continue
        newer = _newer(c.order or model.order_by)
        expr = {
            "latest": f"CASE WHEN {newer} THEN s.{c.name} ELSE d.{c.name} END",
            "latest_non_null": f"CASE WHEN {newer} THEN coalesce(s.{c.name}, d.{c.name}) ELSE coalesce(d.{c.name}, s.{c.name}) END",
            "min": f"least(d.{c.name}, s.{c.name})",
            "max": f"greatest(d.{c.name}, s.{c.name})",
        }[c.merge]
        sets.append(f"{c.name} = {expr}")
    cols = ", ".join(model.column_names)
    vals = ", ".join(f"s.{c}" for c in model.column_names)
    return (
        f"MERGE INTO {model.table} AS d\nUSING {incoming} AS s\nON {on}\n"
        f"WHEN MATCHED THEN UPDATE SET\n    " + ",\n    ".join(sets) + "\n"
        f"WHEN NOT MATCHED THEN INSERT ({cols}) VALUES ({vals})"
    )


def _load_merged(conn: Any, model: Model, ledger: LoadLedger, plans: dict[str, Plan], checks: list[CheckDef],
                 result: LoadResult, run_id: str | None, log: Log) -> None:
    to_load = [p for plan in plans.values() for p in plan.to_load]
    removed = {s: plan.removed for s, plan in plans.items() if plan.removed}
    if not to_load and not removed:
        for check in checks:
            result.checks[check.name] = Outcome(True, "ERROR", "no bronze day changed: table unchanged since its last check",
                                                {"scope": "whole table", "days_checked": 0})
        return
    conn.begin()
    try:
        for source, days in removed.items():
            # dimensions keep what they learned; the ledger forgets the day (last_seen_at shows staleness)
            ledger.forget(model.name, source, days)
            result.days_removed += days
        source_rows: dict[tuple[str, dt.date], int] = {}
        if to_load:
            for source, plan in plans.items():
                files = [f for p in plan.to_load for f in p.paths]
                create_bronze_view(conn, model.source_view(source), files, SCHEMAS[source])
                for p in plan.to_load:
                    source_rows[(source, p.dt)] = parquet_rows(conn, p.paths)
            conn.execute(f"CREATE OR REPLACE TEMP TABLE incoming AS {_sql(model)}")
            incoming = int(conn.execute("SELECT count(*) FROM incoming").fetchone()[0])
            before = int(conn.execute(f"SELECT count(*) FROM {model.table}").fetchone()[0])
            if model.kind == "bridge":
                conn.execute(read_sql(model.extra_sql[0], model.layer))
            else:
                conn.execute(merge_sql(model))
            after = int(conn.execute(f"SELECT count(*) FROM {model.table}").fetchone()[0])
            result.rows_inserted = max(after - before, 0)
            result.notes.update({"incoming_keys": incoming, "new_keys": max(after - before, 0)})
            if model.name == "market_dim":
                result.notes["markets_without_condition_id"] = int(conn.execute(
                    "SELECT count(*) FROM bronze_markets WHERE nullif(condition_id, '') IS NULL").fetchone()[0])
        outcomes = {c.name: c.fn(CheckContext(conn, model)) for c in checks}
        result.checks.update(outcomes)
        failed = [n for n, o in outcomes.items() if not o.passed and o.severity == "ERROR" and _blocking(checks, n)]
        if failed:
            conn.rollback()
            result.days_failed = [p.dt for p in to_load]
            log(f"{model.table}: blocking check(s) failed ({', '.join(failed)}); merge rolled back, {len(to_load)} day(s) stay pending")
            return
        if _changed_while_read(model, to_load):
            conn.rollback()
            result.days_changed_while_loading = sorted({p.dt for p in to_load})
            log(f"{model.table}: bronze files were rewritten while they were read; merge rolled back, {len(to_load)} day(s) "
                f"stay pending (the next run loads the new files)")
            return
        for p in to_load:
            rows = source_rows.get((p.source, p.dt))
            ledger.record(model.name, p, model_version=model.version, source_rows=rows, run_id=run_id)
            result.source_rows += rows or 0
        conn.commit()
        result.days_loaded = sorted({p.dt for p in to_load})
        result.committed = True
        log(f"{model.table}: merged {len(to_load)} day(s) ({result.notes.get('incoming_keys', 0)} keys in, "
            f"{result.notes.get('new_keys', 0)} new)")
    except BaseException:
        rollback_after_error(conn)
        raise


# -- tables rebuilt from whole source tables ---------------------------------------------------------

def _table_views(conn: Any, model: Model) -> None:
    """One temp view per source over the whole source table (an absent optional source: zero rows)."""
    for source in model.all_sources:
        view = model.source_view(source)
        if relation_exists(conn, model.source_layer, source):
            conn.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT * FROM {model.source_layer}.{source}")
        else:
            columns = model.optional_columns(source)
            assert columns is not None, f"{source} is required and was checked by _require_sources"
            conn.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT * FROM {empty_relation(columns)}")


def _load_table(conn: Any, model: Model, ledger: LoadLedger, plans: dict[str, Plan], checks: list[CheckDef],
                result: LoadResult, run_id: str | None, log: Log) -> None:
    """Rebuild the whole table in one transaction when any source (re)loaded or removed a day since the last build."""
    changed = {s: p for s, p in plans.items() if not p.is_noop}
    if not changed and not result.rebuilt:
        for check in checks:
            result.checks[check.name] = Outcome(True, "ERROR", "no source table changed: table unchanged since its last check",
                                                {"scope": "whole table", "days_checked": 0})
        return
    conn.begin()
    try:
        _table_views(conn, model)
        deleted = int(conn.execute(f"DELETE FROM {model.table}").fetchone()[0])
        inserted = int(conn.execute(f"INSERT INTO {model.table} BY NAME {_sql(model)}").fetchone()[0])
        outcomes = {c.name: c.fn(CheckContext(conn, model)) for c in checks}
        result.checks.update(outcomes)
        failed = [n for n, o in outcomes.items() if not o.passed and o.severity == "ERROR" and _blocking(checks, n)]
        if failed:
            conn.rollback()
            result.days_failed = sorted({p.dt for plan in changed.values() for p in plan.to_load})
            log(f"{model.table}: blocking check(s) failed ({', '.join(failed)}); rebuild rolled back, the table keeps its previous state")
            return
        for source, plan in plans.items():
            ledger.forget(model.name, source, plan.removed)
            for part in plan.to_load:
                ledger.record(model.name, part, model_version=model.version, run_id=run_id)
            result.days_removed += plan.removed
        conn.commit()
    except BaseException:
        rollback_after_error(conn)
        raise
    result.days_loaded = sorted({p.dt for plan in plans.values() for p in plan.to_load})
    result.rows_inserted, result.rows_deleted = inserted, deleted
    result.committed = True
    what = ", ".join(f"{model.source_layer}.{s}" for s in changed) or "a new model version"
    log(f"{model.table}: rebuilt ({inserted} rows) because {what} changed")

"""Checks of a table against its sources, after the load commits (post phase): every loaded day reconciles
with its source partition, and the newest source day is loaded."""

from __future__ import annotations

from typing import Any

from polymarket_assets.silver.checks.base import SAMPLE, CheckContext, Outcome, scope_md
from polymarket_assets.silver.model import Model


def source_label(model: Model, source: str) -> str:
    """How the checks name a source: ``bronze`` for a bronze dataset, ``<layer>.<table>`` for a table."""
    return "bronze" if model.source_layer == "bronze" else f"{model.source_layer}.{source}"


def reconciles_with_bronze(ctx: CheckContext) -> Outcome:
    """Each loaded day holds exactly the bronze partition's rows minus the rows the load documented as
    dropped (repeated keys; older leaderboard snapshots of the same day), and the table holds no day the
    ledger does not know. Bronze rows come from the Parquet footers read at load time; a day whose bronze
    files changed since is *pending* (reported, and the ``fresh`` check's business), not compared.

    A fact computed from a silver fact compares with that table's rows of the day instead (counted at load
    time; pending once that table reloaded the day), so it reconciles with bronze through it. An aggregate
    (``count_column``) accounts for its source rows by that column: the ``snapshots`` of a day of
    ``orderbook_top_of_book_1m`` add up to the ``orderbook_snapshot_fact`` rows of the day."""
    conn, m = ctx.conn, ctx.model
    assert ctx.ledger is not None and ctx.partitions is not None
    counted = m.counted_sql
    stats = {d: (int(rows), int(n)) for d, rows, n in conn.execute(f"SELECT dt, count(*), {counted} FROM {m.table} GROUP BY dt").fetchall()}
    source = m.sources[0]
    label = source_label(m, source)
    source_key = "bronze_rows" if m.source_layer == "bronze" else "source_rows"
    parts = ctx.partitions.get(source, {})
    entries = {day: row for (_, day), row in ctx.ledger.entries(m.name, source).items()}
    mismatched, pending = [], []
    for day, row in entries.items():
        part = parts.get(day)
        if part is None or part.fingerprint != row["fingerprint"]:
            pending.append(day.isoformat())
            continue
        expected = int(row["source_rows"] or 0) - int(row["dropped_rows"] or 0)
        rows, actual = stats.get(day, (0, 0))
        if actual != expected or (row["loaded_rows"] is not None and int(row["loaded_rows"]) != rows):
            mismatch = {"dt": day.isoformat(), "silver_rows": rows, source_key: int(row["source_rows"] or 0),
                        "documented_drops": int(row["dropped_rows"] or 0)}
            if m.count_column:
                mismatch[f"sum_{m.count_column}"] = actual
            mismatched.append(mismatch)
    unknown_days = sorted(d.isoformat() for d in stats if d not in entries)
    md = {"scope": "whole table", "days_compared": len(entries) - len(pending), "days_mismatched": len(mismatched),
          "days_pending_reload": len(pending), "days_without_ledger": len(unknown_days),
          "silver_rows": sum(rows for rows, _ in stats.values()),
          "documented_drops": int(sum(int(r["dropped_rows"] or 0) for r in entries.values()))}
    if mismatched:
        md["mismatches"] = repr(mismatched[:10])
    if unknown_days:
        md["days_without_ledger_sample"] = repr(unknown_days[:10])
    if pending:
        md["pending_sample"] = repr(pending[:10])
    passed = not mismatched and not unknown_days
    what = "its bronze partition" if m.source_layer == "bronze" else label
    desc = f"every loaded day reconciles with {what}" if passed else (
        f"{len(mismatched)} day(s) differ from {label}, {len(unknown_days)} day(s) in silver unknown to the ledger")
    return Outcome(passed, "ERROR", desc, md)


def fresh(ctx: CheckContext) -> Outcome:
    """The newest bronze day of every source is loaded, with the files as they are on disk now (for a
    silver source: the newest day of that table is loaded, as that table holds it now)."""
    m = ctx.model
    assert ctx.ledger is not None and ctx.partitions is not None
    layer = m.source_layer
    sources = m.sources if layer == "bronze" else m.all_sources
    scope = "bronze on disk" if layer == "bronze" else "the ledger of " + ", ".join(f"{layer}.{s}" for s in sources)
    md: dict[str, Any] = {"scope": f"{scope} vs load ledger"}
    stale = []
    pending_total = 0
    for source in sources:
        parts = ctx.partitions.get(source, {})
        entries = {day: row for (_, day), row in ctx.ledger.entries(m.name, source).items()}
        pending = [d for d, p in parts.items() if d not in entries or entries[d]["fingerprint"] != p.fingerprint]
        pending_total += len(pending)
        newest = max(parts) if parts else None
        md[f"{source}_newest_{layer}_day"] = newest.isoformat() if newest else "none"
        md[f"{source}_newest_loaded_day"] = max(entries).isoformat() if entries else "none"
        md[f"{source}_days_pending"] = len(pending)
        if pending:
            md[f"{source}_pending_sample"] = repr([d.isoformat() for d in pending[-10:]])
        if newest is not None and newest in pending:
            stale.append(f"{source} {newest.isoformat()}")
    passed = not stale
    if layer == "bronze":
        newest_day = "the newest bronze day"
    elif len(sources) == 1:
        newest_day = f"the newest day of {source_label(m, sources[0])}"
    else:
        newest_day = "the newest day of every source table"
    desc = f"{newest_day} is loaded" if passed else "not loaded yet: " + ", ".join(stale)
    return Outcome(passed, "WARN", desc, md)


def matches_source_totals(ctx: CheckContext) -> Outcome:
    """A fact computed from another fact holds, for each day in scope, the same totals as its source table's
    rows of that day: the count column (or row count) against the source's rows, and every
    ``Model.source_sums`` column against the sum of its source expression. Nothing can be counted twice (or
    dropped) between the two tables without this check failing."""
    conn, m = ctx.conn, ctx.model
    source = f"{m.source_layer}.{m.sources[0]}"
    mine = ", ".join([f"{m.counted_sql} AS n", *(f"coalesce(sum({col}), 0) AS {col}" for col, _ in m.source_sums)])
    theirs = ", ".join(["count(*) AS n", *(f"coalesce(sum({expr}), 0) AS {col}" for col, expr in m.source_sums)])
    where = ctx.where
    rows = conn.execute(
        f"""
        WITH g AS (SELECT dt, {mine} FROM {m.table} WHERE {where} GROUP BY dt),
             s AS (SELECT dt, {theirs} FROM {source} WHERE {where} GROUP BY dt)
        SELECT coalesce(g.dt, s.dt) AS dt, {', '.join(f'g.{c}, s.{c}' for c in ['n', *(col for col, _ in m.source_sums)])}
        FROM g FULL OUTER JOIN s USING (dt) ORDER BY 1
        """,
        ctx.params + ctx.params,
    ).fetchall()
    names = ["n", *(col for col, _ in m.source_sums)]
    bad = []
    for row in rows:
        pairs = {names[i]: (row[1 + 2 * i], row[2 + 2 * i]) for i in range(len(names))}
        diff = {k: (str(a), str(b)) for k, (a, b) in pairs.items() if (a or 0) != (b or 0)}
        if diff:
            bad.append({"dt": row[0].isoformat(), **diff})
    md: dict[str, Any] = {**scope_md(ctx), "days_compared": len(rows), "days_mismatched": len(bad), "source_table": source}
    if bad:
        md["sample"] = repr(bad[:SAMPLE])[:2000]
        return Outcome(False, "ERROR", f"{len(bad)} day(s) whose totals differ from {source} (e.g. {bad[0]})", md)
    return Outcome(True, "ERROR", f"every day's totals equal {source}'s", md)

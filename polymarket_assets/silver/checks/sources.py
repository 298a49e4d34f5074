"""Checks of a table against its sources, after the load commits (post phase): every loaded day reconciles
with its source partition, and the newest source day is loaded."""

from __future__ import annotations

from typing import Any

from polymarket_assets.silver.checks.base import CheckContext, Outcome


def reconciles_with_bronze(ctx: CheckContext) -> Outcome:
    """Each loaded day holds exactly the bronze partition's rows minus the rows the load documented as
    dropped (repeated keys; older leaderboard snapshots of the same day), and the table holds no day the
    ledger does not know. Bronze rows come from the Parquet footers read at load time; a day whose bronze
    files changed since is *pending* (reported, and the ``fresh`` check's business), not compared."""
    conn, m = ctx.conn, ctx.model
    assert ctx.ledger is not None and ctx.partitions is not None
    counts = dict(conn.execute(f"SELECT dt, count(*) FROM {m.table} GROUP BY dt").fetchall())
    source = m.sources[0]
    parts = ctx.partitions.get(source, {})
    entries = {day: row for (_, day), row in ctx.ledger.entries(m.name, source).items()}
    mismatched, pending = [], []
    for day, row in entries.items():
        part = parts.get(day)
        if part is None or part.fingerprint != row["fingerprint"]:
            pending.append(day.isoformat())
            continue
        expected = int(row["source_rows"] or 0) - int(row["dropped_rows"] or 0)
        actual = int(counts.get(day, 0))
        if actual != expected or (row["loaded_rows"] is not None and int(row["loaded_rows"]) != actual):
            mismatched.append({"dt": day.isoformat(), "silver_rows": actual, "bronze_rows": int(row["source_rows"] or 0),
                               "documented_drops": int(row["dropped_rows"] or 0)})
    unknown_days = sorted(d.isoformat() for d in counts if d not in entries)
    md = {"scope": "whole table", "days_compared": len(entries) - len(pending), "days_mismatched": len(mismatched),
          "days_pending_reload": len(pending), "days_without_ledger": len(unknown_days),
          "silver_rows": int(sum(counts.values())),
          "documented_drops": int(sum(int(r["dropped_rows"] or 0) for r in entries.values()))}
    if mismatched:
        md["mismatches"] = repr(mismatched[:10])
    if unknown_days:
        md["days_without_ledger_sample"] = repr(unknown_days[:10])
    if pending:
        md["pending_sample"] = repr(pending[:10])
    passed = not mismatched and not unknown_days
    desc = "every loaded day reconciles with its bronze partition" if passed else (
        f"{len(mismatched)} day(s) differ from bronze, {len(unknown_days)} day(s) in silver unknown to the ledger")
    return Outcome(passed, "ERROR", desc, md)


def fresh(ctx: CheckContext) -> Outcome:
    """The newest bronze day of every source is loaded, with the files as they are on disk now."""
    m = ctx.model
    assert ctx.ledger is not None and ctx.partitions is not None
    md: dict[str, Any] = {"scope": "bronze on disk vs load ledger"}
    stale = []
    pending_total = 0
    for source in m.sources:
        parts = ctx.partitions.get(source, {})
        entries = {day: row for (_, day), row in ctx.ledger.entries(m.name, source).items()}
        pending = [d for d, p in parts.items() if d not in entries or entries[d]["fingerprint"] != p.fingerprint]
        pending_total += len(pending)
        newest = max(parts) if parts else None
        md[f"{source}_newest_bronze_day"] = newest.isoformat() if newest else "none"
        md[f"{source}_newest_loaded_day"] = max(entries).isoformat() if entries else "none"
        md[f"{source}_days_pending"] = len(pending)
        if pending:
            md[f"{source}_pending_sample"] = repr([d.isoformat() for d in pending[-10:]])
        if newest is not None and newest in pending:
            stale.append(f"{source} {newest.isoformat()}")
    passed = not stale
    desc = "the newest bronze day is loaded" if passed else "not loaded yet: " + ", ".join(stale)
    return Outcome(passed, "WARN", desc, md)

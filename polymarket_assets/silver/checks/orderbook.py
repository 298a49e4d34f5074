"""Checks of the WebSocket order-book tables (write phase, on the day being replaced): a published top is
crossed only where the venue sent it so, every gap is well formed, and the bronze day they were replayed from
reconciles with the raw log it was compacted from."""

from __future__ import annotations

import json
from typing import Any

from polymarket_assets.bronze.datasets.orderbook_ws_events import reconciliation
from polymarket_assets.silver.checks.base import SAMPLE, CheckContext, Outcome, scope_md
from polymarket_assets.streaming.ws.gaps import REASONS


def crossed_only_as_sent(ctx: CheckContext) -> Outcome:
    """A crossed top (best bid >= best ask) is allowed only when the venue confirmed it (a full book it sent
    crossed, or a change whose own best_bid/best_ask were crossed): those are counted. A crossed top we derived
    without the venue's confirmation (a legacy change with no best_bid/best_ask) means the book is wrong."""
    m, conn = ctx.model, ctx.conn
    rows, crossed, unconfirmed = conn.execute(
        f"SELECT count(*), count(*) FILTER (WHERE crossed), count(*) FILTER (WHERE crossed AND NOT verified) FROM {m.table} WHERE {ctx.where}",
        ctx.params).fetchone()
    md: dict[str, Any] = {**scope_md(ctx), "rows_checked": int(rows), "crossed_as_sent_by_venue": int(crossed) - int(unconfirmed),
                          "crossed_unconfirmed": int(unconfirmed)}
    if unconfirmed:
        sample = conn.execute(f"SELECT venue, asset_id, ts_received, best_bid, best_ask, source FROM {m.table} WHERE {ctx.where} "
                              f"AND crossed AND NOT verified LIMIT {SAMPLE}", ctx.params).fetchall()
        md["sample"] = repr([list(map(str, r)) for r in sample])[:2000]
    passed = unconfirmed == 0
    desc = (f"no crossed top except {md['crossed_as_sent_by_venue']} the venue sent so" if passed
            else f"{unconfirmed} crossed top(s) the venue did not confirm")
    return Outcome(passed, "ERROR", desc, md)


def gaps_well_formed(ctx: CheckContext) -> Outcome:
    """Every gap has a known reason, start <= detected (<= end when closed), and an end exactly when it is not
    open at the end of the day."""
    m, conn = ctx.model, ctx.conn
    reasons = ", ".join(f"'{r}'" for r in REASONS)
    bad_pred = (f"reason NOT IN ({reasons}) OR start_ts > detected_ts OR (end_ts IS NOT NULL AND end_ts < detected_ts) "
                "OR (end_ts IS NULL) <> open_at_day_end")
    rows, bad = conn.execute(f"SELECT count(*), count(*) FILTER (WHERE {bad_pred}) FROM {m.table} WHERE {ctx.where}", ctx.params).fetchone()
    md: dict[str, Any] = {**scope_md(ctx), "rows_checked": int(rows), "malformed_gaps": int(bad)}
    if bad:
        sample = conn.execute(f"SELECT asset_id, reason, start_ts, detected_ts, end_ts, open_at_day_end FROM {m.table} WHERE {ctx.where} "
                              f"AND ({bad_pred}) LIMIT {SAMPLE}", ctx.params).fetchall()
        md["sample"] = repr([list(map(str, r)) for r in sample])[:2000]
    return Outcome(bad == 0, "ERROR", "every gap well formed" if not bad else f"{bad} gap(s) malformed", md)


def bronze_day_reconciles(ctx: CheckContext) -> Outcome:
    """The bronze day being replayed reconciles with its raw log: per venue, lines read = records + lines that
    were not records (a torn last line is counted apart), records = those that made rows + those that make
    none (PONG, open, …), and the rows the file holds per event type are exactly the rows the compaction
    counted. The counts travel in the file's Parquet metadata; the rows are counted here from the file."""
    conn = ctx.conn
    files = day_files(ctx)
    actual: dict[tuple[str, str], int] = {}
    if files:
        listing = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
        actual = {(v, t): int(n) for v, t, n in conn.execute(
            f"SELECT venue, event_type, count(*) FROM read_parquet([{listing}]) GROUP BY ALL").fetchall()}
    problems: list[str] = []
    expected: dict[tuple[str, str], int] = {}
    accounts = ctx_accounts(ctx)
    if not accounts:
        problems.append("the bronze file carries no reconciliation metadata (compacted by an older version: re-run bronze)")
    for venue, acct in accounts.items():
        if not acct.get("reconciles"):
            problems.append(f"{venue}: lines/records/rows do not add up ({json.dumps(acct)[:300]})")
        if acct.get("lines") != acct.get("records", 0) + acct.get("bad_lines", 0):
            problems.append(f"{venue}: {acct.get('lines')} lines read but {acct.get('records')} records + {acct.get('bad_lines')} bad lines")
        for event_type, n in (acct.get("rows_by_type") or {}).items():
            expected[(venue, event_type)] = expected.get((venue, event_type), 0) + int(n)
    mismatched = {f"{v}/{t}": (expected.get((v, t), 0), actual.get((v, t), 0))
                  for v, t in sorted(set(expected) | set(actual)) if expected.get((v, t), 0) != actual.get((v, t), 0)}
    if mismatched:
        problems.append(f"rows per event type differ from the compaction's counts (expected, found): {mismatched}")
    md: dict[str, Any] = {**scope_md(ctx), "bronze_rows": sum(actual.values()), "venues": len(accounts)}
    for venue, acct in accounts.items():
        for k in ("lines", "records", "bad_lines", "torn_tails", "malformed", "records_with_rows"):
            md[f"{venue}_{k}"] = int(acct.get(k, 0))
        md[f"{venue}_records_without_rows"] = json.dumps(acct.get("records_without_rows") or {})
    if problems:
        md["problems"] = "; ".join(problems)[:2000]
    return Outcome(not problems, "ERROR", "the bronze day reconciles with its raw log" if not problems else problems[0][:300], md)


def day_files(ctx: CheckContext) -> list[str]:
    """The bronze files of the day being checked: those being loaded (write phase), or the day's partition as
    it is on disk now."""
    if ctx.files is not None:
        return list(ctx.files)
    parts = (ctx.partitions or {}).get(ctx.model.sources[0], {})
    return [p for day in ctx.days or [] if day in parts for p in parts[day].paths]


def ctx_accounts(ctx: CheckContext) -> dict[str, dict[str, Any]]:
    """The reconciliation metadata of the day's bronze files, per venue (a partition is one file)."""
    out: dict[str, dict[str, Any]] = {}
    for path in day_files(ctx):
        for venue, acct in reconciliation(path).items():
            out[venue] = acct
    return out

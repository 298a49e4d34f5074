"""Silver asset checks: plain functions over a DuckDB connection, registered per model.

Two phases:

* ``write`` checks run *inside* the load transaction, on what the load just wrote (a fact: the day being
  replaced; a dimension: the whole merged table). A blocking check that fails with ERROR rolls that
  transaction back (write-audit-publish): silver keeps its last good state for that day/table, the ledger
  is not advanced (the next run retries), the check is reported failed and the step fails, so nothing
  downstream runs on bad data.
* ``post`` checks run after the commits, on the whole table: ``reconciles_with_bronze`` (facts) and
  ``fresh`` (all).
* ``after`` checks compare a table with *other* silver tables (trades → markets/tokens, tokens → markets). They
  are separate check steps with ``additional_deps`` on those tables, so in a run that loads both they run
  after both, and they re-run when a table they read updates. They cover the fact days of the latest load
  (the ledger's ``run_id``: this run's days, else the previous load's days re-checked against the current
  dimensions), or the whole table for a dimension. Being after the commit, a blocking failure cannot roll
  back: it fails the run and blocks downstream assets.

Blocking (``blocking=True``, failure severity ERROR) where downstream data would be wrong: null or duplicate
keys (joins fan out or drop rows), prices outside [0, 1], outcome/token counts that disagree (outcome
labels attach to the wrong token), a trade whose token belongs to another market, a day whose row count
does not reconcile with bronze. Not blocking (WARN): orphans (a trade whose market/token is not loaded
*yet*: the row is kept and counted, it becomes joinable when the market lands) and freshness (stale is
not wrong).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from polymarket_assets.silver.ledger import LoadLedger, Partition
from polymarket_assets.silver.models import MODELS, SCHEMA, Model

Severity = Literal["ERROR", "WARN"]
Phase = Literal["write", "post", "after"]
SAMPLE = 5


@dataclass
class Outcome:
    passed: bool
    severity: Severity = "ERROR"
    description: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class CheckContext:
    conn: Any
    model: Model
    days: list[dt.date] | None = None  # fact days in scope (write phase: the day being replaced); None = whole table
    ledger: LoadLedger | None = None
    partitions: Mapping[str, Mapping[dt.date, Partition]] | None = None  # post phase: bronze as on disk now

    @property
    def day(self) -> dt.date | None:
        return self.days[0] if self.days is not None and len(self.days) == 1 else None

    @property
    def where(self) -> str:
        return "dt IN (SELECT UNNEST(?::DATE[]))" if self.days is not None else "true"

    def where_for(self, alias: str) -> str:
        return f"{alias}.{self.where}" if self.days is not None else "true"

    @property
    def params(self) -> list[Any]:
        return [self.days] if self.days is not None else []


@dataclass(frozen=True)
class CheckDef:
    name: str
    description: str
    blocking: bool
    phase: Phase
    fn: Callable[[CheckContext], Outcome]
    additional_deps: tuple[str, ...] = ()  # silver models the check reads


def _table_exists(conn: Any, model_name: str) -> bool:
    row = conn.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?", [SCHEMA, model_name]
    ).fetchone()
    return bool(row and row[0])


def _scope_md(ctx: CheckContext) -> dict[str, Any]:
    if ctx.days is None:
        return {"scope": "whole table"}
    if not ctx.days:
        return {"scope": "no day loaded by this run"}
    days = sorted(ctx.days)
    return {"scope": f"day {days[0].isoformat()}" if len(days) == 1 else f"{len(days)} days {days[0].isoformat()} .. {days[-1].isoformat()}"}


# -- keys ------------------------------------------------------------------------------------------

def key_unique_not_null(ctx: CheckContext) -> Outcome:
    """No NULL in the natural key and no key twice. For a fact day, the probe for the same key on another
    day is limited to rows whose key instant (``ts``) lies in the day's range: the key determines ``ts``
    (trade_key hashes the timestamp; price points are keyed by it), so this is exact and costs the day."""
    m, conn = ctx.model, ctx.conn
    key = ", ".join(m.key)
    any_null = " OR ".join(f"{k} IS NULL" for k in m.key)
    rows, nulls = conn.execute(f"SELECT count(*), count(*) FILTER (WHERE {any_null}) FROM {m.table} WHERE {ctx.where}", ctx.params).fetchone()
    dups = conn.execute(
        f"SELECT count(*), coalesce(sum(n), 0) FROM (SELECT {key}, count(*) AS n FROM {m.table} WHERE {ctx.where} AND NOT ({any_null}) GROUP BY ALL HAVING count(*) > 1)",
        ctx.params,
    ).fetchone()
    dup_keys = int(dups[0])
    sample = []
    if dup_keys:
        sample = [list(r) for r in conn.execute(
            f"SELECT {key}, count(*) FROM {m.table} WHERE {ctx.where} AND NOT ({any_null}) GROUP BY ALL HAVING count(*) > 1 LIMIT {SAMPLE}", ctx.params
        ).fetchall()]
    cross = 0
    if ctx.day is not None and "dt" not in m.key:  # write phase of one fact day
        cross, cross_sample = _cross_day_duplicates(ctx)
        sample += cross_sample
    passed = nulls == 0 and dup_keys == 0 and cross == 0
    md = {**_scope_md(ctx), "natural_key": key, "rows_checked": int(rows), "null_key_rows": int(nulls),
          "duplicate_keys": dup_keys, "duplicate_keys_on_other_days": int(cross)}
    if sample:
        md["sample"] = repr(sample)[:2000]
    desc = "keys unique and not null" if passed else (
        f"{nulls} row(s) with a NULL key, {dup_keys} key(s) repeated, {cross} key(s) also on another day")
    return Outcome(passed, "ERROR", desc, md)


def _cross_day_duplicates(ctx: CheckContext) -> tuple[int, list[Any]]:
    m, conn = ctx.model, ctx.conn
    key = ", ".join(m.key)
    on = " AND ".join(f"o.{k} = n.{k}" for k in m.key)
    if m.key_time_column:
        lo, hi = conn.execute(f"SELECT min({m.key_time_column}), max({m.key_time_column}) FROM {m.table} WHERE dt = ?", [ctx.day]).fetchone()
        if lo is None:
            return 0, []
        other = f"(SELECT {key} FROM {m.table} WHERE dt <> ? AND {m.key_time_column} BETWEEN ? AND ?)"
        params = [ctx.day, lo, hi, ctx.day]
    else:
        other = f"(SELECT {key} FROM {m.table} WHERE dt <> ?)"
        params = [ctx.day, ctx.day]
    sql = f"SELECT DISTINCT {', '.join('n.' + k for k in m.key)} FROM {other} o JOIN (SELECT {key} FROM {m.table} WHERE dt = ?) n ON {on}"
    found = conn.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0]
    sample = [list(r) for r in conn.execute(f"{sql} LIMIT {SAMPLE}", params).fetchall()] if found else []
    return int(found), sample


# -- prices ----------------------------------------------------------------------------------------

def prices_in_unit_interval(ctx: CheckContext) -> Outcome:
    """Every price (and every element of a price list) lies in [0, 1]. In facts a NULL price also fails
    (bronze declares it NOT NULL); in dimensions a NULL is an unknown snapshot value and passes."""
    m, conn = ctx.model, ctx.conn
    is_fact = m.kind == "fact"
    parts, names = [], []
    for c in m.price_columns:
        cond = f"({c} < 0 OR {c} > 1" + (f" OR {c} IS NULL)" if is_fact else ")")
        parts.append(f"count(*) FILTER (WHERE {cond})")
        names.append(c)
    for c in m.price_list_columns:
        parts.append(f"count(*) FILTER (WHERE list_min({c}) < 0 OR list_max({c}) > 1)")
        names.append(c)
    row = conn.execute(f"SELECT count(*), {', '.join(parts)} FROM {m.table} WHERE {ctx.where}", ctx.params).fetchone()
    bad = dict(zip(names, (int(x) for x in row[1:])))
    total_bad = sum(bad.values())
    md: dict[str, Any] = {**_scope_md(ctx), "rows_checked": int(row[0]), **{f"out_of_range_{k}": v for k, v in bad.items()}}
    if total_bad:
        preds = [f"({c} < 0 OR {c} > 1" + (f" OR {c} IS NULL)" if is_fact else ")") for c in m.price_columns]
        preds += [f"(list_min({c}) < 0 OR list_max({c}) > 1)" for c in m.price_list_columns]
        cols = ", ".join([*m.key, *m.price_columns, *m.price_list_columns])
        sample = conn.execute(f"SELECT {cols} FROM {m.table} WHERE {ctx.where} AND ({' OR '.join(preds)}) LIMIT {SAMPLE}", ctx.params).fetchall()
        md["sample"] = repr([list(map(str, r)) for r in sample])[:2000]
    desc = "prices within [0, 1]" if not total_bad else f"{total_bad} price value(s) outside [0, 1]: {bad}"
    return Outcome(total_bad == 0, "ERROR", desc, md)


# -- references ------------------------------------------------------------------------------------

def _dim_relation(conn: Any, name: str, cols: str) -> str:
    return f"{SCHEMA}.{name}" if _table_exists(conn, name) else f"(SELECT {cols} WHERE false)"


def references_known_token_and_market(ctx: CheckContext) -> Outcome:
    """Trades reference a known market (market_dim.condition_id) and token (market_token_dim.token_id).

    A trade whose market or token is not loaded yet is an *orphan*: kept, counted, WARN (never blocks):
    trades and markets land independently, and the row becomes joinable when its market does. A trade
    whose token is known but belongs to *another* market is wrong data: ERROR, blocking.
    """
    conn, m = ctx.conn, ctx.model
    markets = _dim_relation(conn, "market_dim", "NULL::VARCHAR AS condition_id")
    tokens = _dim_relation(conn, "market_token_dim", "NULL::VARCHAR AS token_id, NULL::VARCHAR AS condition_id")
    where = ctx.where_for("f")
    row = conn.execute(
        f"""
        SELECT count(*),
               count(*) FILTER (WHERE mk.condition_id IS NULL),
               count(*) FILTER (WHERE tk.token_id IS NULL),
               count(*) FILTER (WHERE tk.condition_id IS NOT NULL AND tk.condition_id <> f.condition_id),
               count(DISTINCT f.condition_id) FILTER (WHERE mk.condition_id IS NULL)
        FROM {m.table} f
        LEFT JOIN {markets} mk ON mk.condition_id = f.condition_id
        LEFT JOIN {tokens} tk ON tk.token_id = f.token_id
        WHERE {where}
        """,
        ctx.params,
    ).fetchone()
    rows, no_market, no_token, mismatched, missing_markets = (int(x) for x in row)
    md = {**_scope_md(ctx), "rows_checked": rows, "orphan_rows_unknown_market": no_market,
          "orphan_rows_unknown_token": no_token, "unknown_markets": missing_markets,
          "rows_token_of_other_market": mismatched,
          "orphan_share": round((max(no_market, no_token) / rows) if rows else 0.0, 6)}
    if mismatched:
        sample = conn.execute(
            f"SELECT f.{m.key[0]}, f.token_id, f.condition_id, tk.condition_id FROM {m.table} f JOIN {tokens} tk ON tk.token_id = f.token_id "
            f"WHERE {where} AND tk.condition_id <> f.condition_id LIMIT {SAMPLE}", ctx.params).fetchall()
        md["sample_mismatched"] = repr([list(r) for r in sample])[:2000]
        return Outcome(False, "ERROR", f"{mismatched} trade(s) name a token of another market", md)
    if no_market or no_token:
        return Outcome(False, "WARN", f"{max(no_market, no_token)} orphan trade(s): market or token not loaded (kept, counted)", md)
    return Outcome(True, "ERROR", "every trade references a known market and token", md)


def references_known_token(ctx: CheckContext) -> Outcome:
    """Price points reference a known token; orphans WARN, a point whose condition_id contradicts the
    token's market is ERROR (blocking). Same policy as trades."""
    conn, m = ctx.conn, ctx.model
    tokens = _dim_relation(conn, "market_token_dim", "NULL::VARCHAR AS token_id, NULL::VARCHAR AS condition_id")
    where = ctx.where_for("f")
    row = conn.execute(
        f"""
        SELECT count(*),
               count(*) FILTER (WHERE tk.token_id IS NULL),
               count(*) FILTER (WHERE f.condition_id IS NOT NULL AND tk.condition_id IS NOT NULL AND tk.condition_id <> f.condition_id),
               count(DISTINCT f.token_id) FILTER (WHERE tk.token_id IS NULL)
        FROM {m.table} f LEFT JOIN {tokens} tk ON tk.token_id = f.token_id
        WHERE {where}
        """,
        ctx.params,
    ).fetchone()
    rows, orphans, mismatched, unknown_tokens = (int(x) for x in row)
    md = {**_scope_md(ctx), "rows_checked": rows, "orphan_rows_unknown_token": orphans, "unknown_tokens": unknown_tokens,
          "rows_token_of_other_market": mismatched, "orphan_share": round(orphans / rows if rows else 0.0, 6)}
    if mismatched:
        return Outcome(False, "ERROR", f"{mismatched} point(s) name a condition_id other than their token's market", md)
    if orphans:
        return Outcome(False, "WARN", f"{orphans} orphan point(s): token not loaded (kept, counted)", md)
    return Outcome(True, "ERROR", "every point references a known token", md)


# -- outcomes vs tokens ----------------------------------------------------------------------------

def outcomes_match_clob_token_ids(ctx: CheckContext) -> Outcome:
    """market_dim: a market that lists CLOB token ids lists exactly one per outcome."""
    conn = ctx.conn
    row = conn.execute(
        f"""SELECT count(*) FILTER (WHERE len(clob_token_ids) > 0),
                   count(*) FILTER (WHERE len(clob_token_ids) > 0 AND len(clob_token_ids) <> coalesce(len(outcomes), 0)),
                   count(*) FILTER (WHERE coalesce(len(clob_token_ids), 0) = 0)
            FROM {SCHEMA}.market_dim"""
    ).fetchone()
    checked, bad, without = (int(x) for x in row)
    md = {"scope": "whole table", "markets_checked": checked, "markets_mismatched": bad, "markets_without_token_ids": without}
    if bad:
        md["sample"] = repr([list(map(str, r)) for r in conn.execute(
            f"SELECT condition_id, outcomes, clob_token_ids FROM {SCHEMA}.market_dim "
            f"WHERE len(clob_token_ids) > 0 AND len(clob_token_ids) <> coalesce(len(outcomes), 0) LIMIT {SAMPLE}").fetchall()])[:2000]
    return Outcome(bad == 0, "ERROR", "outcomes match clob_token_ids" if not bad else f"{bad} market(s) list a different number of outcomes and tokens", md)


def outcomes_match_tokens(ctx: CheckContext) -> Outcome:
    """For every market present in both market_dim and market_token_dim: the number of tokens equals the
    number of outcomes, and the tokens' outcome_index values are exactly 0..n-1. Markets whose tokens are
    not loaded yet, and tokens of markets not loaded yet, are counted, not failed."""
    conn = ctx.conn
    markets = _dim_relation(conn, "market_dim", "NULL::VARCHAR AS condition_id, NULL::INTEGER AS outcome_count, NULL::VARCHAR[] AS clob_token_ids")
    row = conn.execute(
        f"""
        WITH tok AS (
            SELECT condition_id, count(*) AS n, count(DISTINCT outcome_index) AS distinct_idx,
                   min(outcome_index) AS lo, max(outcome_index) AS hi
            FROM {SCHEMA}.market_token_dim WHERE condition_id IS NOT NULL GROUP BY condition_id
        )
        SELECT
            (SELECT count(*) FROM tok JOIN {markets} mk USING (condition_id)),
            (SELECT count(*) FROM tok JOIN {markets} mk USING (condition_id)
              WHERE tok.n <> coalesce(mk.outcome_count, 0) OR tok.distinct_idx <> tok.n OR tok.lo <> 0 OR tok.hi <> tok.n - 1),
            (SELECT count(*) FROM {markets} mk WHERE len(mk.clob_token_ids) > 0 AND mk.condition_id NOT IN (SELECT condition_id FROM tok)),
            (SELECT count(*) FROM tok WHERE condition_id NOT IN (SELECT condition_id FROM {markets}))
        """
    ).fetchone()
    checked, bad, markets_without_tokens, tokens_without_market = (int(x) for x in row)
    md = {"scope": "whole table", "markets_checked": checked, "markets_mismatched": bad,
          "markets_without_tokens_yet": markets_without_tokens, "token_markets_not_in_market_dim": tokens_without_market}
    if bad:
        md["sample"] = repr([list(map(str, r)) for r in conn.execute(
            f"""WITH tok AS (SELECT condition_id, count(*) AS n, list(outcome_index ORDER BY outcome_index) AS idx
                              FROM {SCHEMA}.market_token_dim GROUP BY condition_id)
                SELECT condition_id, mk.outcome_count, tok.n, tok.idx FROM tok JOIN {markets} mk USING (condition_id)
                WHERE tok.n <> coalesce(mk.outcome_count, 0) OR list_distinct(tok.idx) <> tok.idx OR tok.idx[1] <> 0
                   OR tok.idx[-1] <> tok.n - 1 LIMIT {SAMPLE}""").fetchall()])[:2000]
    return Outcome(bad == 0, "ERROR", "outcomes match tokens" if not bad else f"{bad} market(s) whose token count/indexes disagree with their outcomes", md)


# -- post phase ------------------------------------------------------------------------------------

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


# -- registry --------------------------------------------------------------------------------------

def _key_check(model: Model) -> CheckDef:
    name = f"{model.key[0]}_unique_not_null" if len(model.key) == 1 else "key_unique_not_null"
    return CheckDef(name, f"Natural key ({', '.join(model.key)}) is unique and never NULL.", True, "write", key_unique_not_null)


def _price_check(model: Model) -> CheckDef:
    cols = [*model.price_columns, *model.price_list_columns]
    name = "price_in_unit_interval" if cols == ["price"] else "prices_in_unit_interval"
    return CheckDef(name, f"{', '.join(cols)} within [0, 1].", True, "write", prices_in_unit_interval)


_FRESH = CheckDef("fresh", "The newest bronze day is loaded (with its current files). WARN only.", False, "post", fresh)
_RECONCILE = CheckDef(
    "reconciles_with_bronze",
    "Each day's row count equals its bronze partition's rows minus the documented drops.",
    True, "post", reconciles_with_bronze,
)


def checks_for(model: Model) -> list[CheckDef]:
    defs: list[CheckDef] = [_key_check(model)]
    if model.price_columns or model.price_list_columns:
        defs.append(_price_check(model))
    if model.name == "market_dim":
        defs.append(CheckDef("outcomes_match_clob_token_ids", "Each market lists one CLOB token id per outcome.", True, "write", outcomes_match_clob_token_ids))
    if model.name == "market_token_dim":
        defs.append(CheckDef("outcomes_match_tokens", "Each market's token count equals its number of outcomes; indexes are 0..n-1.",
                             True, "after", outcomes_match_tokens, ("market_dim",)))
    if model.name == "trade_fact":
        defs.append(CheckDef("references_known_token_and_market",
                             "Trades reference a loaded market and token (orphans WARN; a token of another market ERROR).",
                             True, "after", references_known_token_and_market, ("market_dim", "market_token_dim")))
    if model.name == "price_history_fact":
        defs.append(CheckDef("references_known_token", "Points reference a loaded token (orphans WARN; contradicting market ERROR).",
                             True, "after", references_known_token, ("market_token_dim",)))
    if model.kind == "fact":
        defs.append(_RECONCILE)
    defs.append(_FRESH)
    return defs


CHECKS: dict[str, list[CheckDef]] = {name: checks_for(model) for name, model in MODELS.items()}

"""Checks of a table against the dimensions it refers to: trades and price points reference known markets
and tokens; markets list one token per outcome."""

from __future__ import annotations

from typing import Any

from polymarket_assets.silver.checks.base import SAMPLE, CheckContext, Outcome, scope_md, table_exists
from polymarket_assets.silver.model import SCHEMA

# -- references ------------------------------------------------------------------------------------

def _dim_relation(conn: Any, name: str, cols: str) -> str:
    return f"{SCHEMA}.{name}" if table_exists(conn, name) else f"(SELECT {cols} WHERE false)"


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
    md = {**scope_md(ctx), "rows_checked": rows, "orphan_rows_unknown_market": no_market,
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
    md = {**scope_md(ctx), "rows_checked": rows, "orphan_rows_unknown_token": orphans, "unknown_tokens": unknown_tokens,
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

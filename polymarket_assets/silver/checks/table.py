"""Checks of one table on its own: the natural key and the price ranges (write phase)."""

from __future__ import annotations

from typing import Any

from polymarket_assets.silver.checks.base import SAMPLE, CheckContext, Outcome, scope_md

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
    md = {**scope_md(ctx), "natural_key": key, "rows_checked": int(rows), "null_key_rows": int(nulls),
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
    (bronze declares it NOT NULL), unless the model allows it (``nullable_prices``: an order book's empty
    side has no best price); in dimensions a NULL is an unknown snapshot value and passes."""
    m, conn = ctx.model, ctx.conn
    null_fails = m.kind == "fact" and not m.nullable_prices
    parts, names = [], []
    for c in m.price_columns:
        cond = f"({c} < 0 OR {c} > 1" + (f" OR {c} IS NULL)" if null_fails else ")")
        parts.append(f"count(*) FILTER (WHERE {cond})")
        names.append(c)
    for c in m.price_list_columns:
        parts.append(f"count(*) FILTER (WHERE list_min({c}) < 0 OR list_max({c}) > 1)")
        names.append(c)
    row = conn.execute(f"SELECT count(*), {', '.join(parts)} FROM {m.table} WHERE {ctx.where}", ctx.params).fetchone()
    bad = dict(zip(names, (int(x) for x in row[1:]), strict=True))
    total_bad = sum(bad.values())
    md: dict[str, Any] = {**scope_md(ctx), "rows_checked": int(row[0]), **{f"out_of_range_{k}": v for k, v in bad.items()}}
    if total_bad:
        preds = [f"({c} < 0 OR {c} > 1" + (f" OR {c} IS NULL)" if null_fails else ")") for c in m.price_columns]
        preds += [f"(list_min({c}) < 0 OR list_max({c}) > 1)" for c in m.price_list_columns]
        cols = ", ".join([*m.key, *m.price_columns, *m.price_list_columns])
        sample = conn.execute(f"SELECT {cols} FROM {m.table} WHERE {ctx.where} AND ({' OR '.join(preds)}) LIMIT {SAMPLE}", ctx.params).fetchall()
        md["sample"] = repr([list(map(str, r)) for r in sample])[:2000]
    desc = "prices within [0, 1]" if not total_bad else f"{total_bad} price value(s) outside [0, 1]: {bad}"
    return Outcome(total_bad == 0, "ERROR", desc, md)

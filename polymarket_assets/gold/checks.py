"""Checks only gold tables have (the generic ones — keys, prices, sums against the source, freshness — are the
silver framework's, ``polymarket_assets/silver/checks/``)."""

from __future__ import annotations

from polymarket_assets.silver.checks import CheckContext, CheckDef, Outcome

#: |brier − (reliability − resolution + uncertainty + within-bin variance − 2 · within-bin covariance)| allowed
#: (DOUBLE rounding over at most millions of points stays far below it).
IDENTITY_TOLERANCE = 1e-9


def murphy_identity_holds(ctx: CheckContext) -> Outcome:
    """Every row's Brier score equals its decomposition, reliability − resolution + uncertainty + within-bin
    variance − 2 · within-bin covariance (exact for binned forecasts), within ``IDENTITY_TOLERANCE``; and every
    term is in range (brier, reliability, resolution, uncertainty in [0, 1]; uncertainty ≤ 0.25)."""
    conn, m = ctx.conn, ctx.model
    row = conn.execute(
        f"""SELECT count(*),
                   count(*) FILTER (WHERE abs(decomposition_residual) > {IDENTITY_TOLERANCE} OR decomposition_residual IS NULL),
                   count(*) FILTER (WHERE NOT (brier BETWEEN 0 AND 1 AND reliability BETWEEN 0 AND 1 AND resolution BETWEEN 0 AND 1
                                               AND uncertainty BETWEEN 0 AND 0.25 AND within_bin_variance >= 0)),
                   max(abs(decomposition_residual))
            FROM {m.table}"""
    ).fetchone()
    rows, off, out_of_range, worst = int(row[0]), int(row[1]), int(row[2]), row[3]
    md = {"scope": "whole table", "rows_checked": rows, "rows_identity_off": off, "rows_terms_out_of_range": out_of_range,
          "max_abs_residual": float(worst or 0.0), "tolerance": IDENTITY_TOLERANCE}
    if off or out_of_range:
        return Outcome(False, "ERROR", f"{off} row(s) where brier differs from its decomposition, {out_of_range} with a term out of range", md)
    return Outcome(True, "ERROR", "brier = reliability − resolution + uncertainty + within-bin variance − 2 · within-bin covariance on every row", md)


def window_rules_hold(ctx: CheckContext) -> Outcome:
    """A BTC window has an outcome only when its market resolved (Up/Down, never for a void one), and its mids
    were read at or before their instants (open: by start + 60 s; t−5, t−1: by end − 5 min, end − 1 min; a REST
    book never from before the window)."""
    conn, m = ctx.conn, ctx.model
    row = conn.execute(
        f"""SELECT count(*),
                   count(*) FILTER (WHERE (outcome IS NOT NULL) <> coalesce(status = 'resolved', false)
                                       OR (outcome IS NOT NULL AND outcome NOT IN ('Up', 'Down'))
                                       OR (outcome_up IS DISTINCT FROM CASE outcome WHEN 'Up' THEN 1 WHEN 'Down' THEN 0 END)),
                   count(*) FILTER (WHERE mid_t5_at > window_end - INTERVAL 5 MINUTE OR mid_t1_at > window_end - INTERVAL 1 MINUTE
                                       OR mid_open_at >= window_start + INTERVAL 60 SECOND
                                       OR (book_source = 'rest_snapshots' AND (mid_t5_at < window_start OR mid_t1_at < window_start)))
            FROM {m.table}"""
    ).fetchone()
    rows, bad_outcome, bad_time = (int(x) for x in row)
    md = {"scope": "whole table", "windows": rows, "windows_bad_outcome": bad_outcome, "windows_bad_instant": bad_time}
    bad = bad_outcome + bad_time
    if bad:
        return Outcome(False, "ERROR", f"{bad} window(s) break the window rules", md)
    return Outcome(True, "ERROR", "outcomes only for resolved windows; every instant inside its window", md)


MURPHY_IDENTITY = CheckDef("murphy_identity_holds", "brier = reliability − resolution + uncertainty + within-bin variance − "
                           "2 · within-bin covariance on every row (exact identity for binned forecasts), terms in range.",
                           True, "write", murphy_identity_holds)
WINDOW_RULES = CheckDef("window_rules_hold", "Outcome only for a resolved window (Up/Down; none when void or pending); the "
                        "mids' instants lie in their window.", True, "write", window_rules_hold)

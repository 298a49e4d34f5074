"""The check of ``market_resolution_dim``: winners agree with the status."""

from __future__ import annotations

from polymarket_assets.silver.checks.base import SAMPLE, CheckContext, Outcome

_BAD = """
    (status = 'resolved' AND (
        winning_outcome_index IS NULL
        OR len(list_filter(payouts, lambda p: p = 1)) <> 1
        OR len(list_filter(payouts, lambda p: p <> 0 AND p <> 1)) <> 0
        OR payouts[winning_outcome_index + 1] <> 1
        OR winning_token_id IS DISTINCT FROM clob_token_ids[winning_outcome_index + 1]
        OR winning_outcome IS DISTINCT FROM outcomes[winning_outcome_index + 1]))
    OR (status IN ('void', 'disputed', 'pending')
        AND (winning_outcome_index IS NOT NULL OR winning_token_id IS NOT NULL OR winning_outcome IS NOT NULL))
    OR status IS NULL OR status NOT IN ('resolved', 'void', 'disputed', 'pending')
"""


def winners_match_status(ctx: CheckContext) -> Outcome:
    """A resolved market has exactly one winner: payouts are all 0/1 with exactly one 1, the winning index points
    at it, and the winning token and label are the ones at that index; a void, disputed or pending market has no
    winner at all. (Binary markets are the common case; the rule is the same for more outcomes.)"""
    conn, m = ctx.conn, ctx.model
    row = conn.execute(
        f"""SELECT count(*), count(*) FILTER (WHERE status = 'resolved'), count(*) FILTER (WHERE status = 'void'),
                   count(*) FILTER (WHERE status = 'disputed'), count(*) FILTER (WHERE status = 'pending'),
                   count(*) FILTER (WHERE status = 'resolved' AND outcome_count = 2), count(*) FILTER (WHERE {_BAD})
            FROM {m.table}"""
    ).fetchone()
    total, resolved, void, disputed, pending, binary, bad = (int(x) for x in row)
    md = {"scope": "whole table", "markets": total, "resolved": resolved, "resolved_binary": binary, "void": void,
          "disputed": disputed, "pending": pending, "markets_mismatched": bad}
    if bad:
        sample = conn.execute(f"SELECT condition_id, status, payouts, winning_outcome_index, winning_token_id FROM {m.table} "
                              f"WHERE {_BAD} LIMIT {SAMPLE}").fetchall()
        md["sample"] = repr([list(map(str, r)) for r in sample])[:2000]
        return Outcome(False, "ERROR", f"{bad} market(s) whose winner disagrees with their status", md)
    return Outcome(True, "ERROR", "every resolved market has exactly one winner; void, disputed and pending ones none", md)

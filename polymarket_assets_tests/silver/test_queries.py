"""The queries the README shows users, run against the fixture silver build (so the README cannot rot)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from polymarket_assets_tests.silver.helpers import query

DAILY_VOLUME_PER_MARKET = """
SELECT f.dt, f.condition_id, m.question,
       count(*)         AS trades,
       sum(f.size)      AS shares,
       sum(f.usdc_size) AS volume_usdc
FROM silver.trade_fact f
LEFT JOIN silver.market_dim m USING (condition_id)   -- LEFT: orphan trades (market not loaded yet) still count
GROUP BY ALL
ORDER BY f.dt, volume_usdc DESC
"""

PRICE_PATH_OF_ONE_MARKET = """
SELECT p.ts, t.outcome, p.price
FROM silver.price_history_fact p
JOIN silver.market_token_dim t USING (token_id)
JOIN silver.market_dim m ON m.condition_id = t.condition_id
WHERE m.slug = 'will-gretchen-whitmer-win-the-2028-democratic-presidential-nomination-676'
  AND p.resolution_seconds = 60
ORDER BY p.ts, t.outcome_index
"""

TOP_TRADERS_BY_VOLUME = """
SELECT f.wallet,
       coalesce(d.trader_name, d.leaderboard_name, d.trader_pseudonym) AS name,
       count(*)         AS trades,
       sum(f.usdc_size) AS volume_usdc
FROM silver.trade_fact f
LEFT JOIN silver.trader_dim d USING (wallet)
GROUP BY ALL
ORDER BY volume_usdc DESC
LIMIT 20
"""

TOP_TRADERS_LATEST_LEADERBOARD = """
SELECT rank, wallet, user_name, pnl, volume AS volume_shares
FROM silver.leaderboard_fact
WHERE time_period = 'day' AND sort_by = 'PNL' AND category = 'overall'
  AND dt = (SELECT max(dt) FROM silver.leaderboard_fact)
ORDER BY rank
LIMIT 20
"""


def test_daily_volume_per_market(built):
    _, db = built
    rows = query(db, DAILY_VOLUME_PER_MARKET)
    assert len(rows) == 5  # day 1: 2 orphan markets + Smith + Whitmer; day 2: Whitmer
    smith = next(r for r in rows if r[2] and "Stephen A. Smith" in r[2])
    assert smith[0] == dt.date(2026, 9, 8) and smith[3] == 2
    assert smith[5] == Decimal("1.100000") + Decimal("49.944500")
    orphan = next(r for r in rows if r[2] is None and r[5] == Decimal("48.701000"))
    assert orphan[3] == 1


def test_price_path_of_one_market(built):
    _, db = built
    assert query(db, PRICE_PATH_OF_ONE_MARKET) == [
        (dt.datetime(2026, 9, 7, 17, 4, tzinfo=dt.timezone.utc), "Yes", Decimal("0.955000")),
        (dt.datetime(2026, 9, 7, 17, 5, tzinfo=dt.timezone.utc), "Yes", Decimal("0.955000")),
    ]


def test_top_traders(built):
    _, db = built
    top = query(db, TOP_TRADERS_BY_VOLUME)
    assert top[0][:3] == ("0xf0318c32136c2db7fec88b84869aee6a1106c80c", "BreakTheBank", 2)
    assert top[0][3] == Decimal("49.944500") + Decimal("0.140000")
    board = query(db, TOP_TRADERS_LATEST_LEADERBOARD)
    assert [(r[0], r[2]) for r in board] == [(1, "Noprajsk"), (2, "BreakTheBank")]

"""Hostile slugs, names and tags travel through every SQL statement as values, never as SQL.

The lake sits in a directory whose name holds a quote and SQL; the trades carry slugs, titles and trader
names built to break out of a string literal; the gold plot is asked for a hostile market. Everything lands
byte for byte, and every table is still there afterwards."""

from __future__ import annotations

from pathlib import Path

import duckdb

from polymarket_assets.gold.plots import _pick_market
from polymarket_assets_tests.silver.bronze_fixtures import DAY2, DAY2_SYNTHETIC, trade_key, trade_row, write_lake, write_partition
from polymarket_assets_tests.silver.helpers import materialize, query

HOSTILE = [
    "x'); DROP TABLE silver.trade_fact; --",
    "it''s \"quoted\" $$dollar$$ \\ backslash",
    "'; ATTACH '/tmp/evil.duckdb' AS evil; --",
    "市場-ünïcødé-\u202e",
    "nul\x00inside",
    "s" * 10_000,
]


def test_hostile_values_and_a_hostile_lake_path_load_as_data(tmp_path: Path) -> None:
    lake = write_lake(tmp_path / "lake it's'; DROP TABLE x; --")
    rows = []
    for i, bad in enumerate(HOSTILE):
        trade = dict(DAY2_SYNTHETIC[i % len(DAY2_SYNTHETIC)], transaction_hash="0x" + f"{i:064x}", timestamp=1788940800 + 60 * i)
        rows.append(trade_row(trade, market_slug=bad, event_slug=bad, title=bad, trader_name=bad, trader_pseudonym=bad, trade_key=trade_key(trade)))
    write_partition(lake, "trades", DAY2, rows)
    db = tmp_path / "polymarket.duckdb"
    result = materialize(lake, db, select=["market_dim", "market_token_dim", "trade_fact", "trader_dim"])
    assert result.success
    got = query(db, "SELECT market_slug, event_slug FROM silver.trade_fact WHERE dt = ? ORDER BY ts", [DAY2])
    assert [r[0] for r in got] == HOSTILE and all(r[1] == r[0] for r in got)
    names = {r[0] for r in query(db, "SELECT trader_name FROM silver.trader_dim")}
    assert set(HOSTILE) & names
    tables = {r[0] for r in query(db, "SELECT table_schema || '.' || table_name FROM information_schema.tables")}
    assert {"silver.trade_fact", "silver.market_dim", "silver.trader_dim"} <= tables
    assert not Path("/tmp/evil.duckdb").exists()
    # the plot's market lookup (config plot_market) with the same values
    conn = duckdb.connect(str(db), read_only=True)
    try:
        for bad in HOSTILE:
            assert _pick_market(conn, bad) is None
        assert conn.execute("SELECT count(*) FROM silver.market_dim").fetchone()[0] > 0
    finally:
        conn.close()

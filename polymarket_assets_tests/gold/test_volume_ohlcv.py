"""gold/token_ohlcv and gold/market_daily_volume: against Python over silver.trade_fact, day-incremental, and the
blocking check that keeps double counting out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb

from polymarket_assets.gold.models import GOLD_MODELS
from polymarket_assets.silver import load as load_module
from polymarket_assets.silver.checks import CheckContext
from polymarket_assets.silver.checks.sources import matches_source_totals
from polymarket_assets.silver.ledger import LEDGER_TABLE
from polymarket_assets_tests.gold.helpers import build_gold, materialize_gold
from polymarket_assets_tests.silver.bronze_fixtures import DAY2, WHITMER, synthetic_trade, trade_row, trades_day2, write_partition
from polymarket_assets_tests.silver.helpers import build_direct, query, scalar

UTC = dt.timezone.utc
D2 = dt.date.fromisoformat(DAY2)
Q = Decimal("0.000001")


def _trunc(ts: dt.datetime, bucket: str) -> dt.datetime:
    if bucket == "1m":
        return ts.replace(second=0, microsecond=0)
    if bucket == "1h":
        return ts.replace(minute=0, second=0, microsecond=0)
    return ts.replace(hour=0, minute=0, second=0, microsecond=0)


def test_ohlcv_bars_equal_a_direct_computation(gold_built):
    _, db = gold_built
    trades = query(db, "SELECT token_id, ts, trade_key, price, size, usdc_size FROM silver.trade_fact")
    want: dict[tuple[str, str, dt.datetime], list[tuple]] = {}
    for t in trades:
        for bucket in ("1m", "1h", "1d"):
            want.setdefault((t[0], bucket, _trunc(t[1], bucket)), []).append(t)
    rows = query(db, "SELECT token_id, bucket, bucket_start, open, high, low, close, vwap, shares, notional_usdc, trades "
                     "FROM gold.token_ohlcv")
    assert len(rows) == len(want)
    for token, bucket, start, o, h, lo, c, vwap, shares, notional, n in rows:
        bar = sorted(want[(token, bucket, start)], key=lambda t: (t[1], t[2]))
        assert (o, c) == (bar[0][3], bar[-1][3])
        assert (h, lo) == (max(t[3] for t in bar), min(t[3] for t in bar))
        assert shares == sum(t[4] for t in bar) and notional == sum(t[5] for t in bar) and n == len(bar)
        assert vwap == (notional / shares).quantize(Q)
    # each trade counted once per bucket: the day's 1d bars hold exactly the day's trades
    assert scalar(db, "SELECT sum(trades) FROM gold.token_ohlcv WHERE bucket = '1d'") == len(trades)


def test_daily_volume_counts_each_taker_fill_once(gold_built):
    _, db = gold_built
    want = {}
    for day, condition, size, usdc, side in query(db, "SELECT dt, condition_id, size, usdc_size, side FROM silver.trade_fact"):
        w = want.setdefault((day, condition), [0, Decimal(0), Decimal(0), Decimal(0)])
        w[0] += 1
        w[1] += size
        w[2] += usdc
        w[3] += usdc if side == "BUY" else 0
    got = {(r[0], r[1]): list(r[2:]) for r in query(db, "SELECT dt, condition_id, trades, shares, notional_usdc, buy_notional_usdc "
                                                        "FROM gold.market_daily_volume")}
    assert got == want


def test_totals_check_fails_when_a_day_is_counted_twice(gold_built):
    _, db = gold_built
    model = GOLD_MODELS["market_daily_volume"]
    with duckdb.connect(str(db)) as conn:
        assert matches_source_totals(CheckContext(conn, model, [D2])).passed
        conn.execute("UPDATE gold.market_daily_volume SET notional_usdc = notional_usdc * 2, trades = trades * 2 WHERE dt = ?", [D2])
        outcome = matches_source_totals(CheckContext(conn, model, [D2]))
    assert not outcome.passed and outcome.severity == "ERROR" and outcome.metadata["days_mismatched"] == 1


def test_a_double_counting_sql_is_rolled_back_by_the_blocking_check(gold_lake, tmp_path, monkeypatch):
    """Both sides of every BUY fill counted (what peers publish): the day does not commit, the run fails."""
    db = tmp_path / "polymarket.duckdb"
    build_direct(gold_lake, db)
    build_gold(gold_lake, db, ["market_daily_volume"])
    before = query(db, "SELECT * FROM gold.market_daily_volume WHERE dt = ? ORDER BY ALL", [D2])
    extra = synthetic_trade(WHITMER, 0, "0x" + "ef" * 20, "BUY", "0.4", "5", 1788940800 + 9500, "0x" + "aa" * 32)
    write_partition(gold_lake, "trades", DAY2, [*trades_day2(), trade_row(extra)])
    build_direct(gold_lake, db, ["trade_fact"])
    real = load_module.read_sql

    def doubled(name, layer="silver"):
        text = real(name, layer)
        if name == "market_daily_volume":
            text = text.replace("FROM silver_trade_fact", "FROM (SELECT * FROM silver_trade_fact UNION ALL "
                                "SELECT * FROM silver_trade_fact WHERE side = 'BUY')")
        return text

    monkeypatch.setattr(load_module, "read_sql", doubled)
    result = materialize_gold(gold_lake, db, select=["market_daily_volume"], raise_on_error=False)
    assert not result.success
    evals = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert not evals["matches_source_totals"].passed
    # the day keeps its previous rows (write-audit-publish) and stays pending in the ledger
    assert query(db, "SELECT * FROM gold.market_daily_volume WHERE dt = ? ORDER BY ALL", [D2]) == before
    monkeypatch.setattr(load_module, "read_sql", real)
    assert build_gold(gold_lake, db, ["market_daily_volume"])["market_daily_volume"].days_loaded == [D2]


def test_one_changed_trade_day_recomputes_that_day_only(gold_lake, tmp_path):
    db = tmp_path / "polymarket.duckdb"
    build_direct(gold_lake, db)
    first = build_gold(gold_lake, db, ["token_ohlcv", "market_daily_volume"])
    days = len(first["token_ohlcv"].days_loaded)
    assert days >= 3 and first["market_daily_volume"].days_loaded == first["token_ohlcv"].days_loaded
    loaded_at = dict(query(db, f"SELECT dt, loaded_at FROM {LEDGER_TABLE} WHERE target = 'token_ohlcv'"))

    extra = synthetic_trade(WHITMER, 1, "0x" + "ab" * 20, "BUY", "0.5", "4", 1788940800 + 9000, "0x" + "cd" * 32)
    write_partition(gold_lake, "trades", DAY2, [*trades_day2(), trade_row(extra)])
    assert build_direct(gold_lake, db, ["trade_fact"])["trade_fact"].days_loaded == [D2]
    again = build_gold(gold_lake, db, ["token_ohlcv", "market_daily_volume"])
    for name in ("token_ohlcv", "market_daily_volume"):
        assert again[name].days_loaded == [D2] and again[name].days_unchanged == days - 1, name
        assert all(o.passed for o in again[name].checks.values()), again[name].checks
    after = dict(query(db, f"SELECT dt, loaded_at FROM {LEDGER_TABLE} WHERE target = 'token_ohlcv'"))
    assert {d for d in after if after[d] != loaded_at[d]} == {D2}
    assert scalar(db, "SELECT trades FROM gold.market_daily_volume WHERE dt = ? AND condition_id = ?", [D2, WHITMER["conditionId"]]) == 3
    # nothing changed: nothing is read or written
    quiet = build_gold(gold_lake, db, ["token_ohlcv", "market_daily_volume"])
    assert all(not r.committed and r.days_loaded == [] for r in quiet.values())

"""gold/btc15m_windows and gold/btc15m_calibration: the REST snapshots' path (what main has), and the WebSocket
BBO path with a hand-made ``silver.orderbook_bbo`` of the documented shape (issue 9's table)."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import duckdb

from polymarket_assets.replay import btc_windows
from polymarket_assets_tests.gold.gold_fixtures import btc_windows_for_tests
from polymarket_assets_tests.gold.helpers import build_gold
from polymarket_assets_tests.gold.test_calibration import murphy
from polymarket_assets_tests.silver.helpers import query

UTC = dt.timezone.utc
CADENCE = 30  # as gold_fixtures writes them


def _expected_rest() -> dict[str, dict]:
    """Per window, straight from the books the replay wrote: the Up token's rows by time."""
    windows = btc_windows_for_tests()
    books: dict[str, list[tuple[float, Decimal, Decimal, float, float]]] = {}
    for received, rec in btc_windows.logger_records(windows, cadence_seconds=CADENCE):
        if rec["outcome"] == "Up":
            bid, ask = Decimal(rec["best_bid"]), Decimal(rec["best_ask"])
            books.setdefault(rec["slug"], []).append((received, (bid + ask) / 2, ask - bid, float(rec["bids"][0]["size"]),
                                                      float(rec["asks"][0]["size"])))
    out = {}
    for k, w in enumerate(windows):
        rows = books[w.slug]
        end = w.start + 900

        def at(x: float, rows: list = rows) -> Decimal | None:
            before = [r for r in rows if r[0] <= x and r[0] > x - 60]
            return before[-1][1] if before else None

        out[w.slug] = {
            "outcome": None if k in (0, len(windows) - 1) else ("Up" if w.up_wins else "Down"),
            "status": "void" if k == 0 else None if k == len(windows) - 1 else "resolved",
            "mid_open": [r for r in rows if w.start <= r[0] < w.start + 60][0][1],
            "mid_t5": at(end - 300), "mid_t1": at(end - 60), "rows": len(rows),
            "spread": sum(float(r[2]) for r in rows) / len(rows), "bid_size": sum(r[3] for r in rows) / len(rows),
        }
    return out


def test_windows_from_the_rest_snapshots(gold_built):
    _, db = gold_built
    want = _expected_rest()
    rows = query(db, "SELECT slug, status, outcome, book_source, book_rows, mid_open, mid_t5, mid_t1, mean_spread, mean_best_bid_size, "
                     "window_start, window_end FROM gold.btc15m_windows ORDER BY window_start")
    assert [r[0] for r in rows] == sorted(want, key=lambda s: int(s.rsplit("-", 1)[1]))
    for slug, status, outcome, source, n, mid_open, mid_t5, mid_t1, spread, bid_size, start, end in rows:
        w = want[slug]
        assert (status, outcome, source, n) == (w["status"], w["outcome"], "rest_snapshots", w["rows"]), slug
        assert (mid_open, mid_t5, mid_t1) == (w["mid_open"], w["mid_t5"], w["mid_t1"]), slug
        assert math.isclose(spread, w["spread"], rel_tol=1e-9) and math.isclose(bid_size, w["bid_size"], rel_tol=1e-9)
        assert start == dt.datetime.fromtimestamp(int(slug.rsplit("-", 1)[1]), UTC) and end - start == dt.timedelta(minutes=15)


def test_the_calibration_of_the_mid_equals_a_direct_computation(gold_built):
    _, db = gold_built
    want = _expected_rest()
    got = {r[0]: r[1:] for r in query(db, "SELECT point, n, brier, reliability, resolution, uncertainty, decomposition_residual "
                                          "FROM gold.btc15m_calibration")}
    for point, column in (("open", "mid_open"), ("t-5m", "mid_t5"), ("t-1m", "mid_t1")):
        pts = [(float(w[column]), 1 if w["outcome"] == "Up" else 0) for w in want.values() if w["outcome"] and w[column] is not None]
        ref = murphy(pts)
        n, brier, rel, res, unc, residual = got[point]
        assert n == ref["n"] and math.isclose(brier, ref["brier"], rel_tol=1e-12)
        assert math.isclose(rel, ref["reliability"], rel_tol=1e-9, abs_tol=1e-12)
        assert math.isclose(res, ref["resolution"], rel_tol=1e-9, abs_tol=1e-12) and math.isclose(unc, ref["uncertainty"], rel_tol=1e-12)
        assert abs(residual) < 1e-12


def test_the_websocket_bbo_is_used_where_it_exists(gold_built):
    """A hand-made silver.orderbook_bbo (asset_id, ts_exchange, best_bid, best_ask, bid_size, ask_size) with changes
    of one window's Up token: that window reads the BBO (state in force at each instant, however old), the others
    keep the REST snapshots."""
    lake, db = gold_built
    window = btc_windows_for_tests()[2]
    up = window.tokens[0]
    start, end = dt.datetime.fromtimestamp(window.start, UTC), dt.datetime.fromtimestamp(window.start + 900, UTC)
    changes = [
        (start - dt.timedelta(seconds=100), "0.40", "0.42"),  # before the window: in force at the open
        (start + dt.timedelta(seconds=200), "0.55", "0.57"),
        (end - dt.timedelta(seconds=400), "0.61", "0.63"),  # in force at t-5 (100 s old: fine for a change log)
        (end - dt.timedelta(seconds=90), "0.70", "0.74"),  # in force at t-1
        (end - dt.timedelta(seconds=30), "0.90", "0.92"),  # after t-1: not used for the mids
    ]
    with duckdb.connect(str(db)) as conn:
        conn.execute("CREATE TABLE silver.orderbook_bbo (asset_id VARCHAR, ts_exchange TIMESTAMPTZ, best_bid DECIMAL(18, 6), "
                     "best_ask DECIMAL(18, 6), bid_size DECIMAL(28, 8), ask_size DECIMAL(28, 8))")
        conn.executemany("INSERT INTO silver.orderbook_bbo VALUES (?, ?, ?, ?, 100, 200)", [[up, ts, b, a] for ts, b, a in changes])
        conn.execute("DELETE FROM silver_meta.model_versions WHERE target = 'btc15m_windows'")  # rebuild now
    result = build_gold(lake, db, ["btc15m_windows"])["btc15m_windows"]
    assert result.rebuilt and all(o.passed for o in result.checks.values()), result.checks
    rows = {r[0]: r[1:] for r in query(db, "SELECT slug, book_source, book_rows, mid_open, mid_t5, mid_t1, mean_spread FROM gold.btc15m_windows")}
    source, n, mid_open, mid_t5, mid_t1, spread = rows[window.slug]
    assert (source, n) == ("ws_bbo", 4)  # the four changes inside the window
    assert (mid_open, mid_t5, mid_t1) == (Decimal("0.41"), Decimal("0.62"), Decimal("0.72"))
    assert math.isclose(spread, (0.02 + 0.02 + 0.04 + 0.02) / 4, rel_tol=1e-9)
    assert {s for slug, (s, *_) in rows.items() if slug != window.slug} == {"rest_snapshots"}


def test_a_websocket_top_is_never_held_across_a_gap_of_its_book(gold_built):
    """The BBO change log holds a top until the next change, but not across a gap of that book (silver
    orderbook_gaps): an instant inside a closed gap, or after an open one started, has no mid."""
    lake, db = gold_built
    window = btc_windows_for_tests()[2]
    up = window.tokens[0]
    start, end = dt.datetime.fromtimestamp(window.start, UTC), dt.datetime.fromtimestamp(window.start + 900, UTC)
    changes = [(start - dt.timedelta(seconds=100), "0.40", "0.42"), (start + dt.timedelta(seconds=200), "0.55", "0.57")]
    gaps = [(end - dt.timedelta(seconds=320), end - dt.timedelta(seconds=280)),  # t-5 (end - 300 s) is inside it
            (end - dt.timedelta(seconds=120), None)]  # open from 2 min before the end: t-1 is inside it
    with duckdb.connect(str(db)) as conn:
        conn.execute("DROP TABLE IF EXISTS silver.orderbook_bbo")
        conn.execute("CREATE TABLE silver.orderbook_bbo (asset_id VARCHAR, ts_exchange TIMESTAMPTZ, best_bid DECIMAL(18, 6), "
                     "best_ask DECIMAL(18, 6), bid_size DECIMAL(28, 8), ask_size DECIMAL(28, 8))")
        conn.executemany("INSERT INTO silver.orderbook_bbo VALUES (?, ?, ?, ?, 100, 200)", [[up, ts, b, a] for ts, b, a in changes])
        conn.execute("CREATE TABLE silver.orderbook_gaps (asset_id VARCHAR, start_ts TIMESTAMPTZ, end_ts TIMESTAMPTZ)")
        conn.executemany("INSERT INTO silver.orderbook_gaps VALUES (?, ?, ?)", [[up, s, e] for s, e in gaps])
        conn.execute("DELETE FROM silver_meta.model_versions WHERE target = 'btc15m_windows'")  # rebuild now
    result = build_gold(lake, db, ["btc15m_windows"])["btc15m_windows"]
    assert result.rebuilt and all(o.passed for o in result.checks.values()), result.checks
    [(source, mid_open, mid_t5, mid_t1)] = query(db, "SELECT book_source, mid_open, mid_t5, mid_t1 FROM gold.btc15m_windows WHERE slug = ?",
                                                 [window.slug])
    assert (source, mid_open, mid_t5, mid_t1) == ("ws_bbo", Decimal("0.41"), None, None)
    with duckdb.connect(str(db)) as conn:  # the first gap closed before t-5: the top from before it holds again
        conn.execute("UPDATE silver.orderbook_gaps SET end_ts = ? WHERE end_ts IS NOT NULL", [end - dt.timedelta(seconds=310)])
        conn.execute("DELETE FROM silver_meta.model_versions WHERE target = 'btc15m_windows'")
    build_gold(lake, db, ["btc15m_windows"])
    assert query(db, "SELECT mid_t5, mid_t1 FROM gold.btc15m_windows WHERE slug = ?", [window.slug]) == [(Decimal("0.56"), None)]

"""The order-book silver tables: the snapshot fact from bronze, the minute series from the fact, day by day."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal

import dagster as dg
import duckdb

from polymarket_assets.silver.asset_builder import column_lineage
from polymarket_assets.silver.duck import open_writer
from polymarket_assets.silver.ledger import LEDGER_TABLE
from polymarket_assets.silver.load import load_model
from polymarket_assets.silver.models import MODELS
from polymarket_assets_tests.silver.bronze_fixtures import (
    DAY1,
    DAY2,
    LL_KEY,
    PM_KEY,
    book_row,
    book_rows_day2,
    write_partition,
)
from polymarket_assets_tests.silver.helpers import build_direct, checks, mat_metadata, materialize, query, scalar

UTC = dt.timezone.utc
FACT, TOB = "orderbook_snapshot_fact", "orderbook_top_of_book_1m"
D1, D2 = dt.date.fromisoformat(DAY1), dt.date.fromisoformat(DAY2)


def _ledger(db, target):
    return query(db, f"SELECT source, dt, source_rows, loaded_rows, dropped_rows FROM {LEDGER_TABLE} WHERE target = ? ORDER BY dt", [target])


def test_fact_and_minute_series_from_the_fixture(lake, db):
    built = build_direct(lake, db, [FACT, TOB])
    assert all(o.passed for r in built.values() for o in r.checks.values()), {n: r.checks for n, r in built.items()}
    # the fact: the snapshot written twice is kept once (a documented drop); top of book, sizes, depth, lag
    assert query(db, "SELECT dt, run_tag, best_bid, best_ask, mid, spread, best_bid_size, best_ask_size, bid_levels, ask_levels, "
                     "bid_depth, ask_depth, exchange_lag_ms FROM silver.orderbook_snapshot_fact WHERE snapshot_id = 'r1-1'") == [
        (D1, "r1", Decimal("0.100000"), Decimal("0.140000"), Decimal("0.120000"), Decimal("0.040000"), Decimal("125"), Decimal("705"),
         5, 7, Decimal("1739"), Decimal("6057.3"), 40)]
    # an empty side (Limitless bids removed): NULL best bid, mid and spread, zero depth; the price check allows it
    assert query(db, "SELECT best_bid, mid, spread, best_bid_size, bid_depth, exchange_lag_ms FROM silver.orderbook_snapshot_fact "
                     "WHERE instrument_key = ?", [LL_KEY]) == [(None, None, None, None, Decimal("0"), None)]
    assert _ledger(db, FACT) == [("orderbook_snapshots", D1, 5, 4, 1), ("orderbook_snapshots", D2, 1, 1, 0)]

    # the minute series: first/last by received_ts; the 10:00 minute moved from 0.12 to 0.115 as the 0.10 bid went
    assert query(db, "SELECT snapshots, first_mid, last_mid, min_mid, max_mid, last_best_bid, last_best_ask, mean_spread, last_received_ts "
                     "FROM silver.orderbook_top_of_book_1m WHERE instrument_key = ? AND minute = ?",
                 [PM_KEY, dt.datetime(2026, 9, 8, 10, 0, tzinfo=UTC)]) == [
        (2, Decimal("0.120000"), Decimal("0.115000"), Decimal("0.115000"), Decimal("0.120000"), Decimal("0.090000"),
         Decimal("0.140000"), 0.045, dt.datetime(2026, 9, 8, 10, 0, 35, tzinfo=UTC))]
    assert scalar(db, "SELECT sum(snapshots) FROM silver.orderbook_top_of_book_1m") == scalar(db, "SELECT count(*) FROM silver.orderbook_snapshot_fact")
    # its ledger's source is the fact table: the fact's rows of the day, aggregated (no drops)
    assert _ledger(db, TOB) == [(FACT, D1, 4, 3, 0), (FACT, D2, 1, 1, 0)]
    # lineage points at the fact table, not at bronze
    deps = column_lineage(MODELS[TOB]).deps_by_column["last_mid"]
    assert {d.asset_key for d in deps} == {dg.AssetKey(["silver", FACT])}


def test_the_minute_series_reloads_exactly_the_days_the_fact_reloaded(lake, db):
    build_direct(lake, db, [FACT, TOB])
    loaded_at = query(db, f"SELECT loaded_at FROM {LEDGER_TABLE} WHERE target = ? AND dt = ?", [TOB, D1])
    write_partition(lake, "orderbook_snapshots", DAY2, [*book_rows_day2(), book_row("r2-2", dt.datetime(2026, 9, 9, 8, 30, 30, tzinfo=UTC))])

    # the fact has not reloaded yet: the minute series has nothing to do
    assert build_direct(lake, db, [TOB])[TOB].days_loaded == []
    fact = build_direct(lake, db, [FACT])[FACT]
    assert fact.days_loaded == [D2] and fact.days_unchanged == 1
    tob = build_direct(lake, db, [TOB])[TOB]
    assert tob.days_loaded == [D2] and tob.days_unchanged == 1 and tob.checks["reconciles_with_bronze"].passed
    assert query(db, "SELECT snapshots FROM silver.orderbook_top_of_book_1m WHERE dt = ?", [D2]) == [(2,)]
    assert query(db, f"SELECT loaded_at FROM {LEDGER_TABLE} WHERE target = ? AND dt = ?", [TOB, D1]) == loaded_at

    # a day gone from bronze leaves the fact, then the minute series
    shutil.rmtree(lake / "bronze" / "orderbook_snapshots" / f"dt={DAY2}")
    assert build_direct(lake, db, [FACT])[FACT].days_removed == [D2]
    tob = build_direct(lake, db, [TOB])[TOB]
    assert tob.days_removed == [D2] and tob.table_rows == 3
    assert _ledger(db, TOB) == [(FACT, D1, 4, 3, 0)]

    # the fact rebuilt (new version or full refresh) rewrites every day: the minute series recomputes them all
    with open_writer(db) as conn:
        assert load_model(conn, MODELS[FACT], lake / "bronze", full_refresh=True).rebuilt
    assert build_direct(lake, db, [TOB])[TOB].days_loaded == [D1]


def test_key_check_covers_the_loaded_days_and_reconciliation_the_whole_table(lake, db):
    build_direct(lake, db, [FACT])
    with duckdb.connect(str(db)) as conn:  # a stray duplicate on day 1
        conn.execute("INSERT INTO silver.orderbook_snapshot_fact SELECT * FROM silver.orderbook_snapshot_fact WHERE snapshot_id = 'r1-3'")
    write_partition(lake, "orderbook_snapshots", DAY2, book_rows_day2())
    result = build_direct(lake, db, [FACT])[FACT]
    assert result.days_loaded == [D2]
    assert result.checks["key_unique_not_null"].passed  # day 1 is not rescanned by a load of day 2 ...
    reconcile = result.checks["reconciles_with_bronze"]
    assert not reconcile.passed and reconcile.metadata["days_mismatched"] == 1  # ... but it no longer matches bronze


def test_a_bad_bronze_day_is_rolled_back_and_the_minute_series_does_not_run(lake, db):
    assert materialize(lake, db, select=[FACT, TOB]).success
    good = query(db, "SELECT * FROM silver.orderbook_snapshot_fact WHERE dt = ? ORDER BY ALL", [D2])
    write_partition(lake, "orderbook_snapshots", DAY2, [dict(r, best_ask=Decimal("1.5")) for r in book_rows_day2()])

    result = materialize(lake, db, select=[FACT, TOB], raise_on_error=False)
    assert not result.success
    ev = checks(result)[(FACT, "prices_in_unit_interval")]
    assert not ev.passed and ev.severity.value == "ERROR" and ev.metadata["out_of_range_best_ask"].value == 1
    assert mat_metadata(result) == {}  # nothing committed; the minute series (downstream) did not run
    assert query(db, "SELECT * FROM silver.orderbook_snapshot_fact WHERE dt = ? ORDER BY ALL", [D2]) == good

    write_partition(lake, "orderbook_snapshots", DAY2, book_rows_day2())
    fixed = materialize(lake, db, select=[FACT, TOB])
    md = mat_metadata(fixed)
    assert md[FACT]["days_loaded"] == 1 and md[TOB]["days_loaded"] == 1
    evals = checks(fixed)
    assert sorted(evals) == sorted((t, c) for t in (FACT, TOB) for c in ("key_unique_not_null", "prices_in_unit_interval",
                                                                         "reconciles_with_bronze", "fresh"))
    assert all(e.passed for e in evals.values())


def test_no_order_books_in_bronze_yet_loads_nothing_and_succeeds(tmp_path, db):
    """A deployment that does not stream: both tables build empty, every check passes."""
    result = materialize(tmp_path / "empty-lake", db, select=[FACT, TOB])
    assert result.success
    assert scalar(db, "SELECT count(*) FROM silver.orderbook_snapshot_fact") == 0
    assert scalar(db, "SELECT count(*) FROM silver.orderbook_top_of_book_1m") == 0
    evals = checks(result)
    assert len(evals) == 8 and all(e.passed for e in evals.values())

"""Incremental behaviour: only new/changed bronze days reload, facts replace whole days, dims merge latest state."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from decimal import Decimal

from polymarket_assets.silver import model
from polymarket_assets.silver.ledger import LEDGER_TABLE
from polymarket_assets_tests.silver.bronze_fixtures import (
    DAY1,
    DAY2,
    EVENT,
    TAGS,
    WHITMER,
    board_rows,
    market_row,
    synthetic_trade,
    tag_row,
    trade_row,
    trades_day1,
    trades_day2,
    write_partition,
)
from polymarket_assets_tests.silver.helpers import (
    build_direct,
    mat_metadata,
    materialize,
    query,
    scalar,
)

UTC = dt.timezone.utc
D1, D2 = dt.date.fromisoformat(DAY1), dt.date.fromisoformat(DAY2)


def _ledger(db, target):
    return {r[0]: r[1:] for r in query(db, f"SELECT dt, fingerprint, loaded_at, loaded_rows FROM {LEDGER_TABLE} WHERE target = ?", [target])}


def test_one_changed_day_reloads_only_that_day(lake, db):
    materialize(lake, db)
    before = _ledger(db, "trade_fact")
    day2_rows_before = query(db, "SELECT * FROM silver.trade_fact WHERE dt = ? ORDER BY ALL", [D2])

    extra = synthetic_trade(WHITMER, 1, "0xabcdefabcdefabcdefabcdefabcdefabcdefabcd", "SELL", "0.985", "7", 1788887100, "0x" + "ab" * 32)
    write_partition(lake, "trades", DAY1, trades_day1() + [trade_row(extra)])
    result = materialize(lake, db, select=["trade_fact", "trader_dim"])
    md = mat_metadata(result)

    assert md["trade_fact"]["days_loaded"] == 1 and md["trade_fact"]["days_unchanged"] == 1
    assert md["trade_fact"]["rows_deleted"] == 5 and md["trade_fact"]["rows_inserted"] == 6
    assert md["trader_dim"]["days_loaded"] == 1 and md["trader_dim"]["new_keys"] == 1
    after = _ledger(db, "trade_fact")
    assert after[D2] == before[D2]  # untouched: same fingerprint, same load time
    assert after[D1][0] != before[D1][0] and after[D1][2] == 6
    assert query(db, "SELECT * FROM silver.trade_fact WHERE dt = ? ORDER BY ALL", [D2]) == day2_rows_before
    assert scalar(db, "SELECT count(*) FROM silver.trade_fact") == 8
    assert scalar(db, "SELECT count(*) FROM silver.trade_fact WHERE dt = ?", [D1]) == 6


def test_day_removed_from_bronze_is_removed_from_facts(lake, db):
    build_direct(lake, db, ["trade_fact"])
    shutil.rmtree(lake / "bronze" / "trades" / f"dt={DAY2}")
    result = build_direct(lake, db, ["trade_fact"])["trade_fact"]
    assert result.days_removed == [D2] and result.rows_deleted == 2
    assert query(db, "SELECT DISTINCT dt FROM silver.trade_fact") == [(D1,)]
    assert list(_ledger(db, "trade_fact")) == [D1]
    assert result.checks["reconciles_with_bronze"].passed


def test_repeated_key_in_a_day_is_loaded_once_and_documented(lake, db):
    rows = trades_day2()
    newer = dict(rows[0], fetched_at=dt.datetime(2026, 9, 11, tzinfo=UTC), trader_name="renamed")
    write_partition(lake, "trades", DAY2, rows + [newer])
    result = build_direct(lake, db, ["trade_fact"])["trade_fact"]
    assert scalar(db, "SELECT count(*) FROM silver.trade_fact WHERE dt = ?", [D2]) == 2
    assert scalar(db, "SELECT fetched_at FROM silver.trade_fact WHERE trade_key = ?", [rows[0]["trade_key"]]) == newer["fetched_at"]
    assert query(db, f"SELECT source_rows, loaded_rows, dropped_rows FROM {LEDGER_TABLE} WHERE target='trade_fact' AND dt=?", [D2]) == [(3, 2, 1)]
    assert result.checks["trade_key_unique_not_null"].passed and result.checks["reconciles_with_bronze"].passed


def test_empty_partition_empties_the_day(lake, db):
    build_direct(lake, db, ["trade_fact"])
    write_partition(lake, "trades", DAY2, [])  # bronze: "processed, had nothing"
    result = build_direct(lake, db, ["trade_fact"])["trade_fact"]
    assert result.days_loaded == [D2] and result.rows_deleted == 2
    assert scalar(db, "SELECT count(*) FROM silver.trade_fact WHERE dt = ?", [D2]) == 0
    assert result.checks["reconciles_with_bronze"].passed and result.checks["fresh"].passed


def test_dimension_keeps_latest_state_with_first_and_last_seen(lake, db):
    build_direct(lake, db, ["market_dim"])
    key = WHITMER["conditionId"]
    first = query(db, "SELECT best_bid, updated_at, first_seen_at, last_seen_at FROM silver.market_dim WHERE condition_id = ?", [key])[0]

    # a newer snapshot (later updated_at, later fetch) in a later partition wins
    newer_fetch = dt.datetime(2026, 9, 20, tzinfo=UTC)
    write_partition(lake, "markets", "2026-09-20", [market_row(WHITMER, EVENT["id"], best_bid=Decimal("0.02"),
                    updated_at=dt.datetime(2026, 9, 19, tzinfo=UTC), fetched_at=newer_fetch)])
    build_direct(lake, db, ["market_dim"])
    assert query(db, "SELECT best_bid, first_seen_at, last_seen_at, source_dt FROM silver.market_dim WHERE condition_id = ?", [key]) == [
        (Decimal("0.020000"), first[2], newer_fetch, dt.date(2026, 9, 20))]

    # an older snapshot (a backfill of an old day) does not overwrite the state, but moves first_seen back
    older_fetch = dt.datetime(2025, 7, 12, tzinfo=UTC)
    write_partition(lake, "markets", "2025-07-12", [market_row(WHITMER, EVENT["id"], best_bid=Decimal("0.5"),
                    updated_at=dt.datetime(2025, 7, 12, tzinfo=UTC), fetched_at=older_fetch)])
    build_direct(lake, db, ["market_dim"])
    assert query(db, "SELECT best_bid, first_seen_at, last_seen_at FROM silver.market_dim WHERE condition_id = ?", [key]) == [
        (Decimal("0.020000"), older_fetch, newer_fetch)]
    assert scalar(db, "SELECT count(*) FROM silver.market_dim") == 4


def test_event_category_takes_the_newest_snapshot_of_each_event(lake, db):
    build_direct(lake, db, ["event_category", "category_dim"])
    kept = EVENT["tags"][:3]
    later = dt.datetime(2026, 9, 30, tzinfo=UTC)
    write_partition(lake, "gamma_categories", "2025-07-11",
                    [tag_row(t, "event_tag", EVENT["id"], fetched_at=later) for t in kept])
    build_direct(lake, db, ["event_category", "category_dim"])
    assert sorted(r[0] for r in query(db, "SELECT tag_id FROM silver.event_category")) == sorted(t["id"] for t in kept)
    # categories are a dimension: a tag no longer linked is still a category
    assert scalar(db, "SELECT count(*) FROM silver.category_dim") == 12
    assert query(db, "SELECT DISTINCT last_seen_at FROM silver.event_category") == [(later,)]


def test_trader_dim_merges_trades_and_leaderboard(lake, db):
    build_direct(lake, db, ["trader_dim"])
    later = dt.datetime(2026, 9, 9, 12, tzinfo=UTC)
    write_partition(lake, "leaderboard", DAY2, [dict(r, x_username="nopra_x") for r in board_rows(snapshot_at=later)])
    build_direct(lake, db, ["trader_dim"])
    assert query(db, "SELECT trader_name, x_username, last_leaderboard_at, last_trade_at FROM silver.trader_dim "
                     "WHERE wallet = '0x31e5d54aded22aa7cd80dbe9e33102abe2504879'") == [
        ("Noprajsk", "nopra_x", later, dt.datetime(2026, 9, 9, 10, 0, tzinfo=UTC))]


def test_leaderboard_keeps_the_newest_snapshot_of_the_day(lake, db):
    early, late = (dt.datetime(2026, 9, 8, h, tzinfo=UTC) for h in (6, 18))
    write_partition(lake, "leaderboard", DAY1, board_rows(snapshot_at=early) + [dict(r, pnl=1.0) for r in board_rows(snapshot_at=late)])
    result = build_direct(lake, db, ["leaderboard_fact"])["leaderboard_fact"]
    assert query(db, "SELECT DISTINCT snapshot_at, pnl FROM silver.leaderboard_fact") == [(late, 1.0)]
    assert result.rows_dropped == 2 and result.checks["reconciles_with_bronze"].passed


def test_changed_model_version_rebuilds_the_table(lake, db, monkeypatch):
    build_direct(lake, db, ["trade_fact"])
    monkeypatch.setattr(model, "LOADER_VERSION", "test-bump")
    result = build_direct(lake, db, ["trade_fact"])["trade_fact"]
    assert result.rebuilt and len(result.days_loaded) == 2 and result.table_rows == 7


def test_tags_seen_only_through_events_are_categories(lake, db):
    build_direct(lake, db, ["category_dim"])
    event_only = {t["id"] for t in EVENT["tags"]} - {t["id"] for t in TAGS}
    got = {r[0] for r in query(db, "SELECT tag_id FROM silver.category_dim")}
    assert event_only <= got and len(got) == 12
    assert json.loads(json.dumps(sorted(got)))  # ids stay strings

"""Every silver asset check has a case that makes it fail; blocking failures roll the load back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from polymarket_assets.silver.checks import CHECKS, CheckContext
from polymarket_assets.silver.ledger import LEDGER_TABLE, LoadLedger
from polymarket_assets.silver.load import source_partitions
from polymarket_assets.silver.models import MODELS
from polymarket_assets_tests.silver.bronze_fixtures import (
    DAY2,
    EVENT,
    MARKET_BTC,
    SMITH,
    WHITMER,
    board_rows,
    book_row,
    event_row,
    market_row,
    price_rows,
    resolution_rows,
    tag_row,
    token_rows,
    trade_row,
    trades_day2,
    write_lake,
    write_partition,
    write_ws_day,
)
from polymarket_assets_tests.silver.helpers import (
    build_direct,
    checks,
    mat_metadata,
    materialize,
    query,
    scalar,
)

D1, D2, P1 = dt.date(2026, 9, 8), dt.date(2026, 9, 9), dt.date(2026, 9, 7)
UP = "silver.market_token_dim WHERE outcome = 'Up'"

# (model, check) → (tamper SQL run on a built copy, fact day to check or None, expected severity)
CASES: dict[tuple[str, str], tuple[str, dt.date | None, str]] = {
    ("event_dim", "event_id_unique_not_null"): ("INSERT INTO silver.event_dim SELECT * FROM silver.event_dim", None, "ERROR"),
    ("category_dim", "tag_id_unique_not_null"): ("UPDATE silver.category_dim SET tag_id = NULL WHERE tag_id = '101259'", None, "ERROR"),
    ("event_category", "key_unique_not_null"): ("INSERT INTO silver.event_category SELECT * FROM silver.event_category LIMIT 1", None, "ERROR"),
    ("market_dim", "condition_id_unique_not_null"): ("INSERT INTO silver.market_dim SELECT * FROM silver.market_dim WHERE market_id = '559659'", None, "ERROR"),
    ("market_dim", "prices_in_unit_interval"): ("UPDATE silver.market_dim SET best_ask = 1.5 WHERE market_id = '559659'", None, "ERROR"),
    ("market_dim", "outcomes_match_clob_token_ids"): ("UPDATE silver.market_dim SET clob_token_ids = ['1'] WHERE market_id = '559659'", None, "ERROR"),
    ("market_token_dim", "token_id_unique_not_null"): (f"UPDATE {UP.replace(' WHERE', ' SET token_id = NULL WHERE')}", None, "ERROR"),
    ("market_token_dim", "price_in_unit_interval"): ("UPDATE silver.market_token_dim SET price = -0.01 WHERE outcome = 'Down'", None, "ERROR"),
    ("market_token_dim", "outcomes_match_tokens"): ("DELETE FROM silver.market_token_dim WHERE outcome = 'Down'", None, "ERROR"),
    ("trader_dim", "wallet_unique_not_null"): ("INSERT INTO silver.trader_dim SELECT * FROM silver.trader_dim LIMIT 1", None, "ERROR"),
    # the same trade on another day: found by the ts-range probe while checking that day
    ("trade_fact", "trade_key_unique_not_null"): (
        "INSERT INTO silver.trade_fact SELECT * REPLACE (DATE '2026-09-09' AS dt) FROM silver.trade_fact WHERE dt = '2026-09-08' LIMIT 1", D2, "ERROR"),
    ("trade_fact", "price_in_unit_interval"): ("UPDATE silver.trade_fact SET price = 1.2 WHERE dt = '2026-09-09'", D2, "ERROR"),
    # a known token of another market (BTC Up) on a Whitmer trade: wrong data, not an orphan
    ("trade_fact", "references_known_token_and_market"): (
        f"UPDATE silver.trade_fact SET token_id = (SELECT token_id FROM {UP}) WHERE dt = '2026-09-09'", D2, "ERROR"),
    ("trade_fact", "reconciles_with_bronze"): ("DELETE FROM silver.trade_fact WHERE dt = '2026-09-09' AND side = 'SELL'", None, "ERROR"),
    ("price_history_fact", "key_unique_not_null"): ("INSERT INTO silver.price_history_fact SELECT * FROM silver.price_history_fact LIMIT 1", P1, "ERROR"),
    ("price_history_fact", "price_in_unit_interval"): ("UPDATE silver.price_history_fact SET price = 2", P1, "ERROR"),
    ("price_history_fact", "references_known_token"): ("UPDATE silver.price_history_fact SET condition_id = '0x' || repeat('0', 64)", P1, "ERROR"),
    ("price_history_fact", "reconciles_with_bronze"): ("DELETE FROM silver.price_history_fact WHERE ts = (SELECT min(ts) FROM silver.price_history_fact)", None, "ERROR"),
    ("leaderboard_fact", "key_unique_not_null"): ("INSERT INTO silver.leaderboard_fact SELECT * FROM silver.leaderboard_fact LIMIT 1", D1, "ERROR"),
    # rows for a day the ledger never loaded
    ("leaderboard_fact", "reconciles_with_bronze"): (
        "INSERT INTO silver.leaderboard_fact SELECT * REPLACE (DATE '2020-01-01' AS dt) FROM silver.leaderboard_fact", None, "ERROR"),
    ("market_resolution_dim", "condition_id_unique_not_null"): (
        "INSERT INTO silver.market_resolution_dim SELECT * FROM silver.market_resolution_dim LIMIT 1", None, "ERROR"),
    ("market_resolution_dim", "prices_in_unit_interval"): (
        "UPDATE silver.market_resolution_dim SET payouts = [1.5, 0] WHERE market_id = '1460332'", None, "ERROR"),
    # a void market that names a winner: a void market never counts as a win
    ("market_resolution_dim", "winners_match_status"): (
        "UPDATE silver.market_resolution_dim SET status = 'void' WHERE market_id = '1460332'", None, "ERROR"),
    ("orderbook_snapshot_fact", "key_unique_not_null"): (
        "INSERT INTO silver.orderbook_snapshot_fact SELECT * FROM silver.orderbook_snapshot_fact WHERE snapshot_id = 'r1-1'", D1, "ERROR"),
    ("orderbook_snapshot_fact", "prices_in_unit_interval"): (
        "UPDATE silver.orderbook_snapshot_fact SET best_ask = 1.5 WHERE snapshot_id = 'r1-3'", D1, "ERROR"),
    ("orderbook_snapshot_fact", "reconciles_with_bronze"): (
        "DELETE FROM silver.orderbook_snapshot_fact WHERE snapshot_id = 'r2-1'", None, "ERROR"),
    ("orderbook_top_of_book_1m", "key_unique_not_null"): (
        "INSERT INTO silver.orderbook_top_of_book_1m SELECT * FROM silver.orderbook_top_of_book_1m WHERE dt = '2026-09-09'", D2, "ERROR"),
    ("orderbook_top_of_book_1m", "prices_in_unit_interval"): (
        "UPDATE silver.orderbook_top_of_book_1m SET last_mid = -0.1 WHERE venue = 'polymarket' AND dt = '2026-09-08'", D1, "ERROR"),
    # a minute that claims a snapshot the fact does not have
    ("orderbook_top_of_book_1m", "reconciles_with_bronze"): (
        "UPDATE silver.orderbook_top_of_book_1m SET snapshots = snapshots + 1 WHERE dt = '2026-09-09'", None, "ERROR"),
    ("orderbook_bbo", "key_unique_not_null"): (
        "INSERT INTO silver.orderbook_bbo SELECT * FROM silver.orderbook_bbo WHERE seq = (SELECT min(seq) FROM silver.orderbook_bbo)", D1, "ERROR"),
    ("orderbook_bbo", "prices_in_unit_interval"): ("UPDATE silver.orderbook_bbo SET best_ask = 1.5 WHERE seq = 40", D1, "ERROR"),
    # a crossed top the venue never confirmed (what a wrongly applied delta would publish)
    ("orderbook_bbo", "crossed_only_as_sent"): ("UPDATE silver.orderbook_bbo SET crossed = true, verified = false WHERE seq = 40", D1, "ERROR"),
    ("orderbook_bbo", "reconciles_with_bronze"): ("DELETE FROM silver.orderbook_bbo WHERE seq = 40", None, "ERROR"),
    ("orderbook_gaps", "key_unique_not_null"): ("INSERT INTO silver.orderbook_gaps SELECT * FROM silver.orderbook_gaps LIMIT 1", D1, "ERROR"),
    ("orderbook_gaps", "gaps_well_formed"): ("UPDATE silver.orderbook_gaps SET end_ts = start_ts - INTERVAL 1 SECOND WHERE reason = 'bbo_mismatch'",
                                             D1, "ERROR"),
    ("orderbook_gaps", "reconciles_with_bronze"): ("DELETE FROM silver.orderbook_gaps WHERE reason = 'reconnect'", None, "ERROR"),
}
# checks whose failing case needs a changed bronze file (the lake here is shared and read-only): the bronze day
# that no longer matches its compaction's counts, in silver/test_orderbook_ws.py
ELSEWHERE = {("orderbook_bbo", "bronze_day_reconciles"), ("orderbook_gaps", "bronze_day_reconciles")}
# warnings (orphans: kept and counted, never blocking)
WARN_CASES = {
    ("trade_fact", "references_known_token_and_market"): ("UPDATE silver.trade_fact SET condition_id = '0x' || repeat('1', 64), token_id = '42' WHERE dt = '2026-09-09'", D2),
    ("price_history_fact", "references_known_token"): ("UPDATE silver.price_history_fact SET token_id = '42'", P1),
}


def _run_check(db: Path, lake: Path, model: str, check: str, day: dt.date | None):
    definition = next(c for c in CHECKS[model] if c.name == check)
    m = MODELS[model]
    conn = duckdb.connect(str(db))
    try:
        ledger = LoadLedger(conn)
        parts = source_partitions(ledger, m, lake / "bronze")
        days = [day] if day is not None and definition.phase != "post" else None
        return definition.fn(CheckContext(conn, m, days, ledger, parts))
    finally:
        conn.close()


def test_every_check_has_a_failing_case():
    registered = {(m, c.name) for m, defs in CHECKS.items() for c in defs}
    covered = set(CASES) | {(m, "fresh") for m in MODELS} | ELSEWHERE
    assert registered == covered
    assert len(registered) == 52


def test_checks_pass_on_the_built_fixture(built):
    lake, db = built
    for (model, check), (_, day, _) in CASES.items():
        outcome = _run_check(db, lake, model, check, day)
        # the only expected non-pass on the fixture is the orphan WARN on day 1 (not a case day)
        assert outcome.passed, (model, check, outcome.description)


@pytest.mark.parametrize("case", sorted(CASES), ids=lambda c: f"{c[0]}.{c[1]}")
def test_check_fails(built, case):
    lake, db = built
    sql, day, severity = CASES[case]
    with duckdb.connect(str(db)) as conn:
        conn.execute(sql)
    outcome = _run_check(db, lake, *case, day)
    assert not outcome.passed, outcome.metadata
    assert outcome.severity == severity
    assert outcome.description


@pytest.mark.parametrize("case", sorted(WARN_CASES), ids=lambda c: f"{c[0]}.{c[1]}")
def test_orphans_warn_but_do_not_block(built, case):
    lake, db = built
    sql, day = WARN_CASES[case]
    with duckdb.connect(str(db)) as conn:
        conn.execute(sql)
    outcome = _run_check(db, lake, *case, day)
    assert not outcome.passed and outcome.severity == "WARN"


@pytest.fixture(scope="module")
def stale(tmp_path_factory):
    """Silver built, then a newer bronze day lands in every dataset (not loaded yet)."""
    base = tmp_path_factory.mktemp("stale")
    lake = write_lake(base / "lake")
    db = base / "polymarket.duckdb"
    build_direct(lake, db)
    new = "2026-09-10"
    write_partition(lake, "gamma_events", new, [event_row(event_id="99999")])
    write_partition(lake, "gamma_categories", new, [tag_row(EVENT["tags"][0], tag_id="99999")])
    write_partition(lake, "markets", new, [market_row(SMITH, EVENT["id"])])
    write_partition(lake, "market_tokens", new, token_rows(SMITH))
    write_partition(lake, "trades", new, [trade_row(t) for t in []])
    write_partition(lake, "prices", new, price_rows())
    write_partition(lake, "leaderboard", new, board_rows())
    write_partition(lake, "resolutions", new, [resolution_rows(MARKET_BTC, closedTime="2026-09-10 01:00:00+00")])
    write_partition(lake, "orderbook_snapshots", new, [book_row("r3-1", dt.datetime(2026, 9, 10, 1, tzinfo=dt.timezone.utc))])
    write_ws_day(lake, new, changes=4)
    return lake, db


@pytest.mark.parametrize("model", sorted(m for m in MODELS if MODELS[m].source_layer == "bronze"))
def test_fresh_fails_when_the_newest_bronze_day_is_not_loaded(stale, model):
    lake, db = stale
    outcome = _run_check(db, lake, model, "fresh", None)
    assert not outcome.passed and outcome.severity == "WARN"
    assert "2026-09-10" in outcome.description


def test_fresh_fails_when_the_newest_day_of_the_source_table_is_not_loaded(lake, db):
    """A table computed from a silver table is fresh when it holds that table's newest day."""
    build_direct(lake, db, ["orderbook_snapshot_fact", "orderbook_top_of_book_1m"])
    assert _run_check(db, lake, "orderbook_top_of_book_1m", "fresh", None).passed
    write_partition(lake, "orderbook_snapshots", "2026-09-10", [book_row("r3-1", dt.datetime(2026, 9, 10, 1, tzinfo=dt.timezone.utc))])
    build_direct(lake, db, ["orderbook_snapshot_fact"])
    assert _run_check(db, lake, "orderbook_snapshot_fact", "fresh", None).passed
    outcome = _run_check(db, lake, "orderbook_top_of_book_1m", "fresh", None)
    assert not outcome.passed and outcome.severity == "WARN"
    assert "2026-09-10" in outcome.description


# -- blocking failures through Dagster: write-audit-publish --------------------------------------

def test_bad_fact_day_is_rolled_back_and_the_run_fails(lake, db):
    materialize(lake, db, select=["trade_fact"])
    good = query(db, "SELECT * FROM silver.trade_fact WHERE dt = ? ORDER BY ALL", [D2])
    fingerprint = scalar(db, f"SELECT fingerprint FROM {LEDGER_TABLE} WHERE target = 'trade_fact' AND dt = ?", [D2])
    write_partition(lake, "trades", DAY2, [dict(r, price=Decimal("1.5")) for r in trades_day2()])

    result = materialize(lake, db, select=["trade_fact"], raise_on_error=False)
    assert not result.success
    ev = checks(result)[("trade_fact", "price_in_unit_interval")]
    assert not ev.passed and ev.severity.value == "ERROR" and ev.metadata["out_of_range_price"].value == 2
    # nothing committed → no materialization; silver keeps the previous day, the ledger still points at it
    assert mat_metadata(result) == {}
    assert query(db, "SELECT * FROM silver.trade_fact WHERE dt = ? ORDER BY ALL", [D2]) == good
    assert scalar(db, f"SELECT fingerprint FROM {LEDGER_TABLE} WHERE target = 'trade_fact' AND dt = ?", [D2]) == fingerprint
    # fixed in bronze → the next run loads it
    write_partition(lake, "trades", DAY2, trades_day2())
    assert materialize(lake, db, select=["trade_fact"]).success


def test_bad_dimension_merge_is_rolled_back_and_skips_checks_that_read_it(lake, db):
    materialize(lake, db, select=["market_dim"])
    bad = market_row(WHITMER, EVENT["id"], clob_token_ids=["1"], updated_at=dt.datetime(2026, 9, 30, tzinfo=dt.timezone.utc))
    write_partition(lake, "markets", "2026-09-30", [bad])
    result = materialize(lake, db, select=["market_dim", "trade_fact"], raise_on_error=False)
    assert not result.success
    ev = checks(result)[("market_dim", "outcomes_match_clob_token_ids")]
    assert not ev.passed and ev.severity.value == "ERROR"
    assert query(db, "SELECT clob_token_ids FROM silver.market_dim WHERE market_id = '559659'")[0][0] != ["1"]
    assert scalar(db, f"SELECT count(*) FROM {LEDGER_TABLE} WHERE target = 'market_dim' AND dt = '2026-09-30'") == 0
    # trade_fact itself does not read market_dim and loads; its reference check (a separate step that reads
    # market_dim) is not run against a market_dim whose step failed
    assert mat_metadata(result)["trade_fact"]["days_loaded"] == 2
    assert ("trade_fact", "references_known_token_and_market") not in checks(result)

"""The order-book facts' blocking checks fail on duplicate/NULL keys and out-of-range prices of the loaded days."""

from __future__ import annotations

import duckdb
import pytest

from polymarket_assets.streaming.silver_assets import FACT, FACT_DDL, SCHEMA, key_check, prices_check


@pytest.fixture
def conn():
    con = duckdb.connect(":memory:")
    con.execute(FACT_DDL)
    yield con
    con.close()


def _insert(conn, snapshot_id, day, best_bid="0.4", best_ask="0.6", mid="0.5"):
    conn.execute(
        f"INSERT INTO {SCHEMA}.{FACT} (snapshot_id, dt, venue, instrument_key, received_ts, best_bid, best_ask, mid) "
        "VALUES (?, CAST(? AS DATE), 'polymarket', 'polymarket:m:t', TIMESTAMPTZ '2026-11-20 10:00:00+00', ?, ?, ?)",
        [snapshot_id, day, best_bid, best_ask, mid],
    )


def test_key_check_passes_then_fails_on_a_duplicate_of_a_loaded_day(conn):
    _insert(conn, "a", "2026-11-20")
    _insert(conn, "b", "2026-11-20")
    assert key_check(conn, FACT, ["snapshot_id"], ["2026-11-20"]).passed
    _insert(conn, "b", "2026-11-20")
    failed = key_check(conn, FACT, ["snapshot_id"], ["2026-11-20"])
    assert not failed.passed and failed.metadata["duplicate_keys"].value == 1
    # a day this run did not load is not rescanned
    assert key_check(conn, FACT, ["snapshot_id"], ["2026-11-19"]).passed


def test_prices_check_fails_outside_the_unit_interval(conn):
    _insert(conn, "a", "2026-11-20")
    _insert(conn, "b", "2026-11-20", best_bid=None, best_ask=None, mid=None)  # an empty book is allowed
    assert prices_check(conn, FACT, ["best_bid", "best_ask", "mid"], ["2026-11-20"]).passed
    _insert(conn, "c", "2026-11-20", best_ask="1.5")
    failed = prices_check(conn, FACT, ["best_bid", "best_ask", "mid"], ["2026-11-20"])
    assert not failed.passed and failed.metadata["rows_out_of_range"].value == 1

"""Silver built from the fixture bronze lake through Dagster: exact row counts, known rows, idempotence."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from polymarket_assets.silver.ledger import LEDGER_TABLE
from polymarket_assets_tests.silver.bronze_fixtures import (
    DAY1,
    EVENT,
    EXPECTED_ROWS,
    MARKET_BTC,
    MARKET_KATANA,
    TRADES,
    WHITMER,
    trade_key,
)
from polymarket_assets_tests.silver.helpers import (
    checks,
    mat_metadata,
    materialize,
    query,
    scalar,
)

UTC = dt.timezone.utc


def _table_dump(db, name):
    return query(db, f"SELECT * FROM silver.{name} ORDER BY ALL")


def test_build_exact_rows_known_values_and_checks(lake, db):
    result = materialize(lake, db)
    assert result.success
    md = mat_metadata(result)
    for name, rows in EXPECTED_ROWS.items():
        assert scalar(db, f"SELECT count(*) FROM silver.{name}") == rows, name
        assert md[name]["dagster/row_count"] == rows

    # the first real v2 trade: wallet lower-cased, 999 sentinel → NULL, '' event slug → NULL, notional = p × s
    real = TRADES[0]
    row = query(db, "SELECT dt, ts, wallet, side, price, size, usdc_size, outcome, outcome_index, event_slug, market_slug, "
                    "condition_id, token_id FROM silver.trade_fact WHERE trade_key = ?", [trade_key(real)])
    assert row == [(dt.date(2026, 9, 8), dt.datetime(2026, 9, 8, 17, 3, 34, tzinfo=UTC), real["proxy_wallet"], "BUY",
                    Decimal("0.620000"), Decimal("78.550000"), Decimal("48.701000"), "Yes", None, None,
                    "ucl-rma-int-2026-09-08-rma", real["condition_id"], real["token_id"])]

    # market 559659 (Whitmer): condition id is the key, Gamma id alongside, 2 outcomes ↔ 2 tokens
    m = query(db, "SELECT market_id, question, outcomes, outcome_count, clob_token_ids, best_bid, best_ask, event_id, "
                  "neg_risk, source_dt FROM silver.market_dim WHERE condition_id = ?", [WHITMER["conditionId"]])
    assert m == [("559659", WHITMER["question"], ["Yes", "No"], 2, json.loads(WHITMER["clobTokenIds"]), Decimal("0.014000"),
                  Decimal("0.015000"), "30829", True, dt.date(2025, 7, 11))]
    btc_tokens = query(db, "SELECT outcome_index, outcome, token_id FROM silver.market_token_dim WHERE condition_id = ? ORDER BY 1",
                       [MARKET_BTC["conditionId"]])
    assert btc_tokens == [(0, "Up", json.loads(MARKET_BTC["clobTokenIds"])[0]), (1, "Down", json.loads(MARKET_BTC["clobTokenIds"])[1])]

    assert query(db, "SELECT title, neg_risk, len(market_ids) FROM silver.event_dim WHERE event_id = '30829'") == [
        (EVENT["title"], True, 2)]
    assert query(db, "SELECT label, slug FROM silver.category_dim WHERE tag_id = '101259'") == [
        ("Health and Human Services", "health-and-human-services")]
    assert sorted(r[0] for r in query(db, "SELECT tag_id FROM silver.event_category WHERE event_id = '30829'")) == sorted(
        t["id"] for t in EVENT["tags"])

    # trader_dim: trades and leaderboard meet on the lower-cased wallet
    assert query(db, "SELECT trader_name, leaderboard_name, verified, first_trade_at, last_trade_at FROM silver.trader_dim "
                     "WHERE wallet = '0x31e5d54aded22aa7cd80dbe9e33102abe2504879'") == [
        ("Noprajsk", "Noprajsk", False, dt.datetime(2026, 9, 8, 17, 53, 20, tzinfo=UTC), dt.datetime(2026, 9, 9, 10, 0, tzinfo=UTC))]
    assert query(db, "SELECT trader_name, trader_pseudonym FROM silver.trader_dim WHERE wallet = ?", [real["proxy_wallet"]]) == [
        ("mooseborzoi", "Agitated-Bricklaying")]
    assert query(db, "SELECT rank, wallet, user_name, pnl FROM silver.leaderboard_fact ORDER BY rank") == [
        (1, "0x31e5d54aded22aa7cd80dbe9e33102abe2504879", "Noprajsk", 966725.5781960003),
        (2, "0xf0318c32136c2db7fec88b84869aee6a1106c80c", "BreakTheBank", 454273.13724022976)]
    assert query(db, "SELECT ts, price, resolution_seconds FROM silver.price_history_fact ORDER BY ts") == [
        (dt.datetime(2026, 9, 7, 17, 4, tzinfo=UTC), Decimal("0.955000"), 60),
        (dt.datetime(2026, 9, 7, 17, 5, tzinfo=UTC), Decimal("0.955000"), 60)]

    # the two real resolved markets: katana resolved No (Gamma and the real v2 record agree), BTC Up (Gamma only)
    assert query(db, "SELECT market_id, status, winning_outcome_index, winning_outcome, winning_token_id, payouts, resolved_at, "
                     "resolution_source, v2_record_found FROM silver.market_resolution_dim ORDER BY market_id") == [
        ("1460332", "resolved", 1, "No", json.loads(MARKET_KATANA["clobTokenIds"])[1], [Decimal("0.000000"), Decimal("1.000000")],
         dt.datetime(2026, 3, 19, 23, 20, 15, tzinfo=UTC), "gamma+data_v2", True),
        ("3047949", "resolved", 0, "Up", json.loads(MARKET_BTC["clobTokenIds"])[0], [Decimal("1.000000"), Decimal("0.000000")],
         dt.datetime(2026, 7, 24, 0, 0, 16, tzinfo=UTC), "gamma", False)]

    # every check ran; the only non-pass is the documented orphan WARN: the 2 real trades' markets are not in bronze
    evals = checks(result)
    assert len(evals) == 52
    failing = {k: (e.severity.value, e.metadata["orphan_rows_unknown_market"].value) for k, e in evals.items() if not e.passed}
    assert failing == {("trade_fact", "references_known_token_and_market"): ("WARN", 2)}

    # the ledger: one row per (table, source, day) loaded
    assert scalar(db, f"SELECT count(*) FROM {LEDGER_TABLE} WHERE target = 'trade_fact'") == 2
    assert query(db, f"SELECT source_rows, loaded_rows, dropped_rows FROM {LEDGER_TABLE} WHERE target = 'trade_fact' AND dt = ?",
                 [dt.date.fromisoformat(DAY1)]) == [(5, 5, 0)]


def test_rematerialization_is_idempotent_and_costs_nothing(lake, db):
    materialize(lake, db)
    before = {name: _table_dump(db, name) for name in EXPECTED_ROWS}
    ledger_before = query(db, f"SELECT target, source, dt, fingerprint, loaded_at FROM {LEDGER_TABLE} ORDER BY ALL")
    again = materialize(lake, db)
    md = mat_metadata(again)
    for name in EXPECTED_ROWS:
        assert _table_dump(db, name) == before[name], name
        assert md[name]["days_loaded"] == 0 and md[name]["rows_inserted"] == 0, name
    assert md["trade_fact"]["days_unchanged"] == 2
    # unchanged days were not touched: same ledger rows, same load times
    assert query(db, f"SELECT target, source, dt, fingerprint, loaded_at FROM {LEDGER_TABLE} ORDER BY ALL") == ledger_before


def test_select_one_table_on_a_fresh_database(lake, db):
    result = materialize(lake, db, select=["trade_fact"])
    assert result.success
    assert scalar(db, "SELECT count(*) FROM silver.trade_fact") == 7
    tables = {r[0] for r in query(db, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'silver'")}
    assert tables == {"trade_fact"}
    # no market loaded yet: every trade is an orphan, counted, WARN, the run still succeeds
    ev = checks(result)[("trade_fact", "references_known_token_and_market")]
    assert not ev.passed and ev.severity.value == "WARN" and ev.metadata["orphan_rows_unknown_market"].value == 7


def test_full_refresh_rebuilds_from_every_day(lake, db):
    materialize(lake, db, select=["trade_fact"])
    result = materialize(lake, db, select=["trade_fact"], config={"full_refresh": True})
    md = mat_metadata(result)["trade_fact"]
    assert md["rebuilt"] is True and md["days_loaded"] == 2 and md["dagster/row_count"] == 7

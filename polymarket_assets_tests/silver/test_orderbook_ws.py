"""silver.orderbook_bbo and silver.orderbook_gaps: Python models of the silver framework replaying
bronze/orderbook_ws_events through the live book machines; their checks pass on good days and fail on bad ones."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow.parquet as pq

from polymarket_assets.bronze.datasets.orderbook_ws_events import compact_day
from polymarket_assets.silver.models import MODELS
from polymarket_assets.streaming.ws import records as R
from polymarket_assets_tests.silver.helpers import checks, mat_metadata, materialize, query
from polymarket_assets_tests.streaming_ws.raw_days import RawDay

BBO, GAPS = "orderbook_bbo", "orderbook_gaps"


def good_day(lake, start="2026-04-01T09:00:00Z"):
    published = []
    day = RawDay(lake, start)
    day.machine.on_bbo = lambda *args: published.append(args)
    assets = day.world.asset_ids()
    day.open()
    day.subscribe(assets)
    day.changes(80)
    day.world.hidden_top_change(assets[2])
    day.changes(1, [assets[2]])  # a mismatch: a gap, closed by the next book
    day.changes(10)
    day.record(R.RECV, [day.world.books[a].frame() for a in assets if day.machine.status(a) == "stale"])
    day.changes(40)
    day.close("ConnectionClosed: abrupt")  # a reconnect gap, still open at the end of the day
    day.finish()
    return day, published


def test_bbo_and_gaps_equal_the_live_machine_and_their_checks_pass(tmp_path):
    lake, db = tmp_path / "lake", tmp_path / "polymarket.duckdb"
    live, published = good_day(lake)
    compact_day(lake, "2026-04-01")
    result = materialize(lake, db, [BBO, GAPS])
    assert result.success
    evaluations = checks(result)
    assert {name for (model, name) in evaluations if model == BBO} == {
        "key_unique_not_null", "prices_in_unit_interval", "crossed_only_as_sent", "bronze_day_reconciles", "reconciles_with_bronze", "fresh"}
    assert all(e.passed for e in evaluations.values()), {k: e.metadata for k, e in evaluations.items() if not e.passed}
    rows = query(db, "SELECT asset_id, epoch_us(ts_received), best_bid, bid_size, best_ask, ask_size, verified FROM silver.orderbook_bbo "
                     "ORDER BY seq, idx")
    expected = [(a[0], a[3] // 1000, a[4], a[5], a[6], a[7], a[8]) for a in published]
    assert rows == expected  # every top the live machine published, in order, and nothing else
    gaps = query(db, "SELECT asset_id, reason, closed_by, open_at_day_end FROM silver.orderbook_gaps ORDER BY detected_ts, asset_id")
    mismatch = [g for g in gaps if g[1] == "bbo_mismatch"]
    assert mismatch and all(g[2] == "book" and not g[3] for g in mismatch)
    assert sorted(g[0] for g in gaps if g[1] == "reconnect") == sorted(live.world.asset_ids()) and all(g[3] for g in gaps if g[1] == "reconnect")
    md = mat_metadata(result)[BBO]
    assert md["days_loaded"] == 1 and md["rows_inserted"] == len(published)
    ledger = query(db, "SELECT source_rows, loaded_rows, dropped_rows FROM silver_meta.load_ledger WHERE target = 'orderbook_bbo'")
    [(source_rows, loaded, dropped)] = ledger
    assert loaded == len(published) and source_rows == loaded + dropped  # every bronze row read
    # a second run loads nothing; a changed transform (version) would rebuild
    again = materialize(lake, db, [BBO])
    assert mat_metadata(again)[BBO]["days_loaded"] == 0
    assert MODELS[BBO].version != MODELS[GAPS].version and len(MODELS[BBO].version) == 16


def _bad_price_day(lake):
    day = RawDay(lake, "2026-04-02T09:00:00Z")
    asset = day.world.asset_ids()[0]
    day.open()
    frame = day.world.books[asset].frame()
    frame["asks"].append({"price": "1.5", "size": "10"})  # SYNTHETIC: a price outside [0, 1] as the venue sent it
    frame["asks"].append({"price": "1.2", "size": "10"})
    frame["asks"] = [lvl for lvl in frame["asks"] if Decimal(lvl["price"]) > 1]  # only out-of-range asks left
    day.record(R.SENT, '{"assets_ids":["%s"],"type":"market"}' % asset)
    day.record(R.RECV, [frame])
    day.finish()


def _unconfirmed_cross_day(lake):
    day = RawDay(lake, "2026-04-03T09:00:00Z")
    asset = day.world.asset_ids()[0]
    day.open()
    day.subscribe([asset])
    best_ask = day.world.books[asset].best_ask()
    legacy = {"asset_id": asset, "market": day.world.books[asset].market, "price": str(best_ask + Decimal("0.01")), "side": "BUY",
              "size": "5", "hash": "h", "timestamp": "1790658700000", "event_type": "price_change"}  # legacy flat shape: no best_bid/ask
    day.record(R.RECV, legacy)
    day.finish()


def _crossed_as_sent_day(lake):
    day = RawDay(lake, "2026-04-04T09:00:00Z")
    asset = day.world.asset_ids()[0]
    day.open()
    frame = day.world.books[asset].frame()
    frame["bids"].append({"price": "0.99", "size": "1"})  # SYNTHETIC: the venue's own book is crossed
    day.record(R.SENT, '{"assets_ids":["%s"],"type":"market"}' % asset)
    day.record(R.RECV, [frame])
    day.finish()


def test_checks_fail_on_bad_days_and_pass_what_the_venue_sent(tmp_path):
    lake, db = tmp_path / "lake", tmp_path / "polymarket.duckdb"
    good_day(lake)
    _bad_price_day(lake)
    _unconfirmed_cross_day(lake)
    _crossed_as_sent_day(lake)
    for day in ("2026-04-01", "2026-04-02", "2026-04-03", "2026-04-04"):
        compact_day(lake, day)
    # a bronze day whose rows no longer match what its compaction counted (a row lost after the fact)
    path = lake / "bronze" / "orderbook_ws_events" / "dt=2026-04-01" / "part-0.parquet"
    table = pq.read_table(path)
    pq.write_table(table.slice(1), path)
    result = materialize(lake, db, [BBO, GAPS], raise_on_error=False)
    assert not result.success
    ev = checks(result)
    assert not ev[(BBO, "prices_in_unit_interval")].passed and "2026-04-02" in ev[(BBO, "prices_in_unit_interval")].metadata["failing_days"].value
    crossed = ev[(BBO, "crossed_only_as_sent")]
    assert not crossed.passed and crossed.metadata["crossed_unconfirmed"].value == 1 and crossed.metadata["crossed_as_sent_by_venue"].value == 1
    assert "2026-04-03" in crossed.metadata["failing_days"].value and "2026-04-04" not in crossed.metadata["failing_days"].value
    for model in (BBO, GAPS):
        rec = ev[(model, "bronze_day_reconciles")]
        assert not rec.passed and rec.metadata["failing_days"].value == "2026-04-01", model
    # the bad days were rolled back and stay pending; the good one (the crossed book the venue sent) is loaded
    loaded = query(db, "SELECT DISTINCT dt FROM silver.orderbook_bbo")
    assert loaded == [(dt.date(2026, 4, 4),)]

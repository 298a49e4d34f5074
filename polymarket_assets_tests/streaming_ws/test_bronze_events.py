"""bronze/orderbook_ws_events from a raw log written record by record: a day replays on its own (day
checkpoint), rows rebuild the live books, and the bad input (torn last line, lines that are not records,
malformed frames, unknown event types) is counted and kept, with a day that reconciles."""

from __future__ import annotations

import copy
import json

import pyarrow.parquet as pq

from polymarket_assets.bronze.datasets.orderbook_ws_events import compact_day, reconciliation
from polymarket_assets.bronze.schemas import ORDERBOOK_WS_EVENTS
from polymarket_assets.streaming.ws import records as R
from polymarket_assets.streaming.ws.bronze_replay import COLUMNS, BronzeReplay
from polymarket_assets.streaming.ws.rawlog import raw_dir
from polymarket_assets_tests.streaming_ws.raw_days import RawDay
from polymarket_assets_tests.support.clob_ws_world import real_frames


def replay_file(path, **kwargs) -> BronzeReplay:
    replay = BronzeReplay(keep_state=True, **kwargs)
    replay.feed(pq.ParquetFile(path).iter_batches(columns=list(COLUMNS)))
    replay.finish()
    return replay


def test_a_day_replays_on_its_own_and_a_gap_crosses_midnight(tmp_path):
    day = RawDay(tmp_path, "2026-03-01T23:59:58Z")
    assets = day.world.asset_ids()
    day.open()
    day.subscribe(assets)
    day.changes(60)
    victim = assets[0]
    day.world.hidden_top_change(victim)  # a lost delta (and its mirror): the next change reveals it, the gaps stay open
    day.changes(1, [victim])
    day.changes(40)
    before_midnight = day.machine.state()
    stale = sorted(a for a, (status, _) in before_midnight.items() if status == "stale")
    assert victim in stale and len(stale) < len(assets)
    day.at("2026-03-02T00:00:00.5Z")
    day.changes(30)  # the first record of the new day is preceded by the day checkpoint
    assert day.journal.checkpoints == len(assets) + 1  # every asset, and the connection
    day.record(R.RECV, [day.world.books[a].frame() for a in stale])  # the resync's fresh books close the gaps on day 2
    day.changes(50)
    day.close()
    day.finish()
    live_final = day.machine.state()

    first, second = compact_day(tmp_path, "2026-03-01"), compact_day(tmp_path, "2026-03-02")
    gaps1, gaps2, bbo2 = [], [], []
    assert replay_file(first.written.path, on_gap=lambda g, o: gaps1.append((g, o))).state("polymarket") == before_midnight
    assert replay_file(second.written.path, on_gap=lambda g, o: gaps2.append((g, o)), on_bbo=bbo2.append).state("polymarket") == live_final
    assert sorted(g.asset_id for g, still_open in gaps1 if still_open) == stale and len(gaps1) == len(stale)
    assert all(g.reason == "bbo_mismatch" and g.end_ns is None for g, _ in gaps1)
    carried = sorted((g.asset_id, g.start_ns // 1000, g.closed_by, o) for g, o in gaps2 if g.reason == "bbo_mismatch")
    assert carried == sorted((g.asset_id, g.start_ns // 1000, "book", False) for g, _ in gaps1)
    assert sum(1 for g, o in gaps2 if g.reason == "stop" and o) == len(assets)  # the run's end leaves every book stale
    # day 2's BBO starts from the carried books (a stale one is not published until its fresh book)
    starts = [b for b in bbo2 if b.source == "checkpoint"]
    assert sorted(b.asset_id for b in starts) == sorted(a for a in assets if a not in stale)
    assert {s.venue for s in (first.venues["polymarket"], second.venues["polymarket"])} == {"polymarket"}
    assert first.venues["polymarket"].reconciles() and second.venues["polymarket"].reconciles()


def test_bad_input_is_counted_and_kept_and_the_day_reconciles(tmp_path):
    day = RawDay(tmp_path, "2026-03-05T10:00:00Z")
    assets = day.world.asset_ids()
    day.open()
    day.subscribe(assets)
    day.changes(20)
    day.record(R.RECV, "PONG")
    day.record(R.RECV, '{"event_type": "price_change", "market": ')  # not JSON: no asset named
    bad = day.world.random_change(assets[1])
    bad["price_changes"][0]["price"] = "not-a-price"  # names its asset: that book is stale now
    day.record(R.RECV, bad)
    unknown = {**real_frames("best_bid_ask.json"), "event_type": "synthetic_future_event"}  # SYNTHETIC type, real shape
    day.record(R.RECV, unknown)
    for name in ("last_trade_price_2024.json", "tick_size_change_2025.json", "market_resolved.json", "new_market.json"):
        day.record(R.RECV, real_frames(name))
    day.changes(20)
    day.close("ConnectionClosed: abrupt")
    day.finish()
    # a second file of the day written by another session: a line that is not a record, then a torn last line
    folder = raw_dir(tmp_path, "polymarket") / "date=2026-03-05"
    extra = R.encode(R.Record(day.t + 10**9, "polymarket", "Z/p000.1", R.OPEN, "ws://x"))
    (folder / "polymarket_ws-20260305T10-Z.jsonl").write_bytes(b"not a record\n" + extra + b'{"t":1,"v":"polym')

    result = compact_day(tmp_path, "2026-03-05")
    s = result.venues["polymarket"]
    assert (s.torn_tails, s.bad_lines, s.malformed) == (1, 1, 2)
    assert s.reconciles() and s.lines == s.records + s.bad_lines
    assert s.records_without_rows["pong"] == 1 and s.records_without_rows["open"] == 2
    assert s.unknown_types == {"synthetic_future_event": 1}
    table = pq.read_table(result.written.path)
    assert table.schema.remove_metadata() == ORDERBOOK_WS_EVENTS and table.num_rows == s.rows == result.rows
    meta = pq.ParquetFile(result.written.path).metadata
    assert meta.row_group(0).column(0).compression == "ZSTD"
    assert reconciliation(result.written.path)["polymarket"]["rows_by_type"] == dict(s.rows_by_type)
    rows = table.to_pylist()
    types = {r["event_type"] for r in rows}
    assert {"book", "price_change", "last_trade_price", "tick_size_change", "market_resolved", "new_market", "unknown", "malformed",
            "subscribe", "stale"} <= types
    [kept] = [r for r in rows if r["event_type"] == "unknown"]
    assert json.loads(kept["detail"]) == unknown  # the event verbatim
    malformed = sorted((r["asset_id"] or "", json.loads(r["detail"])["message"][:8]) for r in rows if r["event_type"] == "malformed")
    assert malformed == [("", "not JSON"), (assets[1], "price_ch")]
    trade = next(r for r in rows if r["event_type"] == "last_trade_price")
    assert trade["side"] in ("buy", "sell") and trade["price"] is not None and trade["size"] is not None
    # sorted by (market, asset_id, ts_received, seq, idx); every row of an asset carries its market
    keys = [(r["market"] is None, r["market"] or "", r["asset_id"] is None, r["asset_id"] or "", r["ts_received"], r["seq"], r["idx"]) for r in rows]
    assert keys == sorted(keys)
    by_asset = {}
    for r in rows:
        if r["asset_id"] in assets:
            by_asset.setdefault(r["asset_id"], set()).add(r["market"])
    assert all(len(markets) == 1 and None not in markets for markets in by_asset.values())
    # the rows rebuild the live machine's final state
    assert replay_file(result.written.path).state("polymarket") == day.machine.state()


def test_rows_of_a_tampered_order_are_refused():
    """The replay refuses rows of an asset that are not together or not in raw-log order (it would rebuild a
    wrong book): it raises instead."""
    import pyarrow as pa
    import pytest

    from polymarket_assets.streaming.ws.bronze_replay import OutOfOrder

    base = {f.name: None for f in ORDERBOOK_WS_EVENTS}
    rows = [{**base, "venue": "polymarket", "asset_id": a, "event_type": "subscribe", "ts_received": 1, "connection_id": "c", "seq": s, "idx": 0,
             "event_idx": 0, "source_file": "f"} for a, s in (("A", 1), ("B", 2), ("A", 3))]
    table = pa.Table.from_pylist(rows, schema=ORDERBOOK_WS_EVENTS)
    with pytest.raises(OutOfOrder, match="not together"):
        BronzeReplay().feed(table.to_batches())
    swapped = copy.deepcopy(rows[:1]) * 2
    with pytest.raises(OutOfOrder, match="raw-log order"):
        BronzeReplay().feed(pa.Table.from_pylist(swapped, schema=ORDERBOOK_WS_EVENTS).to_batches())


def test_a_receive_clock_that_steps_back_is_counted_and_silver_reads_the_day_in_log_order(tmp_path):
    """Bronze is sorted by receive time as the issue asks; if the wall clock stepped back, that order is not the
    raw-log order the live machine saw, so the compaction counts it and silver's reader sorts the day by seq."""
    import pytest

    from polymarket_assets.silver.transforms.orderbook_replay import day_batches
    from polymarket_assets.streaming.ws.bronze_replay import OutOfOrder

    day = RawDay(tmp_path, "2026-03-07T10:00:00Z")
    day.open()
    day.subscribe(day.world.asset_ids())
    day.changes(20)
    day.t -= 2_000_000_000  # NTP stepped the clock back 2 s
    day.changes(20)
    day.close()
    day.finish()
    result = compact_day(tmp_path, "2026-03-07")
    assert result.venues["polymarket"].receive_time_steps_back == 21  # the 20 changes and the close before the clock caught up
    with pytest.raises(OutOfOrder):  # as stored (receive-time order) an asset's rows are not in log order: refused
        BronzeReplay().feed(pq.ParquetFile(result.written.path).iter_batches(columns=list(COLUMNS)))
    ordered = BronzeReplay(keep_state=True)
    ordered.feed(day_batches([str(result.written.path)]))  # what silver reads: ordered by seq for such a day
    ordered.finish()
    assert ordered.state("polymarket") == day.machine.state()


class _Log:
    def __init__(self) -> None:
        self.warnings: list[str] = []

    def info(self, msg: str) -> None:
        pass

    def warning(self, msg: str) -> None:
        self.warnings.append(msg)


def test_a_day_without_raw_log_is_an_empty_partition_and_says_so(tmp_path):
    from polymarket_assets.bronze.datasets import orderbook_snapshots
    from polymarket_assets.bronze.datasets.orderbook_ws_events import compact_days

    log = _Log()
    md = compact_days(tmp_path, ["2026-11-05"], log)
    assert md["dagster/row_count"].value == 0 and md["input_files"].value == 0
    assert len(log.warnings) == 1 and "no WebSocket raw log" in log.warnings[0] and "Materialize the day again" in log.warnings[0]
    rest = _Log()

    class _Context:  # what compact_days reads of an asset context for one day
        log = rest

    orderbook_snapshots.compact_days(_Context(), tmp_path / "stream", tmp_path / "bronze", ["2026-11-05"])
    assert len(rest.warnings) == 1 and "no logger files" in rest.warnings[0]

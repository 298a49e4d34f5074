"""The job end to end, in-process, against the local fake venues serving real book bodies; a fake clock
starts 3 s before a 15-minute boundary. Then bronze compaction and the silver facts over what it wrote."""

import collections
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow.parquet as pq
import pytest
from dagster_duckdb import DuckDBResource

from polymarket_assets.bronze.schemas import ORDERBOOK_SNAPSHOTS
from polymarket_assets.defs.bronze.orderbook_snapshots import orderbook_snapshots as bronze_orderbook_snapshots
from polymarket_assets.defs.silver.assets import silver_assets as SILVER_ASSETS
from polymarket_assets.defs.streaming.orderbook_logger import orderbook_logger_job
from polymarket_assets.resources import LakeResource, PolymarketApiResource, RateLimiterResource
from polymarket_assets.streaming.clock import SYSTEM_CLOCK, Clock
from polymarket_assets.streaming.discovery import read_snapshot
from polymarket_assets_tests.streaming.conftest import BOUNDARY, read_records
from polymarket_assets_tests.streaming.fake_clock import FakeClock
from polymarket_assets_tests.streaming.fake_venues import btc_tokens

DAY = "2025-12-31"


def mat_md(result, *path: str) -> dict:
    key = dg.AssetKey(list(path))
    mats = [e.materialization for e in result.get_asset_materialization_events() if e.asset_key == key]
    assert mats, f"no materialization of {key}"
    return mats[-1].metadata


def resources(url: str, data_dir: Path, clock: Clock = SYSTEM_CLOCK) -> dict:
    limiter = RateLimiterResource(db_path=str(data_dir / "ratelimit.sqlite"))
    return {
        "clock": clock,
        "polymarket_api": PolymarketApiResource(rate_limiter=limiter, gamma_url=url, clob_url=url, limitless_url=url),
        "lake": LakeResource(data_dir=str(data_dir)),
        "duckdb": DuckDBResource(database=str(data_dir / "test.duckdb")),
    }


@pytest.fixture
def logged(server, tmp_path_factory):
    """One 7-second run starting at BOUNDARY - 3 s (crosses 17:15:00Z); shared by the tests below."""
    data_dir = tmp_path_factory.mktemp("lake")
    config = {"duration_minutes": 7 / 60, "polymarket_top_n": 3, "progress_interval_seconds": 2, "btc15m_lead_seconds": 60}
    instance = dg.DagsterInstance.ephemeral()
    result = orderbook_logger_job.execute_in_process(
        run_config={"ops": {"orderbook_logger": {"config": config}}}, resources=resources(server.url, data_dir, FakeClock(BOUNDARY - 3.0)), instance=instance
    )
    result.test_instance = instance
    return result, data_dir


def test_rollover_loses_no_poll_and_no_snapshot(logged):
    result, data_dir = logged
    assert result.success
    records = read_records(data_dir / "stream")
    # --- no lost snapshots: every snapshot the poller produced is on disk, exactly once
    seqs = sorted(r["seq"] for r in records)
    assert seqs == list(range(1, len(records) + 1))
    md = result.get_step_success_events()[0]
    out_md = [e for e in result.all_node_events if e.event_type_value == "STEP_OUTPUT"][0].event_specific_data.metadata
    assert out_md["polymarket_snapshots"].value + out_md["limitless_snapshots"].value == len(records)
    assert out_md["clean_shutdown"].value is True and md is not None
    assert out_md["polymarket_snapshots_per_second"].value > 5 and out_md["fetch_to_disk_p99_ms"].value < 1000
    # live progress was published on the run while it ran (every progress_interval_seconds)
    tags = result.test_instance.get_run_by_id(result.run_id).tags
    assert "polymarket" in tags["orderbook_logger/progress"] and "p99" in tags["orderbook_logger/progress"]
    assert tags["orderbook_logger/heartbeat"].startswith("2025-12-31T17:1")
    # --- every poll cycle polled every active instrument (3 general x 2 + 3 Limitless + 2 BTC)
    by_cycle = collections.defaultdict(list)
    for r in records:
        by_cycle[r["poll_cycle"]].append(r)
    cycles = sorted(by_cycle)
    assert cycles == list(range(1, len(cycles) + 1)) and len(cycles) >= 6
    assert all(len(by_cycle[c]) == 11 for c in cycles)
    # --- the BTC pair switched to the next window's slug at the boundary, with no cycle lost
    old, new = f"btc-updown-15m-{BOUNDARY - 900}", f"btc-updown-15m-{BOUNDARY}"
    switch = None
    for c in cycles:
        btc = [r for r in by_cycle[c] if r["source"] == "polymarket_btc15m"]
        assert len(btc) == 2 and {r["outcome"] for r in btc} == {"Up", "Down"}
        slugs = {r["slug"] for r in btc}
        assert len(slugs) == 1
        received = min(r["received_ts"] for r in btc)
        if slugs == {old}:
            assert switch is None and received < "2025-12-31T17:15:00.000Z"
        else:
            assert slugs == {new} and received >= "2025-12-31T17:14:59"
            switch = switch or c
            assert {r["instrument_id"] for r in btc} == set(btc_tokens(BOUNDARY))
    assert switch is not None and 2 <= switch <= 5, f"switched at cycle {switch}"
    # --- the normalized record
    r = next(r for r in records if r["venue"] == "polymarket")
    assert r["instrument_key"] == f"polymarket:{r['market_id']}:{r['instrument_id']}"
    assert r["exchange_ts"].endswith("Z") and r["received_ts"].endswith("Z") and len(r["received_ts"]) == 24
    assert float(r["bids"][0]["price"]) >= float(r["bids"][-1]["price"]) and r["best_bid"] == r["bids"][0]["price"]
    assert float(r["asks"][0]["price"]) <= float(r["asks"][-1]["price"]) and r["best_ask"] == r["asks"][0]["price"]
    lim = next(r for r in records if r["venue"] == "limitless")
    assert lim["instrument_id"] == "BOOK" and lim["exchange_ts"] is None
    # --- files: hourly JSONL per venue, and the atomic snapshot + metadata + stats under state/
    files = sorted(p.relative_to(data_dir / "stream").as_posix() for p in (data_dir / "stream").glob("*/orderbooks/*/*.jsonl"))
    assert [f.split("/")[0] for f in files] == ["limitless", "polymarket"]
    assert all(f.split("/")[2] == f"date={DAY}" and f.split("/")[3].startswith("hour=17.") for f in files)
    snapshot = read_snapshot(data_dir / "_state" / "active_instruments.snapshot.json")
    assert {i["slug"] for i in snapshot if i["source"] == "polymarket_btc15m"} >= {new}
    stats = json.loads((data_dir / "_state" / "orderbook_logger.stats.json").read_text())
    assert stats["final"] and stats["clean_shutdown"] and stats["totals"]["missed_ticks"] == 0
    assert list((data_dir / "stream" / "polymarket" / "markets").glob("date=*/markets.jsonl"))


def test_bronze_and_silver_over_the_logged_day(logged):
    result, data_dir = logged
    records = read_records(data_dir / "stream")
    # a torn final line (a process killed mid-write) is skipped and counted
    hour_file = next((data_dir / "stream" / "polymarket" / "orderbooks").glob("date=*/*.jsonl"))
    with open(hour_file, "ab") as fh:
        fh.write(b'{"snapshot_id": "torn-1", "venue": "polymar')
    res = resources("http://127.0.0.1:9", data_dir)
    out = dg.materialize([bronze_orderbook_snapshots], partition_key=DAY, resources=res)
    assert out.success
    md = mat_md(out, "bronze", "orderbook_snapshots")
    assert md["dagster/row_count"].value == len(records)
    assert md["torn_lines_skipped"].value == 1
    assert md["corrupt_lines_skipped"].value == 0
    # the engine's metadata helpers: the column schema, the day's window, the preview table
    assert [c.name for c in md["dagster/column_schema"].schema.columns] == ORDERBOOK_SNAPSHOTS.names
    assert md["time_window"].value.startswith(f"[{DAY}T00:00:00Z") and md["preview"].value.startswith("| received_ts | venue |")
    part = data_dir / "bronze" / "orderbook_snapshots" / f"dt={DAY}" / "part-0.parquet"
    table = pq.read_table(part)
    assert table.num_rows == len(records)
    assert str(table.schema.field("best_bid").type) == "decimal128(18, 6)"
    assert str(table.schema.field("received_ts").type) == "timestamp[ms, tz=UTC]"
    # silver: fact + minute series; a second run loads nothing (ledger), re-compaction replaces the day
    silver = [a for a in SILVER_ASSETS if a.key.path[-1] in ("orderbook_snapshot_fact", "orderbook_top_of_book_1m")]
    first = dg.materialize(silver, resources=res)
    assert first.success
    assert all(e.passed for e in first.get_asset_check_evaluations())
    fact_md = mat_md(first, "silver", "orderbook_snapshot_fact")
    assert fact_md["dagster/row_count"].value == len(records)
    second = dg.materialize(silver, resources=res)
    assert mat_md(second, "silver", "orderbook_snapshot_fact")["days_loaded"].value == 0
    dg.materialize([bronze_orderbook_snapshots], partition_key=DAY, resources=res)
    third = dg.materialize(silver, resources=res)
    for table in ("orderbook_snapshot_fact", "orderbook_top_of_book_1m"):
        md = mat_md(third, "silver", table)
        assert (md["days_loaded"].value, md["days_loaded_range"].value) == (1, DAY), table
    with duckdb.connect(str(data_dir / "test.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*), count(DISTINCT snapshot_id) FROM silver.orderbook_snapshot_fact").fetchone() == (len(records),) * 2
        per_instrument = con.execute(
            "SELECT count(DISTINCT instrument_key), sum(snapshots) FROM silver.orderbook_top_of_book_1m"
        ).fetchone()
        assert per_instrument == (len({r["instrument_key"] for r in records}), len(records))
        btc = con.execute(
            "SELECT slug, min(minute) FROM silver.orderbook_top_of_book_1m WHERE instrument_key LIKE 'polymarket:%' AND slug LIKE 'btc-%' GROUP BY slug ORDER BY 2"
        ).fetchall()
        assert [s for s, _ in btc] == [f"btc-updown-15m-{BOUNDARY - 900}", f"btc-updown-15m-{BOUNDARY}"]


@pytest.mark.slow
def test_sigterm_flushes_and_exits_within_seconds(server, tmp_path):
    """SIGTERM to a process running the job (as a run worker receives from Terminate): the op sees
    DagsterExecutionInterruptedError, stops the threads, flushes + fsyncs, and the process exits fast."""
    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-m", "polymarket_assets_tests.streaming.run_logger_job", server.url, str(tmp_path), "10"],
        cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    stats_file = tmp_path / "_state" / "orderbook_logger.stats.json"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not stats_file.exists():
        time.sleep(0.1)
    assert stats_file.exists(), proc.stderr.read() if proc.poll() is not None else "logger did not start"
    time.sleep(1.5)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=20)
    elapsed = time.monotonic() - t0
    assert elapsed < 5, f"took {elapsed:.1f}s to exit"
    assert json.loads(out.strip().splitlines()[-1])["status"] == "FAILURE"  # interrupted without a UI request
    assert "orderbook_logger interrupted: stopped and flushed" in err
    final = json.loads(stats_file.read_text())
    assert final["final"] and final["clean_shutdown"] and final["shutdown_seconds"] < 3
    records = read_records(tmp_path / "stream")  # asserts every file ends with a complete line
    assert len(records) == sum(v["snapshots"] for v in final["venues"].values()) > 0
    assert sorted(r["seq"] for r in records) == list(range(1, len(records) + 1))


@pytest.mark.slow
def test_bench_smoke(tmp_path):
    """bench/logger.py end to end for a few seconds (the 5-minute figures are in the README)."""
    repo = Path(__file__).resolve().parents[2]
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench.logger", "--duration", "8", "--general-markets", "100", "--limitless", "4", "--out", str(out)],
        cwd=repo, capture_output=True, text=True, timeout=120,
    )
    result = json.loads(out.read_text())
    assert result["books_per_tick_total"] >= 200, proc.stderr[-2000:]
    assert result["lost_snapshots"] == 0 and result["seq_contiguous_no_duplicates"]
    assert result["fetch_to_disk_ms"]["p99"] < 1000


def test_limitless_outage_cools_down_without_slowing_polymarket(server, clients, tmp_path):
    """Real clients + transport against the local server: Limitless answers 500, then hangs."""
    from polymarket_assets.streaming.clock import Clock
    from polymarket_assets.streaming.logger_run import OrderbookLoggerConfig, build_logger

    gamma, clob, limitless = clients
    cfg = OrderbookLoggerConfig(
        polymarket_top_n=3, cadence_seconds=0.25, cooldown_after_failures=3, cooldown_base_seconds=1.0,
        backoff_base_seconds=0.25, backoff_max_seconds=0.5, limitless_workers=2, progress_interval_seconds=60,
        sources=["polymarket_general", "limitless"], shutdown_grace_seconds=0.5,
    )
    logger = build_logger(cfg, gamma=gamma, clob=clob, limitless=limitless, stream_dir=tmp_path / "stream",
                          state_dir=tmp_path / "state", clock=Clock(), run_tag="outage")
    logger.start()  # returns at once; discovery runs in its own threads
    assert logger.discovery.first_pass_done.wait(10)  # discovery sees Limitless healthy
    server.state.faults["limitless"] = "500"
    time.sleep(2.0)
    server.state.hang_seconds = 1.5
    server.state.faults["limitless"] = "hang"
    time.sleep(2.0)
    summary = logger.run(0)  # stop now
    lim, poly = summary["venues"]["limitless"], summary["venues"]["polymarket"]
    assert lim["request_errors"] >= 3 and lim["cooldowns"] >= 1 and lim["cooldown_skips"] > 0 and lim["backoffs"] > 0
    assert "ApiHttpError" in summary["last_errors"]["limitless"] or "ApiUnreachableError" in summary["last_errors"]["limitless"]
    # Polymarket: every tick polled all 6 instruments, none failed, none skipped
    assert poly["request_errors"] == 0 and poly["backoff_skips"] == 0 and poly["inflight_skips"] == 0
    ticks = summary["totals"]["cycles"]
    assert poly["snapshots"] >= 6 * (ticks - 1) and ticks >= 14
    assert summary["clean_shutdown"] and summary["shutdown_seconds"] < 3

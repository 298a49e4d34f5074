"""The order-book logger with the lake on S3: its live files stay on local disk and are shipped when closed;
its heartbeat is in the lake, where the sensor reads it; the compaction reads the shipped files from S3 and
writes the partition there; silver loads it from S3 — the same rows as the local files hold."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster_duckdb import DuckDBResource

from polymarket_assets.bronze.parquet_io import read_partition
from polymarket_assets.defs.bronze.orderbook_snapshots import orderbook_snapshots as bronze_orderbook_snapshots
from polymarket_assets.defs.silver.assets import silver_assets as SILVER_ASSETS
from polymarket_assets.defs.streaming.orderbook_logger import orderbook_logger_job
from polymarket_assets.lake.shipping import StreamShipper
from polymarket_assets.resources import PolymarketApiResource, RateLimiterResource
from polymarket_assets.streaming import logger_run as job_module
from polymarket_assets.streaming.clock import FakeClock
from polymarket_assets.streaming.sensor import heartbeat_age
from polymarket_assets_tests.streaming.conftest import BOUNDARY, read_records

DAY = "2025-12-31"
ORDERBOOK_TABLES = ("orderbook_snapshot_fact", "orderbook_top_of_book_1m")


@pytest.mark.slow
def test_logger_ships_to_s3_and_bronze_and_silver_read_it_there(server, s3_lake, s3_server, s3_bucket, tmp_path, monkeypatch):
    monkeypatch.setattr(job_module, "CLOCK_FACTORY", lambda: FakeClock(BOUNDARY - 3.0))
    limiter = RateLimiterResource(db_path=str(tmp_path / "ratelimit.sqlite"))
    resources = {
        "polymarket_api": PolymarketApiResource(rate_limiter=limiter, gamma_url=server.url, clob_url=server.url, limitless_url=server.url),
        "lake": s3_lake,
        "duckdb": DuckDBResource(database=str(tmp_path / "polymarket.duckdb")),
    }
    config = {"duration_minutes": 5 / 60, "polymarket_top_n": 2, "progress_interval_seconds": 2, "btc15m_lead_seconds": 60}
    instance = dg.DagsterInstance.ephemeral()
    result = orderbook_logger_job.execute_in_process(run_config={"ops": {"orderbook_logger": {"config": config}}}, resources=resources, instance=instance)
    assert result.success

    # live files on local disk, each shipped whole when it was closed (same bytes in the bucket)
    local_stream = tmp_path / "local" / "stream"
    records = read_records(local_stream)
    assert records
    local_files = {p.relative_to(local_stream).as_posix(): p.read_bytes() for p in local_stream.rglob("*.jsonl")}
    shipped = {k.removeprefix("lake/stream/"): k for k in s3_server.keys(s3_bucket, "lake/stream/")}
    assert set(shipped) == set(local_files)  # the hourly order-book files and the markets metadata
    client = s3_server.client()
    for rel, data in local_files.items():
        assert client.get_object(Bucket=s3_bucket, Key=shipped[rel])["Body"].read() == data, rel
    out_md = [e for e in result.all_node_events if e.event_type_value == "STEP_OUTPUT"][0].event_specific_data.metadata
    assert out_md["clean_shutdown"].value is True
    # the heartbeat is in the lake (the sensor reads it from any machine), the snapshot hand-off stays local
    stats = json.loads((s3_lake.state / "orderbook_logger.stats.json").read_text())
    assert stats["final"] and stats["shipping"]["ship_failures"] == 0 and stats["shipping"]["files_shipped"] >= len(local_files)
    assert (tmp_path / "local" / "_state" / "active_instruments.snapshot.json").exists()
    run = instance.get_run_by_id(result.run_id)
    assert run is not None and stats["run_tag"] == run.run_id.split("-")[0]
    age = heartbeat_age(instance, run, s3_lake.state, now=__import__("time").time())
    assert age is not None and age < 120

    # compaction from the S3 stream files into an S3 partition; then silver from S3
    compacted = dg.materialize([bronze_orderbook_snapshots], partition_key=DAY, resources=resources)
    assert compacted.success
    table = read_partition(s3_lake.bronze, "orderbook_snapshots", DAY)
    assert table.num_rows == len(records)
    assert sorted(table["snapshot_id"].to_pylist()) == sorted(r["snapshot_id"] for r in records)
    silver = [a for a in SILVER_ASSETS if a.key.path[-1] in ORDERBOOK_TABLES]
    built = dg.materialize(silver, resources=resources)
    assert built.success and all(e.passed for e in built.get_asset_check_evaluations())
    with duckdb.connect(str(tmp_path / "polymarket.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM silver.orderbook_snapshot_fact").fetchone() == (len(records),)
        assert con.execute("SELECT sum(snapshots) FROM silver.orderbook_top_of_book_1m").fetchone() == (len(records),)
        fingerprints = con.execute("SELECT fingerprint FROM silver_meta.load_ledger WHERE source = 'orderbook_snapshots'").fetchall()
    assert len(fingerprints) == 1
    again = dg.materialize(silver, resources=resources)  # unchanged on S3 (same size, mtime and ETag): nothing to load
    md = {e.asset_key.path[-1]: e.materialization.metadata for e in again.get_asset_materialization_events()}
    assert md["orderbook_snapshot_fact"]["days_loaded"].value == 0


def test_sync_ships_what_an_earlier_run_left_behind(s3_lake, s3_server, s3_bucket, tmp_path):
    """A logger killed after closing a file (or whose shipper timed out) left it unshipped: the next run's
    catch-up finds every local file whose lake copy is missing or shorter, and ships it."""
    local = tmp_path / "live"
    done = local / "polymarket" / "orderbooks" / "date=2025-12-31" / "hour=16.r1.jsonl"
    grown = local / "polymarket" / "orderbooks" / "date=2025-12-31" / "hour=17.r1.jsonl"
    for path in (done, grown):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b'{"snapshot_id": "a"}\n')
    shipper = StreamShipper(local, s3_lake.stream_lake)
    shipper.start()
    shipper.ship(done)
    shipper.ship(grown)
    assert shipper.close(timeout=30)
    with open(grown, "ab") as fh:  # a late line reopened the hour after it was shipped
        fh.write(b'{"snapshot_id": "b"}\n')
    (local / "limitless" / "orderbooks" / "date=2025-12-31").mkdir(parents=True)
    never = local / "limitless" / "orderbooks" / "date=2025-12-31" / "hour=17.r1.jsonl"
    never.write_bytes(b'{"snapshot_id": "c"}\n')
    again = StreamShipper(local, s3_lake.stream_lake)
    assert sorted(p.name for p in again.unshipped()) == ["hour=17.r1.jsonl", "hour=17.r1.jsonl"]
    again.start()
    again.request_sync()
    assert again.close(timeout=30)
    assert again.unshipped() == []
    body = s3_server.client().get_object(Bucket=s3_bucket, Key="lake/stream/polymarket/orderbooks/date=2025-12-31/hour=17.r1.jsonl")["Body"].read()
    assert body == grown.read_bytes()
    assert Path(done).exists()  # shipping never deletes the local copy

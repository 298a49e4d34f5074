"""orderbook_stream_job with the lake on S3: the raw log is written on local disk and each file is shipped whole
when it is closed; the heartbeat is in the lake, where the keep-alive sensor reads it; bronze/orderbook_ws_events
compacts the shipped files from S3 into an S3 partition, and silver/orderbook_bbo and orderbook_gaps replay it
from there — the same rows as the same day compacted from the local files."""

from __future__ import annotations

import json
import time

import dagster as dg
import duckdb
import pytest
from dagster_duckdb import DuckDBResource

from polymarket_assets.bronze.parquet_io import read_partition
from polymarket_assets.defs.bronze.orderbook_ws_events import orderbook_ws_events
from polymarket_assets.defs.silver.assets import silver_assets as SILVER_ASSETS
from polymarket_assets.defs.streaming.orderbook_stream import orderbook_stream_job
from polymarket_assets.resources import LakeResource, PolymarketApiResource, RateLimiterResource
from polymarket_assets.streaming.sensor import STREAM, heartbeat_age
from polymarket_assets.streaming.ws.rawlog import raw_files
from polymarket_assets_tests.streaming.test_stream_job import NOWHERE, stream_config
from polymarket_assets_tests.support.ws_venues import WsVenues

WS_TABLES = ("orderbook_bbo", "orderbook_gaps")


def _resources(lake: LakeResource, venues: WsVenues, tmp_path, db: str) -> dict:
    limiter = RateLimiterResource(db_path=str(tmp_path / "ratelimit.sqlite"))
    api = PolymarketApiResource(rate_limiter=limiter, gamma_url=NOWHERE, clob_url=NOWHERE, limitless_url=NOWHERE,
                                polymarket_ws_url=venues.polymarket_url, limitless_ws_url=venues.limitless_url)
    return {"polymarket_api": api, "lake": lake, "duckdb": DuckDBResource(database=str(tmp_path / db))}


def _silver_rows(db, table: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        cols = "venue, asset_id, ts_received, best_bid, best_ask" if table == "orderbook_bbo" else "venue, asset_id, reason, start_ts"
        return con.execute(f"SELECT {cols} FROM silver.{table} ORDER BY ALL").fetchall()


@pytest.mark.slow
def test_stream_ships_to_s3_and_bronze_and_silver_read_it_there(s3_lake, s3_server, s3_bucket, tmp_path):
    instance = dg.DagsterInstance.ephemeral()
    with WsVenues() as venues:
        res = _resources(s3_lake, venues, tmp_path, "s3.duckdb")
        result = orderbook_stream_job.execute_in_process(run_config={"ops": {"orderbook_stream": {"config": stream_config(venues, 3)}}},
                                                         resources=res, instance=instance)
    assert result.success

    # every live file (raw log and gap files) on local disk, shipped whole: the same bytes in the bucket
    local_root = tmp_path / "local"
    local_files = {p.relative_to(local_root / "stream").as_posix(): p.read_bytes()
                   for p in (local_root / "stream").rglob("*") if p.is_file()}
    assert any(k.startswith("polymarket_ws/raw/") for k in local_files) and any(k.startswith("limitless_ws/raw/") for k in local_files)
    shipped = {k.removeprefix("lake/stream/"): k for k in s3_server.keys(s3_bucket, "lake/stream/")}
    assert set(shipped) == set(local_files)
    client = s3_server.client()
    for rel, data in local_files.items():
        assert client.get_object(Bucket=s3_bucket, Key=shipped[rel])["Body"].read() == data, rel

    # the heartbeat is in the lake; the sensor's reader finds it there
    beat = json.loads((s3_lake.state / STREAM.heartbeat_file).read_text())
    assert beat["final"] and beat["run_tag"] == result.run_id.split("-")[0]
    run = instance.get_run_by_id(result.run_id)
    assert run is not None
    age = heartbeat_age(instance, run, s3_lake.state, now=time.time(), spec=STREAM)
    assert age is not None and age < 120

    # bronze from the shipped files into S3, then silver from S3
    day = sorted({p.parent.name.removeprefix("date=") for p in raw_files(local_root, "polymarket")})[-1]
    assert dg.materialize([orderbook_ws_events], partition_key=day, resources=res).success
    on_s3 = read_partition(s3_lake.bronze, "orderbook_ws_events", day)
    assert on_s3.num_rows > 0
    silver = [a for a in SILVER_ASSETS if a.key.path[-1] in WS_TABLES]
    built = dg.materialize(silver, resources=res)
    assert built.success and all(e.passed for e in built.get_asset_check_evaluations())

    # the same day compacted from the same files in a local lake gives the same bronze rows and silver rows
    local_lake = tmp_path / "local_lake"
    (local_lake / "stream").mkdir(parents=True)
    for rel, data in local_files.items():
        (local_lake / "stream" / rel).parent.mkdir(parents=True, exist_ok=True)
        (local_lake / "stream" / rel).write_bytes(data)
    with WsVenues() as venues:
        local_res = _resources(LakeResource(data_dir=str(local_lake)), venues, tmp_path, "local.duckdb")
    assert dg.materialize([orderbook_ws_events], partition_key=day, resources=local_res).success
    local_bronze = read_partition(local_res["lake"].bronze, "orderbook_ws_events", day)
    assert on_s3.drop_columns(["source_file"]).equals(local_bronze.drop_columns(["source_file"]))
    assert dg.materialize(silver, resources=local_res).success
    for table in WS_TABLES:
        assert _silver_rows(tmp_path / "s3.duckdb", table) == _silver_rows(tmp_path / "local.duckdb", table), table
    assert _silver_rows(tmp_path / "s3.duckdb", "orderbook_bbo")

"""orderbook_stream_job end to end against the local WebSocket venues (real frames): in-process (then bronze and
silver over what it wrote), through the real CLI, an unreachable URL, and SIGTERM of a real job process."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
import zstandard
from dagster_duckdb import DuckDBResource

from polymarket_assets.defs.bronze.orderbook_ws_events import orderbook_ws_events
from polymarket_assets.defs.streaming.orderbook_stream import orderbook_stream_job
from polymarket_assets.resources import LakeResource, PolymarketApiResource, RateLimiterResource
from polymarket_assets.streaming.ws import records as R
from polymarket_assets.streaming.ws.rawlog import ReadStats, iter_records, raw_files
from polymarket_assets_tests.silver.helpers import checks, materialize
from polymarket_assets_tests.support.ws_venues import WsVenues

REPO = Path(__file__).resolve().parents[2]
NOWHERE = "http://127.0.0.1:9"


def stream_config(venues: WsVenues, seconds: float, **more) -> dict:
    return {"duration_minutes": seconds / 60, "sources": [], "polymarket_token_ids": venues.token_ids,
            "limitless_market_slugs": venues.limitless_slugs, "max_assets_per_connection": 2, "open_interval_seconds": 0.01,
            "heartbeat_interval_seconds": 0.3, "metrics_interval_seconds": 0.5, "connect_attempts": 3, "backoff_initial_seconds": 0.05,
            **more}


def resources(data_dir: Path, *, polymarket_ws_url: str, limitless_ws_url: str) -> dict:
    limiter = RateLimiterResource(db_path=str(data_dir / "ratelimit.sqlite"))
    api = PolymarketApiResource(rate_limiter=limiter, gamma_url=NOWHERE, clob_url=NOWHERE, limitless_url=NOWHERE,
                                polymarket_ws_url=polymarket_ws_url, limitless_ws_url=limitless_ws_url)
    return {"polymarket_api": api, "lake": LakeResource(data_dir=str(data_dir)), "duckdb": DuckDBResource(database=str(data_dir / "s.duckdb"))}


def complete_records(data_dir: Path, venue: str) -> list[R.Record]:
    """Every raw file ends its zstd frame (the stop flushed and closed it) and holds only complete records."""
    files = raw_files(data_dir, venue)
    assert files, f"no raw log for {venue}"
    for path in files:
        assert zstandard.ZstdDecompressor().decompressobj().decompress(path.read_bytes()).endswith(b"\n")
    stats = ReadStats()
    records = list(iter_records(files, stats))
    assert stats.torn_tails == 0 and stats.bad_lines == 0
    return records


def output_metadata(result) -> dict:
    [event] = [e for e in result.all_node_events if e.event_type_value == "STEP_OUTPUT"]
    return {k: v.value for k, v in event.event_specific_data.metadata.items()}


def test_job_in_process_then_bronze_and_silver(tmp_path):
    instance = dg.DagsterInstance.ephemeral()
    with WsVenues() as venues:
        res = resources(tmp_path, polymarket_ws_url=venues.polymarket_url, limitless_ws_url=venues.limitless_url)
        result = orderbook_stream_job.execute_in_process(run_config={"ops": {"orderbook_stream": {"config": stream_config(venues, 3)}}},
                                                         resources=res, instance=instance)
    assert result.success
    md = output_metadata(result)
    assert md["stop_reason"] == "max_seconds" and md["shutdown_seconds"] < 3
    assert md["polymarket_level_changes"] > 50 and md["polymarket_changes_per_s_run"] > 10 and md["limitless_messages"] > 3
    assert md["polymarket_reconnects"] == 0 and md["polymarket_malformed_frames"] == 0 and md["polymarket_writer_lag_warnings"] == 0
    assert md["polymarket_writer_records"] == len(complete_records(tmp_path, "polymarket"))
    assert md["limitless_writer_records"] == len(complete_records(tmp_path, "limitless"))
    assert md["summary"]["venues"]["polymarket"]["connections_open"] == 0
    [observed] = [e for e in result.all_node_events if e.event_type_value == "ASSET_OBSERVATION"]
    observation = observed.event_specific_data.asset_observation
    assert observation.asset_key.to_user_string() == "bronze/orderbook_ws_events"
    assert observation.metadata["polymarket_level_changes"].value == md["polymarket_level_changes"]
    beat = json.loads((tmp_path / "_state" / "orderbook_stream.stats.json").read_text())
    assert beat["final"] and beat["run_tag"] == result.run_id.split("-")[0]
    tags = instance.get_run_by_id(result.run_id).tags
    assert "polymarket" in tags["orderbook_stream/progress"] and "msg/s" in tags["orderbook_stream/progress"]
    # bronze, then silver, over the day the run wrote
    day = sorted({p.parent.name.removeprefix("date=") for p in raw_files(tmp_path, "polymarket")})[-1]
    bronze = dg.materialize([orderbook_ws_events], partition_key=day, resources=res)
    bmd = {k: v.value for k, v in bronze.get_asset_materialization_events()[0].materialization.metadata.items()}
    assert bmd["dagster/row_count"] > md["polymarket_level_changes"] and set(bmd["rows_by_venue"]) == {"polymarket", "limitless"}
    assert bmd["torn_tails"] == 0 and bmd["bad_lines"] == 0
    silver = materialize(tmp_path, tmp_path / "s.duckdb", ["orderbook_bbo", "orderbook_gaps"])
    assert silver.success and all(e.passed for e in checks(silver).values())


def test_an_unreachable_ws_url_fails_the_run_naming_the_setting_and_the_url(tmp_path):
    """The unreachable venue fails the run (at its end) naming the setting; the reachable one captured meanwhile."""
    with WsVenues() as venues:
        res = resources(tmp_path, polymarket_ws_url="ws://127.0.0.1:9/ws/market", limitless_ws_url=venues.limitless_url)
        cfg = stream_config(venues, 4, connect_attempts=2)
        started = time.monotonic()
        result = orderbook_stream_job.execute_in_process(run_config={"ops": {"orderbook_stream": {"config": cfg}}}, resources=res,
                                                         raise_on_error=False)
    assert not result.success
    assert time.monotonic() - started < 30
    assert complete_records(tmp_path, "limitless"), "the reachable venue must keep capturing while the other is down"
    assert any(r.kind == R.RECV for r in complete_records(tmp_path, "limitless"))
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    message = failure.event_specific_data.error.message + (failure.event_specific_data.user_failure_data.description or "")
    for needle in ("POLYMARKET_WS_URL", "ws://127.0.0.1:9/ws/market", "after 2 attempts", "resource config polymarket_api.polymarket_ws_url"):
        assert needle in message, message


@pytest.mark.slow
def test_cli_job_execute_of_a_short_bounded_run(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    with WsVenues() as venues:
        config = tmp_path / "run.yaml"
        cfg = stream_config(venues, 4)
        config.write_text(json.dumps({"ops": {"orderbook_stream": {"config": cfg}}}))  # JSON is YAML
        env = {**os.environ, "PYTHONPATH": str(REPO), "DAGSTER_HOME": str(home), "POLYMARKET_DATA_DIR": str(tmp_path / "data"),
               "POLYMARKET_WS_URL": venues.polymarket_url, "LIMITLESS_WS_URL": venues.limitless_url,
               "POLYMARKET_GAMMA_URL": NOWHERE, "POLYMARKET_CLOB_URL": NOWHERE, "LIMITLESS_API_URL": NOWHERE}
        dagster = Path(sys.executable).with_name("dagster")
        done = subprocess.run([str(dagster), "job", "execute", "-m", "polymarket_assets", "-j", "orderbook_stream_job", "-c", str(config)],
                              env=env, cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "RUN_SUCCESS" in done.stdout + done.stderr
    data = tmp_path / "data"
    assert sum(r.kind == R.RECV for r in complete_records(data, "polymarket")) > 20
    assert complete_records(data, "limitless")
    assert json.loads((data / "_state" / "orderbook_stream.stats.json").read_text())["final"]


@pytest.mark.slow
def test_sigterm_of_a_job_process_stops_cleanly_within_seconds(tmp_path):
    with WsVenues() as venues:
        args = [sys.executable, "-m", "polymarket_assets_tests.streaming.run_stream_job", venues.polymarket_url, venues.limitless_url,
                str(tmp_path), json.dumps(stream_config(venues, 120))]
        proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        beat = tmp_path / "_state" / "orderbook_stream.stats.json"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (beat.exists() and json.loads(beat.read_text())["venues"].get("polymarket", {}).get("level_changes")):
            time.sleep(0.1)
        assert beat.exists(), proc.stderr.read() if proc.poll() is not None else "the job did not start"
        time.sleep(1.0)
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
        took = time.monotonic() - sent
    assert took < 5, f"took {took:.1f} s to exit"
    assert json.loads(out.strip().splitlines()[-1])["status"] == "FAILURE"  # interrupted, not by the UI
    assert "orderbook_stream interrupted: stopped and flushed" in err
    final = json.loads(beat.read_text())
    assert final["final"] and final["stop_reason"] == "stopped" and final["shutdown_seconds"] < 3, err[-3000:]
    records = complete_records(tmp_path, "polymarket")
    assert len(records) == final["venues"]["polymarket"]["writer_records"]
    closes = [r for r in records if r.kind == R.CLOSE]
    assert closes and all('"stop"' in r.data for r in closes)  # every connection closed on the way out
    assert complete_records(tmp_path, "limitless")
    assert dt.datetime.fromisoformat(final["at"].replace("Z", "+00:00")) <= dt.datetime.now(dt.timezone.utc)


def test_bad_run_config_fails_before_any_connection_naming_every_bad_field(tmp_path):
    cfg = {"duration_minutes": 0, "connect_attempts": 0, "flush_interval_seconds": 2.0, "max_assets_per_connection": 900,
           "polymarket_token_ids": ["1"]}
    res = resources(tmp_path, polymarket_ws_url="ws://127.0.0.1:9/ws/market", limitless_ws_url="ws://127.0.0.1:9")
    result = orderbook_stream_job.execute_in_process(run_config={"ops": {"orderbook_stream": {"config": cfg}}}, resources=res,
                                                     raise_on_error=False)
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    message = failure.event_specific_data.error.message + (failure.event_specific_data.user_failure_data.description or "")
    for field in ("duration_minutes must be > 0", "connect_attempts must be >= 1", "flush_interval_seconds must be in (0, 1]",
                  "max_assets_per_connection must be 1..500", "ops.orderbook_stream.config"):
        assert field in message, message
    assert not (tmp_path / "stream").exists()  # nothing was started

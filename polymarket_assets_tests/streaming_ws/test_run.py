"""A whole bounded run: metrics, gap files, a clean stop on SIGTERM or asyncio cancel that flushes everything."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import zstandard

from polymarket_assets.streaming.ws import records as R
from polymarket_assets.streaming.ws.config import PolymarketWsOptions, StreamUnreachable
from polymarket_assets.streaming.ws.rawlog import ReadStats, iter_records, raw_files
from polymarket_assets.streaming.ws.run import StreamRunConfig, run_streams
from polymarket_assets.streaming.ws.selection import Target
from polymarket_assets_tests.streaming_ws.harness import until
from polymarket_assets_tests.support.clob_ws_server import MarketChannelServer
from polymarket_assets_tests.support.clob_ws_world import MarketWorld

ROOT = Path(__file__).resolve().parents[2]


def complete_frames(tmp_path: Path) -> list[R.Record]:
    files = raw_files(tmp_path, "polymarket")
    assert files
    for path in files:  # strict: every file ends its zstd frame (stop flushed and closed it)
        data = zstandard.ZstdDecompressor().decompressobj().decompress(path.read_bytes())
        assert data.endswith(b"\n")
    stats = ReadStats()
    records = list(iter_records(files, stats))
    assert stats.torn_tails == 0 and stats.bad_lines == 0
    return records


def test_run_metrics_gap_files_and_a_cancel_that_flushes(tmp_path):
    world = MarketWorld.synthetic(3)

    async def scenario():
        async with MarketChannelServer(world) as server:
            opts = PolymarketWsOptions(url=server.url, open_interval=0.01, max_assets_per_connection=2)
            box = {}
            task = asyncio.create_task(run_streams(
                StreamRunConfig(tmp_path, polymarket=opts, metrics_interval=0.2, session="RUN1"),
                polymarket_targets=[Target(a, world.books[a].market) for a in world.asset_ids()],
                on_started=box.update,
            ))
            await until(lambda: "polymarket" in box and len(box["polymarket"].machine.books()) == 6)
            server.drop()
            await until(lambda: box["polymarket"].metrics.counts["reconnects"] >= 3 and len(box["polymarket"].machine.books()) == 6)
            await server.random_changes(50)
            await asyncio.sleep(0.5)  # a metrics pass writes the closed gaps
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            return box["polymarket"]

    stream = asyncio.run(scenario())
    records = complete_frames(tmp_path)
    closes = [r for r in records if r.kind == R.CLOSE]
    assert sum('"stop"' in r.data for r in closes) == 3  # every connection closed on the way out
    gap_files = list((tmp_path / "stream" / "polymarket_ws" / "gaps").glob("date=*/gaps-RUN1.jsonl"))
    gaps = [json.loads(line) for f in gap_files for line in f.read_text().splitlines()]
    assert sum(1 for g in gaps if g["reason"] == "reconnect" and g["closed_by"] == "book") == 6
    assert sum(1 for g in gaps if g["open"] and g["reason"] == "stop") == 6
    snap = stream.metrics.snapshot()
    assert snap["reconnects"] == 3 and snap["level_changes"] == 100 and snap["writer_records"] == len(records)


def test_an_unreachable_url_fails_the_run_after_flushing(tmp_path, monkeypatch):
    from polymarket_assets import settings
    from polymarket_assets.streaming.ws.config import ws_url

    monkeypatch.setenv("POLYMARKET_WS_URL", "ws://127.0.0.1:9/ws/market")
    url, origin = ws_url(settings.POLYMARKET_WS_URL)
    opts = PolymarketWsOptions(url=url, url_origin=origin, connect_attempts=2, backoff_initial=0.01, open_interval=0.0)
    with pytest.raises(StreamUnreachable, match=r"ws://127.0.0.1:9/ws/market after 2 attempts.*environment variable POLYMARKET_WS_URL"):
        asyncio.run(run_streams(StreamRunConfig(tmp_path, polymarket=opts), polymarket_targets=[Target("1")]))


def test_ws_url_settings_accept_only_ws_schemes(monkeypatch):
    from polymarket_assets import settings
    from polymarket_assets.streaming.ws.config import ws_url

    monkeypatch.delenv("LIMITLESS_WS_URL", raising=False)
    assert ws_url(settings.LIMITLESS_WS_URL) == ("wss://ws.limitless.exchange", "the default (set LIMITLESS_WS_URL to change it)")
    monkeypatch.setenv("LIMITLESS_WS_URL", "https://ws.limitless.exchange")
    with pytest.raises(settings.SettingError, match="LIMITLESS_WS_URL must be an ws/wss base URL"):
        ws_url(settings.LIMITLESS_WS_URL)


@pytest.mark.slow
def test_sigterm_stops_cleanly_within_seconds_and_flushes_everything(tmp_path):
    child = subprocess.Popen([sys.executable, str(Path(__file__).with_name("run_stream_child.py")), str(tmp_path)],
                             stdout=subprocess.PIPE, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert child.stdout.readline().strip() == "READY"
        time.sleep(0.5)
        sent = time.monotonic()
        child.send_signal(signal.SIGTERM)
        out, _ = child.communicate(timeout=15)
        took = time.monotonic() - sent
    finally:
        child.kill()
    assert child.returncode == 0 and took < 5, took
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["stop_reason"] == "stopped"
    records = complete_frames(tmp_path)
    assert summary["venues"]["polymarket"]["writer_records"] == len(records)
    assert sum(r.kind == R.CLOSE and '"stop"' in r.data for r in records) == 4

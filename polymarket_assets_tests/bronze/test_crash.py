"""Kill -9 in the middle of writing: no partial partition is ever visible."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from polymarket_assets.bronze.parquet_io import PartitionWriter, partition_dir, read_partition, write_partition
from polymarket_assets.bronze.schemas import MARKET_TOKENS
from polymarket_assets_tests.bronze.test_parquet_io import rows

REPO = Path(__file__).resolve().parents[2]
DAY = "2026-11-03"


def _spawn(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "polymarket_assets_tests.bronze.crash_writer", *args], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.mark.slow
def test_sigkill_mid_write_leaves_the_previous_partition_intact(tmp_path):
    previous = write_partition(tmp_path, "market_tokens", DAY, MARKET_TOKENS, rows(3))
    before = previous.path.read_bytes()
    proc = _spawn("writer", str(tmp_path), DAY)
    try:
        written = 0
        while written < 5000:  # several row groups are on disk in the staging file
            line = proc.stdout.readline()
            assert line, "writer exited early"
            written = int(line.split()[1])
        tmp_file = Path(line.split()[3])
        assert tmp_file.stat().st_size > 0
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    # the visible partition is exactly the previous one; the killed writer's bytes are only in _staging
    assert previous.path.read_bytes() == before
    assert read_partition(tmp_path, "market_tokens", DAY).num_rows == 3
    assert [p.name for p in partition_dir(tmp_path, "market_tokens", DAY).iterdir()] == ["part-0.parquet"]
    assert tmp_file.exists()
    # the next writer of the asset removes the dead writer's orphan
    with PartitionWriter(tmp_path, "market_tokens", "2026-11-04", MARKET_TOKENS) as writer:
        writer.abort()
    assert not tmp_file.exists()


@pytest.mark.slow
def test_sigkill_during_a_range_run_leaves_only_complete_partitions(tmp_path, world, fake_api):
    fake_api.latency = 0.4  # every page takes a while: the kill lands between and during day commits
    proc = _spawn("range", fake_api.base_url, str(tmp_path), "2026-11-01", "2026-11-07", "1")
    bronze = tmp_path / "bronze"
    deadline = time.monotonic() + 60
    try:  # kill as soon as the first day is committed, i.e. in the middle of the range
        while not list(bronze.glob("markets/dt=*/*.parquet")) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
        time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    visible = sorted(p.parent.name for p in (bronze / "markets").glob("dt=*/*.parquet")) if (bronze / "markets").exists() else []
    assert 0 < len(visible) < 7, f"kill did not land mid-range: {visible}"
    for name in visible:
        day = name.removeprefix("dt=")
        table = read_partition(bronze, "markets", day)
        assert table.num_rows == len(world.markets_on(dt.date.fromisoformat(day)))
    assert all(p.suffix == ".parquet" for p in (bronze / "markets").glob("dt=*/*"))

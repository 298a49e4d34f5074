"""Bounded memory: 2 million trade-shaped rows stream through PartitionWriter in well under 1 GB RSS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from polymarket_assets.bronze.parquet_io import partition_stats

REPO = Path(__file__).resolve().parents[2]


def _run(root: Path, n: int) -> dict:
    out = subprocess.run([sys.executable, "-m", "polymarket_assets_tests.bronze.memory_writer", str(root), str(n)], cwd=REPO,
                         env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, check=True, timeout=600)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_two_million_rows_fit_in_bounded_memory(tmp_path):
    small = _run(tmp_path / "small", 200_000)
    big = _run(tmp_path / "big", 2_000_000)
    assert big["rows"] == 2_000_000 and partition_stats(tmp_path / "big", "trades", "2026-11-03")[0] == 2_000_000
    assert big["peak_rss_mb"] < 1024
    # 10x the rows, (nearly) the same peak: memory is bounded by the row group, not the partition
    assert big["peak_rss_mb"] < small["peak_rss_mb"] * 1.5, (small, big)

"""The raw log: hourly zstd JSONL that is readable after every flush, survives SIGKILL with at most a torn
last line, rotates by receive hour, and reports a writer that falls behind."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import zstandard

from polymarket_assets.streaming.ws import records as R
from polymarket_assets.streaming.ws.rawlog import RawLogWriter, ReadStats, iter_lines, iter_records, raw_files

ROOT = Path(__file__).resolve().parents[2]
HOUR_NS = 3600 * 10**9


def rec(t_ns: int, text: str = '{"event_type":"book"}', kind: str = R.RECV) -> R.Record:
    return R.Record(t_ns, "polymarket", "S/p000.1", kind, text)


def test_records_round_trip_including_malformed_text():
    for text in ('{"a": 1}', '{"event_type": "price_change", "market": ', "PONG", 'weird "quotes" \\ and\nnewline', "é ✓"):
        line = R.encode(rec(123, text))
        assert line.endswith(b"\n") and line.count(b"\n") == 1
        assert R.decode(line[:-1]) == rec(123, text)


def test_hourly_files_by_receive_time_and_flushed_within_a_second(tmp_path):
    base = 1_790_658_000 * 10**9 // HOUR_NS * HOUR_NS  # an hour boundary
    writer = RawLogWriter(tmp_path, "polymarket", session="S", flush_interval=0.2).start()
    writer.write(rec(base + HOUR_NS - 1))
    time.sleep(0.6)  # no close: the data must already be in the file and decodable
    [first] = raw_files(tmp_path, "polymarket")
    assert [R.decode(line).t_ns for line in iter_lines(first)] == [base + HOUR_NS - 1]
    writer.write(rec(base + HOUR_NS))
    writer.write(rec(base + 25 * HOUR_NS))  # next day
    writer.close()
    files = raw_files(tmp_path, "polymarket")
    assert [f.parent.name for f in files] == ["date=2026-09-29", "date=2026-09-29", "date=2026-09-30"]
    assert "-20260929T05-S" in files[0].name and "-20260929T06-S" in files[1].name
    stats = ReadStats()
    assert len(list(iter_records(files, stats))) == 3 and stats.torn_tails == 0
    for path in files:  # closed files are complete zstd frames
        zstandard.ZstdDecompressor().decompressobj().decompress(path.read_bytes())


def test_a_file_cut_anywhere_reads_up_to_a_torn_last_line(tmp_path):
    writer = RawLogWriter(tmp_path, "polymarket", session="S", flush_interval=0.05).start()
    for i in range(2000):
        writer.write(rec(1_790_658_000 * 10**9 + i, '{"event_type":"price_change","n":%d}' % i))
        if i % 500 == 499:
            time.sleep(0.2)  # four batches: four zstd blocks
    writer.close()
    assert writer.stats.batches == 4
    [path] = raw_files(tmp_path, "polymarket")
    data = path.read_bytes()
    cut = tmp_path / "cut.jsonl.zst"
    for size, at_least in ((len(data) // 2, 500), (len(data) - 7, 1500)):
        cut.write_bytes(data[:size])
        stats = ReadStats()
        got = [R.decode(line) for line in iter_lines(cut, stats)]
        assert len(got) >= at_least and stats.bad_lines == 0
        assert [r.t_ns for r in got] == [1_790_658_000 * 10**9 + i for i in range(len(got))]  # a prefix, in order


def test_the_writer_says_when_it_falls_behind(tmp_path, caplog):
    writer = RawLogWriter(tmp_path, "polymarket", session="S", lag_warn_seconds=2.0).start()
    with caplog.at_level(logging.WARNING):
        writer.write(rec(time.time_ns() - 5 * 10**9))  # waited 5 s before reaching the writer
        writer.close()
    assert writer.stats.lag_warnings == 1 and writer.stats.max_lag_seconds >= 5
    assert "raw-log writer for polymarket is behind" in caplog.text
    assert writer.stats.records == 1  # late, not dropped


def test_a_write_error_is_reported_naming_the_directory(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    writer = RawLogWriter(blocker, "polymarket", session="S").start()
    writer.write(rec(time.time_ns()))
    with pytest.raises(OSError, match="raw-log writer for polymarket failed writing under"):
        writer.close()


@pytest.mark.slow
def test_sigkill_leaves_at_most_a_torn_last_line(tmp_path):
    child = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("kill_writer.py")), str(tmp_path)],
        stdout=subprocess.PIPE, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    flushed = 0
    deadline = time.monotonic() + 30
    while flushed < 20_000 and time.monotonic() < deadline:
        flushed = int(child.stdout.readline() or 0)
    child.send_signal(signal.SIGKILL)
    child.wait(10)
    assert flushed >= 20_000
    stats = ReadStats()
    records = list(iter_records(raw_files(tmp_path, "polymarket"), stats))
    assert stats.bad_lines == 0 and stats.torn_tails <= 1  # the only damage: one torn last line
    assert len(records) >= flushed  # everything the writer had flushed is there
    assert all(r.kind == R.RECV and r.data.startswith('{"market"') for r in records)

"""The raw log: every record (:mod:`~polymarket_assets.streaming.ws.records`) appended to hourly
zstd-compressed JSONL files, written by one thread.

Layout: ``<data dir>/stream/<venue>_ws/raw/date=YYYY-MM-DD/<venue>_ws-YYYYMMDDTHH-<session>.jsonl.zst``, the
hour of the record's receive time (UTC). Each writer session opens its own files and never appends to a file
it did not create, so a file left by a killed process is never extended.

* The event loop only appends to a deque (:meth:`RawLogWriter.write`, O(1), never blocks, never drops).
* The writer thread drains it at least every ``flush_interval`` seconds (default 0.25 s), compresses, and
  ends every batch with a zstd block flush and a file flush: after that the bytes are in the file and
  decodable, so a SIGKILL can at worst leave a last block ending inside a line (a torn last line, which
  :func:`iter_lines` reports and skips) and lose the records not yet drained (under ``flush_interval``).
* On rotation and on :meth:`close` the zstd frame is ended and the file fsynced.
* If the writer falls behind (the oldest undrained record is older than ``lag_warn_seconds``) it says so in
  the log and in :attr:`stats` (``lag_warnings``, ``max_lag_seconds``, ``pending``); nothing is dropped. A
  write error stops the thread with :attr:`error` set (the stream fails the run, naming the path).

Compression: ``zstandard`` at level 3. Measured on 50,000 real-shaped ``price_change`` records (2 changes
each): level 1 1.5 us/record, 61 bytes/change; level 3 2.3 us, 51 bytes/change; level 6 9.5 us, 46; level 9
17 us, 45; pyarrow's ``CompressedOutputStream("zstd")`` 3.3 us at level 1's ratio. Both make the data written
so far decodable on flush; ``zstandard`` is faster at equal ratio and its level is explicit.
"""

from __future__ import annotations

import collections
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import zstandard

from polymarket_assets.lake import LakePath
from polymarket_assets.paths import component
from polymarket_assets.storage_errors import is_disk_full, stream_disk_full
from polymarket_assets.streaming.ws import records as R

log = logging.getLogger(__name__)

HOUR_NS = 3_600 * 1_000_000_000
LATENCY_BUCKETS_MS = 10_000


def raw_dir(data_dir: Path, venue: str) -> Path:
    return Path(data_dir) / "stream" / f"{component(venue, 'venue')}_ws" / "raw"


@dataclass
class WriterStats:
    records: int = 0
    bytes_raw: int = 0
    bytes_written: int = 0
    batches: int = 0
    files: list[str] = field(default_factory=list)
    pending: int = 0
    max_pending: int = 0
    max_lag_seconds: float = 0.0
    last_lag_seconds: float = 0.0
    lag_warnings: int = 0
    latency_ms_hist: list[int] = field(default_factory=lambda: [0] * (LATENCY_BUCKETS_MS + 1))

    def latency_quantile_ms(self, q: float) -> float | None:
        """Receive-to-file latency quantile (1 ms buckets; the last bucket is "≥ 10 s")."""
        total = sum(self.latency_ms_hist)
        if total == 0:
            return None
        target = q * total
        running = 0
        for ms, count in enumerate(self.latency_ms_hist):
            running += count
            if running >= target:
                return float(ms)
        return float(LATENCY_BUCKETS_MS)

    def snapshot(self) -> dict[str, float | int | None]:
        return {
            "records": self.records,
            "bytes_raw": self.bytes_raw,
            "bytes_written": self.bytes_written,
            "files": len(self.files),
            "pending": self.pending,
            "max_pending": self.max_pending,
            "lag_seconds": round(self.last_lag_seconds, 3),
            "max_lag_seconds": round(self.max_lag_seconds, 3),
            "lag_warnings": self.lag_warnings,
            "latency_p50_ms": self.latency_quantile_ms(0.5),
            "latency_p99_ms": self.latency_quantile_ms(0.99),
        }


class RawLogWriter:
    def __init__(
        self,
        data_dir: Path,
        venue: str,
        *,
        session: str,
        flush_interval: float = 0.25,
        level: int = 3,
        compress: bool = True,
        lag_warn_seconds: float = 2.0,
        on_closed: Callable[[Path], None] | None = None,
    ):
        if flush_interval > 1.0:
            raise ValueError("flush_interval must be at most 1 s (the raw log is flushed at least once a second)")
        self.root = raw_dir(data_dir, venue)
        self.venue = component(venue, "venue")
        self.session = component(session, "session")  # run config may set it: one safe file-name part
        self.flush_interval = flush_interval
        self.level = level
        self.compress = compress
        self.lag_warn_seconds = lag_warn_seconds
        self.on_closed = on_closed  # called with each file once it is finished (the lake's stream shipper)
        self.stats = WriterStats()
        self.error: BaseException | None = None
        self._queue: collections.deque[R.Record] = collections.deque()
        self._wake = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=f"rawlog-{venue}", daemon=True)
        self._hour: int | None = None
        self._fh: Any = None
        self._zw: Any = None
        self._last_warn = 0.0

    # -- event-loop side ---------------------------------------------------------------------------
    def start(self) -> "RawLogWriter":
        self._thread.start()
        return self

    def write(self, record: R.Record) -> None:
        self._queue.append(record)

    @property
    def pending(self) -> int:
        return len(self._queue)

    def close(self, timeout: float = 10.0) -> None:
        """Drain everything, end the frame, fsync. Raises the writer's error if it failed."""
        self._stopping = True
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError(f"raw-log writer for {self.venue} did not finish within {timeout} s ({len(self._queue)} records pending)")
        if self.error is not None:
            raise self.error

    # -- writer thread -----------------------------------------------------------------------------
    def _path_for(self, hour: int) -> Path:
        moment = datetime.fromtimestamp(hour * 3600, tz=timezone.utc)
        suffix = ".jsonl.zst" if self.compress else ".jsonl"
        folder = self.root / f"date={moment:%Y-%m-%d}"
        path = folder / f"{self.venue}_ws-{moment:%Y%m%dT%H}-{self.session}{suffix}"
        n = 1
        while path.exists():  # never extend a file this session did not create
            path = folder / f"{self.venue}_ws-{moment:%Y%m%dT%H}-{self.session}.{n}{suffix}"
            n += 1
        return path

    def _open(self, hour: int) -> None:
        self._finish_file()
        path = self._path_for(hour)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(path, "xb")
        self._zw = zstandard.ZstdCompressor(level=self.level).stream_writer(self._fh, closefd=False) if self.compress else None
        self._hour = hour
        self.stats.files.append(str(path))

    def _finish_file(self) -> None:
        if self._fh is None:
            return
        if self._zw is not None:
            self._zw.flush(zstandard.FLUSH_FRAME)
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        self._fh = self._zw = None
        if self.on_closed is not None:
            try:
                self.on_closed(Path(self.stats.files[-1]))
            except Exception as exc:
                log.error("handing %s to the stream shipper failed: %s (the next run ships it)", self.stats.files[-1], exc)

    def _write_batch(self, batch: list[R.Record]) -> None:
        chunks: list[bytes] = []
        hour = self._hour
        for rec in batch:
            rec_hour = rec.t_ns // HOUR_NS
            if hour is None or rec_hour > hour:
                if chunks:
                    self._emit(b"".join(chunks))
                    chunks = []
                self._open(rec_hour)
                hour = rec_hour
            chunks.append(R.encode(rec))
        if chunks:
            self._emit(b"".join(chunks))
        if self._zw is not None:
            self._zw.flush(zstandard.FLUSH_BLOCK)
        if self._fh is not None:
            self._fh.flush()
            self.stats.bytes_written = sum(os.path.getsize(f) for f in self.stats.files[-1:]) + self._closed_bytes()

    def _closed_bytes(self) -> int:
        return sum(os.path.getsize(f) for f in self.stats.files[:-1]) if len(self.stats.files) > 1 else 0

    def _emit(self, data: bytes) -> None:
        self.stats.bytes_raw += len(data)
        (self._zw or self._fh).write(data)

    def _drain(self) -> None:
        queue = self._queue
        n = len(queue)
        if n == 0:
            return
        stats = self.stats
        stats.max_pending = max(stats.max_pending, n)
        batch = [queue.popleft() for _ in range(n)]
        now_ns = time.time_ns()
        lag = (now_ns - batch[0].t_ns) / 1e9
        stats.last_lag_seconds = lag
        stats.max_lag_seconds = max(stats.max_lag_seconds, lag)
        if lag > self.lag_warn_seconds:
            stats.lag_warnings += 1
            if time.monotonic() - self._last_warn > 10:
                self._last_warn = time.monotonic()
                log.warning("raw-log writer for %s is behind: oldest record waited %.1f s, %d records in the batch, %d queued",
                            self.venue, lag, n, len(queue))
        self._write_batch(batch)
        done_ns = time.time_ns()
        hist = stats.latency_ms_hist
        top = LATENCY_BUCKETS_MS
        for rec in batch:
            ms = (done_ns - rec.t_ns) // 1_000_000
            hist[ms if ms < top else top] += 1
        stats.records += n
        stats.batches += 1
        stats.pending = len(queue)

    def _run(self) -> None:
        try:
            while True:
                self._wake.wait(self.flush_interval)
                self._wake.clear()
                stopping = self._stopping
                self._drain()
                if stopping and not self._queue:
                    break
            self._finish_file()
        except BaseException as exc:
            if is_disk_full(exc):
                self.error = stream_disk_full(self.root, f"raw-log writer for {self.venue}", exc)
            else:
                self.error = OSError(f"raw-log writer for {self.venue} failed writing under {self.root}: {exc}")
            log.error("%s (%d records not written are still queued)", self.error, len(self._queue))


# -- reading -----------------------------------------------------------------------------------------


@dataclass
class ReadStats:
    lines: int = 0
    bad_lines: int = 0
    torn_tails: int = 0
    files: int = 0


def _open_raw(path: Path | LakePath) -> Any:
    """A local file, or a lake file (local or S3, read as a stream)."""
    return path.open_input_stream() if isinstance(path, LakePath) else open(path, "rb")


def iter_lines(path: Path | LakePath, stats: ReadStats | None = None, chunk_size: int = 1 << 20) -> Iterator[bytes]:
    """Complete lines of one raw-log file (a local path or a lake path) in constant memory. A file cut short
    (a killed writer) ends in a torn last line: it is counted in ``stats.torn_tails`` and skipped."""
    stats = stats or ReadStats()
    stats.files += 1
    compressed = str(path).endswith(".zst")
    tail = b""
    with _open_raw(path) as fh:
        dobj = zstandard.ZstdDecompressor().decompressobj() if compressed else None
        while True:
            chunk = fh.read(chunk_size)
            if not chunk:
                break
            if dobj is not None:
                try:
                    data = dobj.decompress(chunk)
                except zstandard.ZstdError:
                    if dobj.eof and dobj.unused_data:  # a second frame (not written by us, but legal)
                        rest = dobj.unused_data
                        dobj = zstandard.ZstdDecompressor().decompressobj()
                        data = dobj.decompress(rest + chunk)
                    else:
                        raise
            else:
                data = chunk
            if not data:
                continue
            lines = (tail + data).split(b"\n")
            tail = lines.pop()
            for line in lines:
                if line:
                    stats.lines += 1
                    yield line
    if tail:
        stats.torn_tails += 1


def raw_files(data_dir: Path, venue: str, day: str | None = None) -> list[Path]:
    """The raw-log files of a venue (of one ``YYYY-MM-DD`` day) under a local directory, in time order."""
    root = raw_dir(data_dir, venue)
    pattern = f"date={day}/*.jsonl*" if day else "date=*/*.jsonl*"
    return sorted(root.glob(pattern), key=lambda p: (p.name.split("-")[1], p.name))


def lake_raw_files(lake_root: LakePath, venue: str, day: str) -> list[LakePath]:
    """The same files in the lake (``<lake>/stream/<venue>_ws/raw/date=<day>/``: local, or S3 where the
    stream job ships each file when it closes it), in time order."""
    folder = lake_root / "stream" / f"{component(venue, 'venue')}_ws" / "raw" / f"date={component(day, 'day')}"
    return sorted(folder.glob("*.jsonl*"), key=lambda p: (p.name.split("-")[1], p.name))


def iter_records(paths: Iterable[Path], stats: ReadStats | None = None) -> Iterator[R.Record]:
    """Records of several files in the given order; undecodable lines are counted and skipped."""
    stats = stats or ReadStats()
    for path in paths:
        for line in iter_lines(path, stats):
            try:
                yield R.decode(line)
            except ValueError:
                stats.bad_lines += 1

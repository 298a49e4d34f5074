"""The only thread that touches order-book files: drains the queue and appends one JSON line per snapshot.

Files: ``stream/<venue>/orderbooks/date=YYYY-MM-DD/hour=HH.<run_tag>.jsonl`` — hour and date of the
snapshot's ``received_ts`` (UTC); one file per venue, hour and run, so two processes never interleave
lines in one file and a killed run's torn last line stays the last line of its own file.

* flush: whenever the queue runs dry, and at least every ``flush_interval_seconds`` while it does not;
* fsync: when a venue's hour rotates (the old file is flushed, fsynced, closed) and on shutdown;
* shutdown: ``close()`` puts a sentinel after everything the poller queued; the thread drains the
  queue up to it, flushes, fsyncs and closes every file;
* ``on_closed(path)`` is called for every file once it is closed (rotation, a late line's reopen, shutdown):
  with the lake on S3 it is the stream shipper's ``ship`` (``polymarket_assets/lake/shipping.py``).

Each flush records the fetch-to-disk latency (fetch start on monotonic time → data handed to the OS) of
every snapshot it covered.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
from pathlib import Path
from typing import IO, Any, Callable

from polymarket_assets.paths import child, component
from polymarket_assets.storage_errors import is_disk_full, stream_disk_full
from polymarket_assets.streaming.clock import Clock
from polymarket_assets.streaming.stats import LoggerStats

_SENTINEL = object()


def hour_path(stream_dir: Path, venue: str, hour_index: int, run_tag: str) -> Path:
    ts = time.gmtime(hour_index * 3600)
    return child(stream_dir, component(venue, "venue"), "orderbooks", f"date={time.strftime('%Y-%m-%d', ts)}",
                 f"hour={ts.tm_hour:02d}.{component(run_tag, 'run tag')}.jsonl")


class SnapshotWriter(threading.Thread):
    def __init__(
        self,
        *,
        stream_dir: Path,
        source: "queue.SimpleQueue[Any]",
        clock: Clock,
        stats: LoggerStats,
        run_tag: str,
        flush_interval_seconds: float = 1.0,
        log: logging.Logger | None = None,
        on_closed: Callable[[Path], None] | None = None,
    ):
        super().__init__(name="orderbook-writer", daemon=True)
        self.stream_dir = stream_dir
        self.source = source
        self.clock = clock
        self.stats = stats
        self.run_tag = run_tag
        self.flush_interval = flush_interval_seconds
        self.log = log or logging.getLogger(__name__)
        self.on_closed = on_closed
        self._files: dict[tuple[str, int], IO[bytes]] = {}
        self._paths: dict[tuple[str, int], Path] = {}
        self._current_hour: dict[str, int] = {}
        self._pending_t0: list[float] = []
        self._last_flush = clock.monotonic()
        self.error: BaseException | None = None
        self.files_written: set[Path] = set()

    def close(self) -> None:
        """Ask the thread to finish after everything already queued (call after the poller stopped)."""
        self.source.put(_SENTINEL)

    # -- files ----------------------------------------------------------------------------------
    def _file(self, venue: str, hour: int) -> IO[bytes]:
        fh = self._files.get((venue, hour))
        if fh is not None:
            return fh
        current = self._current_hour.get(venue)
        if current is None or hour > current:
            if current is not None:
                self._rotate(venue, keep=hour)
            self._current_hour[venue] = hour
        path = hour_path(self.stream_dir, venue, hour, self.run_tag)
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(path, "ab", buffering=1 << 20)
        self._files[(venue, hour)] = fh
        self._paths[(venue, hour)] = path
        self.files_written.add(path)
        return fh

    def _rotate(self, venue: str, keep: int) -> None:
        for key in [k for k in self._files if k[0] == venue and k[1] < keep]:
            self._close_file(key)
        self.stats.incr("rotations")

    def _close_file(self, key: tuple[str, int]) -> None:
        fh = self._files.pop(key)
        path = self._paths.pop(key, None)
        fh.flush()
        os.fsync(fh.fileno())
        self.stats.incr("fsyncs")
        fh.close()
        if self.on_closed is not None and path is not None:
            try:
                self.on_closed(path)
            except Exception as exc:
                self.log.error("handing %s to the shipper failed: %s", path, exc)

    def _flush(self) -> None:
        for fh in self._files.values():
            fh.flush()
        now = self.clock.monotonic()
        if self._pending_t0:
            self.stats.add_latencies([now - t0 for t0 in self._pending_t0])
            self._pending_t0 = []
        self._last_flush = now
        self.stats.incr("flushes")

    def _write(self, item: tuple[str, float, float, dict[str, Any]]) -> None:
        venue, received, t0, record = item
        line = json.dumps(record, separators=(",", ":")).encode() + b"\n"
        self._file(venue, int(received // 3600)).write(line)
        self._pending_t0.append(t0)
        self.stats.incr("written", 1, venue)
        # a late snapshot of an earlier hour re-opened that hour's file; close it again right away
        current = self._current_hour.get(venue)
        hour = int(received // 3600)
        if current is not None and hour < current:
            self._close_file((venue, hour))

    # -- thread ---------------------------------------------------------------------------------
    def run(self) -> None:
        try:
            self._loop()
        except BaseException as exc:
            self.error = stream_disk_full(self.stream_dir, "order-book writer", exc) if is_disk_full(exc) else exc
            self.log.exception("order-book writer failed: %s", self.error)
        finally:
            self._shutdown_files()

    def _loop(self) -> None:
        timeout = max(0.05, self.flush_interval / 2)
        while True:
            try:
                item = self.source.get(timeout=timeout)
            except queue.Empty:
                if self._pending_t0:
                    self._flush()
                continue
            if item is _SENTINEL:
                return
            self._write(item)
            drained = 0
            while drained < 5000:
                try:
                    item = self.source.get_nowait()
                except queue.Empty:
                    break
                if item is _SENTINEL:
                    self._flush()
                    return
                self._write(item)
                drained += 1
            if self.source.empty() or self.clock.monotonic() - self._last_flush >= self.flush_interval:
                self._flush()

    def _shutdown_files(self) -> None:
        try:
            self._flush()
        except Exception as exc:
            self.log.error("final flush failed: %s", exc)
        for key in list(self._files):
            try:
                self._close_file(key)
            except Exception as exc:
                self.log.error("closing %s failed: %s", key, exc)

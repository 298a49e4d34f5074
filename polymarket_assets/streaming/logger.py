"""Wires discovery, poller and writer threads into one bounded run.

    discovery thread ──atomic snapshot file──▶ poller thread ──▶ per-venue pools ──queue──▶ writer thread

``OrderbookLogger.run(duration_seconds)`` runs until the duration (monotonic) elapses or the stop event is
set (a SIGTERM/terminate seen by the op sets it), reporting progress every ``progress_interval_seconds``.
``stop()`` is idempotent: it stops discovery and the poller (in-flight requests get a short grace), then
lets the writer drain the queue, flush, fsync and close — all within a few seconds.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from polymarket_assets.streaming.clock import SYSTEM_CLOCK, Clock, iso_ms
from polymarket_assets.streaming.discovery import SNAPSHOT_NAME, DiscoveryThread, atomic_write_json
from polymarket_assets.streaming.poller import BookFetcher, Poller, PollerConfig
from polymarket_assets.streaming.stats import LoggerStats
from polymarket_assets.streaming.venues import Discoverer
from polymarket_assets.streaming.writer import SnapshotWriter

STATS_NAME = "orderbook_logger.stats.json"


class LoggerFailure(RuntimeError):
    """A logger thread died (the writer cannot write, the poller crashed): the run must fail."""


@dataclass
class LoggerSettings:
    stream_dir: Path
    state_dir: Path
    poller: PollerConfig = field(default_factory=PollerConfig)
    flush_interval_seconds: float = 1.0
    progress_interval_seconds: float = 30.0
    join_timeout_seconds: float = 5.0
    run_tag: str | None = None


class OrderbookLogger:
    def __init__(
        self,
        settings: LoggerSettings,
        *,
        discoverers: Iterable[Discoverer],
        fetchers: dict[str, BookFetcher],
        clock: Clock = SYSTEM_CLOCK,
        log: logging.Logger | None = None,
        on_progress: Callable[[dict[str, Any]], None] | None = None,
    ):
        self.settings = settings
        self.clock = clock
        self.log = log or logging.getLogger(__name__)
        self.on_progress = on_progress
        self.run_tag = settings.run_tag or uuid.uuid4().hex[:8]
        self.stats = LoggerStats()
        self.stop_event = threading.Event()
        self.queue: "queue.SimpleQueue[Any]" = queue.SimpleQueue()
        self.snapshot_path = settings.state_dir / SNAPSHOT_NAME
        self.stats_path = settings.state_dir / STATS_NAME
        self.discovery = DiscoveryThread(
            discoverers,
            snapshot_path=self.snapshot_path,
            stream_dir=settings.stream_dir,
            clock=clock,
            stop_event=self.stop_event,
            stats=self.stats,
            log=self.log,
        )
        self.poller = Poller(
            fetchers=fetchers,
            snapshot_path=self.snapshot_path,
            out=self.queue,
            clock=clock,
            stop_event=self.stop_event,
            stats=self.stats,
            config=settings.poller,
            run_tag=self.run_tag,
            log=self.log,
        )
        self.writer = SnapshotWriter(
            stream_dir=settings.stream_dir,
            source=self.queue,
            clock=clock,
            stats=self.stats,
            run_tag=self.run_tag,
            flush_interval_seconds=settings.flush_interval_seconds,
            log=self.log,
        )
        self._started = False
        self._stopped = False
        self._start_mono = 0.0
        self._last_progress: tuple[float, dict[str, Any]] | None = None
        self.summary: dict[str, Any] = {}

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        if self._started:
            return
        self._started = True
        self._start_mono = self.clock.monotonic()
        self.settings.stream_dir.mkdir(parents=True, exist_ok=True)
        self.settings.state_dir.mkdir(parents=True, exist_ok=True)
        self.writer.start()
        # first discovery pass synchronously, so the first tick already has instruments
        self.discovery.run_due(force=True)
        self.discovery.start()
        self.poller.start()
        self._last_progress = (self._start_mono, self.stats.snapshot())
        self.log.info(
            "order-book logger %s started: %d instruments, cadence %.2fs, files under %s",
            self.run_tag,
            len(self.discovery.instruments()),
            self.settings.poller.cadence_seconds,
            self.settings.stream_dir,
        )

    def run(self, duration_seconds: float) -> dict[str, Any]:
        """Start (if needed), run until ``duration_seconds`` elapse or ``stop_event`` is set, stop."""
        self.start()
        deadline = self._start_mono + duration_seconds
        next_progress = self._start_mono + self.settings.progress_interval_seconds
        try:
            while not self.stop_event.is_set():
                now = self.clock.monotonic()
                if now >= deadline:
                    break
                self.check_threads()
                if now >= next_progress:
                    self.progress()
                    next_progress = now + self.settings.progress_interval_seconds
                # short real-time waits keep the op thread responsive to interrupts
                self.clock.wait(self.stop_event, min(0.25, deadline - now, max(0.01, next_progress - now)))
        finally:
            self.stop()
        return self.summary

    def check_threads(self) -> None:
        if self.writer.error is not None or (self._started and not self.writer.is_alive() and not self._stopped):
            raise LoggerFailure(f"the order-book writer stopped: {self.writer.error!r}")
        if self._started and not self.poller.is_alive() and not self.stop_event.is_set():
            raise LoggerFailure("the poller thread stopped unexpectedly")

    def stop(self) -> dict[str, Any]:
        if self._stopped:
            return self.summary
        self._stopped = True
        t0 = time.monotonic()
        self.stop_event.set()
        timeout = self.settings.join_timeout_seconds
        if self._started:
            self.poller.join(timeout)
            self.discovery.join(timeout)
            self.writer.close()
            self.writer.join(timeout)
        self.summary = self.progress(final=True)
        self.summary["shutdown_seconds"] = round(time.monotonic() - t0, 3)
        clean = not self.poller.is_alive() and not self.writer.is_alive() and self.writer.error is None
        self.summary["clean_shutdown"] = clean
        self._write_stats(self.summary)
        self.log.info("order-book logger %s stopped in %.2fs (clean=%s)", self.run_tag, self.summary["shutdown_seconds"], clean)
        return self.summary

    # -- reporting ------------------------------------------------------------------------------
    def progress(self, final: bool = False) -> dict[str, Any]:
        now = self.clock.monotonic()
        snap = self.stats.snapshot()
        prev_t, prev = self._last_progress or (self._start_mono, {"venues": {}})
        dt = max(now - prev_t, 1e-9)
        elapsed = max(now - self._start_mono, 1e-9)
        venues: dict[str, Any] = {}
        for venue, counters in snap["venues"].items():
            before = prev.get("venues", {}).get(venue, {})
            venues[venue] = {
                **counters,
                "snapshots_per_second": round((counters["snapshots"] - before.get("snapshots", 0)) / dt, 3),
                "snapshots_per_second_run": round(counters["snapshots"] / elapsed, 3),
            }
        report = {
            "run_tag": self.run_tag,
            "at": iso_ms(self.clock.time()),
            "elapsed_seconds": round(elapsed, 3),
            "final": final,
            "totals": snap["totals"],
            "venues": venues,
            "active_instruments": snap["gauges"].get("active_instruments", 0),
            "last_errors": {k[: -len("_last_error")]: v for k, v in snap["gauges"].items() if k.endswith("_last_error")},
            "queue_depth": self.queue.qsize(),
            "fetch_to_disk_ms": snap["latency_ms"],
        }
        self._last_progress = (now, snap)
        line = ", ".join(
            f"{v}: {c['snapshots_per_second']}/s ({c['snapshots']} snaps, {c['request_errors']} req errors, "
            f"{c['book_errors']} book errors, {c['backoffs']} backoffs, {c['cooldowns']} cooldowns)"
            for v, c in sorted(venues.items())
        )
        self.log.info(
            "order-book logger %s%s: %s; %d instruments, p99 fetch-to-disk %s ms, missed ticks %d",
            self.run_tag,
            " (final)" if final else "",
            line or "no snapshots yet",
            report["active_instruments"],
            snap["latency_ms"]["p99"],
            snap["totals"].get("missed_ticks", 0),
        )
        if not final:
            self._write_stats(report)
        if self.on_progress is not None:
            try:
                self.on_progress(report)
            except Exception:  # noqa: BLE001
                pass
        return report

    def _write_stats(self, report: dict[str, Any]) -> None:
        try:
            atomic_write_json(self.stats_path, report)
        except OSError as exc:
            self.log.warning("could not write %s: %s", self.stats_path, exc)


def load_stats(state_dir: Path) -> dict[str, Any] | None:
    try:
        return json.loads((state_dir / STATS_NAME).read_text())
    except (OSError, ValueError):
        return None

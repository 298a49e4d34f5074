"""Wires discovery, poller and writer threads into one bounded run.

    discovery threads ──atomic snapshot file──▶ poller thread ──▶ per-venue pools ──queue──▶ writer thread
    (one per source)                                                    heartbeat thread ──▶ state/orderbook_logger.stats.json

``start()`` returns at once: it writes an empty snapshot (every source pending) and the first heartbeat,
then starts the writer, the heartbeat, the discovery threads (each source runs its **first pass in its own
thread**) and the poller. The poller's first tick waits for every source's first pass but at most one
cadence (``PollerConfig.startup_wait_seconds``); a source that is slow, failing or hanging then joins the
polled set as soon as it publishes. So one venue's outage never delays polling at another venue, at
start-up or later, and the run's duration is counted from ``start()``, not from the end of a slow pass.

Heartbeat: ``state/orderbook_logger.stats.json`` (with this run's tag) is written by ``start()`` and then
every ``heartbeat_interval_seconds`` by its own thread, whatever discovery or the op thread are doing; the
sensor judges a run dead only when that file is older than its limit (5 min).

``OrderbookLogger.run(duration_seconds)`` runs until the duration (monotonic) elapses or the stop event is
set (a SIGTERM/terminate seen by the op sets it), reporting progress every ``progress_interval_seconds``.
``stop()`` is idempotent and safe at any moment — before, during or after ``start()``: it stops discovery
and the poller (in-flight requests get a short grace), lets the writer drain the queue, flush, fsync and
close, joins only threads that were started, and writes the final stats — all within a few seconds.
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

from polymarket_assets.lake import LakeError, as_lake_path
from polymarket_assets.streaming.clock import SYSTEM_CLOCK, Clock, iso_ms
from polymarket_assets.streaming.discovery import SNAPSHOT_NAME, DiscoveryThread
from polymarket_assets.streaming.poller import BookFetcher, Poller, PollerConfig
from polymarket_assets.streaming.stats import LoggerStats
from polymarket_assets.streaming.venues import Discoverer
from polymarket_assets.streaming.writer import SnapshotWriter

STATS_NAME = "orderbook_logger.stats.json"


class LoggerFailure(RuntimeError):
    """A logger thread died (the writer cannot write, the poller crashed): the run must fail."""


@dataclass
class LoggerSettings:
    """``stream_dir``: the live files (local disk); ``state_dir``: the local snapshot hand-off between discovery
    and poller; ``heartbeat_dir``: where the heartbeat goes (the lake's state directory, a ``LakePath``, so the
    sensor can read it from any machine; default ``state_dir``); ``shipper``: a ``StreamShipper`` when the lake
    is on S3 (files go up as they close), else ``None``."""

    stream_dir: Path
    state_dir: Path
    heartbeat_dir: Any = None
    shipper: Any = None
    ship_timeout_seconds: float = 30.0
    poller: PollerConfig = field(default_factory=PollerConfig)
    flush_interval_seconds: float = 1.0
    progress_interval_seconds: float = 30.0
    join_timeout_seconds: float = 5.0
    heartbeat_interval_seconds: float = 10.0
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
        on_first_discovery: Callable[["OrderbookLogger"], None] | None = None,
    ):
        self.settings = settings
        self.on_first_discovery = on_first_discovery
        self.clock = clock
        self.log = log or logging.getLogger(__name__)
        self.on_progress = on_progress
        self.run_tag = settings.run_tag or uuid.uuid4().hex[:8]
        self.stats = LoggerStats()
        self.stop_event = threading.Event()
        self.queue: "queue.SimpleQueue[Any]" = queue.SimpleQueue()
        self.snapshot_path = settings.state_dir / SNAPSHOT_NAME
        self.stats_path = as_lake_path(settings.heartbeat_dir if settings.heartbeat_dir is not None else settings.state_dir) / STATS_NAME
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
            start_gate=self.discovery.first_pass_done,
        )
        self.writer = SnapshotWriter(
            stream_dir=settings.stream_dir,
            source=self.queue,
            clock=clock,
            stats=self.stats,
            run_tag=self.run_tag,
            flush_interval_seconds=settings.flush_interval_seconds,
            log=self.log,
            on_closed=settings.shipper.ship if settings.shipper is not None else None,
        )
        self.heartbeat = threading.Thread(target=self._heartbeat_loop, name="orderbook-heartbeat", daemon=True)
        self._lifecycle = threading.RLock()
        self._started = False
        self._stopped = False
        self._first_discovery_reported = False
        self._start_mono: float | None = None
        self._last_progress: tuple[float, dict[str, Any]] | None = None
        self.summary: dict[str, Any] = {}

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        """Start every thread and return at once (no network I/O here). No-op once started or stopped."""
        with self._lifecycle:
            if self._started or self._stopped or self.stop_event.is_set():
                return
            self._start_mono = self.clock.monotonic()
            self._last_progress = (self._start_mono, self.stats.snapshot())
            self.settings.stream_dir.mkdir(parents=True, exist_ok=True)
            self.settings.state_dir.mkdir(parents=True, exist_ok=True)
            # replace the previous run's snapshot by an empty one (every source pending): the poller never
            # polls a set this run did not discover
            with self.discovery._lock:
                self.discovery.publish()
            self._write_stats(self._report(final=False, starting=True))  # first heartbeat, before any request
            for thread in (self.writer, self.heartbeat, self.discovery, self.poller):
                thread.start()
            if self.settings.shipper is not None:
                self.settings.shipper.start()
                self.settings.shipper.request_sync()  # files an earlier run closed but did not ship
            self._started = True
        self.log.info(
            "order-book logger %s started: discovering %s (each source in its own thread), cadence %.2fs, files under %s",
            self.run_tag,
            [d.source for d in self.discovery.discoverers],
            self.settings.poller.cadence_seconds,
            self.settings.stream_dir,
        )

    def run(self, duration_seconds: float) -> dict[str, Any]:
        """Start (if needed), run until ``duration_seconds`` elapse or ``stop_event`` is set, stop."""
        try:
            self.start()
            start = self._start_mono if self._start_mono is not None else self.clock.monotonic()
            deadline = start + duration_seconds
            next_progress = start + self.settings.progress_interval_seconds
            while not self.stop_event.is_set():
                now = self.clock.monotonic()
                if now >= deadline:
                    break
                self.check_threads()
                self._maybe_report_first_discovery()
                if now >= next_progress:
                    self.progress()
                    next_progress = now + self.settings.progress_interval_seconds
                # short real-time waits keep the op thread responsive to interrupts
                self.clock.wait(self.stop_event, min(0.25, deadline - now, max(0.01, next_progress - now)))
        except BaseException as exc:  # an interrupt (SIGTERM/terminate) or a dead thread: say so in the final stats
            self.stop(reason="interrupted" if not isinstance(exc, Exception) or type(exc).__name__.endswith("InterruptedError") else "failed")
            raise
        self.stop()
        return self.summary

    def _maybe_report_first_discovery(self) -> None:
        """Once every source finished its first pass: log the set and call ``on_first_discovery`` (op thread)."""
        if self._first_discovery_reported or not self.discovery.first_pass_done.is_set():
            return
        self._first_discovery_reported = True
        self.log.info(
            "order-book logger %s: first discovery pass of every source done after %.1fs: %d instruments",
            self.run_tag,
            self.clock.monotonic() - (self._start_mono or 0.0),
            len(self.discovery.instruments()),
        )
        if self.on_first_discovery is not None:
            try:
                self.on_first_discovery(self)
            except Exception as exc:  # noqa: BLE001 - informational only
                self.log.warning("on_first_discovery failed: %s", exc)

    def check_threads(self) -> None:
        if self.writer.error is not None or (self._started and not self.writer.is_alive() and not self._stopped):
            raise LoggerFailure(f"the order-book writer stopped: {self.writer.error!r}")
        if self._started and not self.poller.is_alive() and not self.stop_event.is_set():
            raise LoggerFailure("the poller thread stopped unexpectedly")

    def stop(self, reason: str | None = None) -> dict[str, Any]:
        """Stop, drain, flush and write the final stats; safe at any moment (before, during or after start)."""
        with self._lifecycle:
            if self._stopped:
                return self.summary
            self._stopped = True
            t0 = time.monotonic()
            self.stop_event.set()
            if self._start_mono is None:  # stopped before it started
                self._start_mono = self.clock.monotonic()
            timeout = self.settings.join_timeout_seconds
            # join only what was started (a stop during start-up must not call join() on a fresh thread)
            for thread in (self.heartbeat, self.poller, self.discovery):
                if thread.ident is not None:
                    thread.join(timeout)
            if self.writer.ident is not None:
                self.writer.close()
                self.writer.join(timeout)
            shipper = self.settings.shipper
            if shipper is not None and shipper.ident is not None:
                shipper.request_sync()  # e.g. the markets metadata files, appended all run long
                shipper.close(self.settings.ship_timeout_seconds)
            self.summary = self.progress(final=True)
            if shipper is not None:
                self.summary["shipping"] = shipper.summary()
            self.summary["shutdown_seconds"] = round(time.monotonic() - t0, 3)
            clean = not self.poller.is_alive() and not self.writer.is_alive() and self.writer.error is None
            self.summary["clean_shutdown"] = clean
            if reason:
                self.summary["stop_reason"] = reason
            self._write_stats(self.summary)
        self.log.info(
            "order-book logger %s stopped%s in %.2fs (clean=%s)",
            self.run_tag,
            f" ({reason})" if reason else "",
            self.summary["shutdown_seconds"],
            clean,
        )
        return self.summary

    def _heartbeat_loop(self) -> None:
        """Rewrite the stats file every ``heartbeat_interval_seconds`` so the sensor sees a live process,
        whatever discovery (first pass hanging on a venue) or the op thread are doing."""
        interval = max(0.05, self.settings.heartbeat_interval_seconds)
        while not self.clock.wait(self.stop_event, interval):
            self._write_stats(self._report(final=False))

    # -- reporting ------------------------------------------------------------------------------
    def _report(self, final: bool, starting: bool = False) -> dict[str, Any]:
        now = self.clock.monotonic()
        start = self._start_mono if self._start_mono is not None else now
        snap = self.stats.snapshot()
        prev_t, prev = self._last_progress or (start, {"venues": {}})
        dt = max(now - prev_t, 1e-9)
        elapsed = max(now - start, 1e-9)
        venues: dict[str, Any] = {}
        for venue, counters in snap["venues"].items():
            before = prev.get("venues", {}).get(venue, {})
            venues[venue] = {
                **counters,
                "snapshots_per_second": round((counters["snapshots"] - before.get("snapshots", 0)) / dt, 3),
                "snapshots_per_second_run": round(counters["snapshots"] / elapsed, 3),
            }
        return {
            "run_tag": self.run_tag,
            "at": iso_ms(self.clock.time()),
            "elapsed_seconds": round(0.0 if starting else elapsed, 3),
            "final": final,
            "discovery_pending": self.discovery.pending_sources(),
            "totals": snap["totals"],
            "venues": venues,
            "active_instruments": snap["gauges"].get("active_instruments", 0),
            "last_errors": {k[: -len("_last_error")]: v for k, v in snap["gauges"].items() if k.endswith("_last_error")},
            "queue_depth": self.queue.qsize(),
            "fetch_to_disk_ms": snap["latency_ms"],
            "_snap": snap,
            "_now": now,
        }

    def progress(self, final: bool = False) -> dict[str, Any]:
        report = self._report(final)
        snap, now = report.pop("_snap"), report.pop("_now")
        self._last_progress = (now, snap)
        line = ", ".join(
            f"{v}: {c['snapshots_per_second']}/s ({c['snapshots']} snaps, {c['request_errors']} req errors, "
            f"{c['book_errors']} book errors, {c['backoffs']} backoffs, {c['cooldowns']} cooldowns)"
            for v, c in sorted(report["venues"].items())
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
        report = {k: v for k, v in report.items() if not k.startswith("_")}
        try:
            self.stats_path.write_bytes(json.dumps(report, separators=(",", ":")).encode("utf-8"))
        except (OSError, LakeError) as exc:
            self.log.warning("could not write %s: %s", self.stats_path, exc)


def load_stats(state_dir: Any) -> dict[str, Any] | None:
    try:
        return json.loads((as_lake_path(state_dir) / STATS_NAME).read_text())
    except (OSError, ValueError, LakeError):
        return None

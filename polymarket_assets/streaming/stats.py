"""Thread-safe counters of one logger run, and a latency histogram (1 ms buckets) for p50/p99."""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Any

VENUE_COUNTERS = (
    "polls_due",
    "requests",
    "request_errors",
    "snapshots",
    "book_errors",
    "backoffs",
    "backoff_skips",
    "cooldowns",
    "cooldown_skips",
    "inflight_skips",
    "written",
)
GLOBAL_COUNTERS = (
    "cycles",
    "missed_ticks",
    "snapshot_reloads",
    "snapshot_reload_errors",
    "discovery_runs",
    "discovery_errors",
    "discovery_writes",
    "rotations",
    "fsyncs",
    "flushes",
    "dropped_after_shutdown",
)


class LatencyHistogram:
    def __init__(self, max_ms: int = 60_000):
        self.max_ms = max_ms
        self.buckets = [0] * (max_ms + 1)
        self.count = 0
        self.max_seen = 0.0

    def add(self, seconds: float) -> None:
        ms = seconds * 1000.0
        if ms > self.max_seen:
            self.max_seen = ms
        self.buckets[min(self.max_ms, max(0, int(ms)))] += 1
        self.count += 1

    def quantile(self, q: float) -> float | None:
        """Upper edge (ms) of the bucket holding the q-quantile."""
        if not self.count:
            return None
        target = q * self.count
        running = 0
        for ms, n in enumerate(self.buckets):
            running += n
            if running >= target:
                return float(ms + 1)
        return float(self.max_ms)


class LoggerStats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.venue: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(VENUE_COUNTERS, 0))
        self.totals: dict[str, int] = dict.fromkeys(GLOBAL_COUNTERS, 0)
        self.latency = LatencyHistogram()
        self.gauges: dict[str, Any] = {}

    def incr(self, name: str, n: int = 1, venue: str | None = None) -> None:
        with self._lock:
            if venue is None:
                self.totals[name] = self.totals.get(name, 0) + n
            else:
                self.venue[venue][name] += n

    def set_gauge(self, name: str, value: Any) -> None:
        with self._lock:
            self.gauges[name] = value

    def add_latencies(self, seconds: list[float]) -> None:
        with self._lock:
            for s in seconds:
                self.latency.add(s)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "totals": dict(self.totals),
                "venues": {v: dict(c) for v, c in self.venue.items()},
                "gauges": dict(self.gauges),
                "latency_ms": {
                    "count": self.latency.count,
                    "p50": self.latency.quantile(0.50),
                    "p99": self.latency.quantile(0.99),
                    "max": round(self.latency.max_seen, 3),
                },
            }

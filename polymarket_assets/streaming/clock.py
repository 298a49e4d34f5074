"""An injectable clock: wall time (slugs, windows, file rotation, record timestamps) and monotonic time
(cadence, backoff, cooldown, latency).

Every thread of the logger reads time through one ``Clock`` and waits through ``clock.wait(event, s)``,
so a test can start the wall clock three seconds before a 15-minute boundary, or run it faster than
real time, without touching the code under test.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone


class Clock:
    """The real clock."""

    def time(self) -> float:
        """Wall-clock seconds since the epoch (UTC)."""
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def wait(self, event: threading.Event, seconds: float) -> bool:
        """Wait up to ``seconds`` of *this clock's* time for ``event``; True when it was set."""
        if seconds <= 0:
            return event.is_set()
        return event.wait(seconds)

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), tz=timezone.utc)


SYSTEM_CLOCK = Clock()


class FakeClock(Clock):
    """A clock whose wall time starts at ``start`` and runs ``speed`` times faster than real time.

    Monotonic time runs at the same speed, so cadence and backoff stay consistent with the wall clock.
    ``advance(seconds)`` jumps both clocks forward (a step), for tests that want exact control.
    """

    def __init__(self, start: float, speed: float = 1.0):
        if speed <= 0:
            raise ValueError("speed must be positive")
        self._start = float(start)
        self._speed = float(speed)
        self._real0 = time.monotonic()
        self._offset = 0.0
        self._lock = threading.Lock()

    def _elapsed(self) -> float:
        with self._lock:
            return (time.monotonic() - self._real0) * self._speed + self._offset

    def time(self) -> float:
        return self._start + self._elapsed()

    def monotonic(self) -> float:
        return 1_000_000.0 + self._elapsed()

    def wait(self, event: threading.Event, seconds: float) -> bool:
        if seconds <= 0:
            return event.is_set()
        return event.wait(seconds / self._speed)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds


def iso_ms(ts: float | None) -> str | None:
    """Epoch seconds -> ``2026-01-01T12:00:00.123Z`` (UTC, millisecond precision)."""
    if ts is None:
        return None
    ms = int(round(ts * 1000))
    seconds, millis = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"

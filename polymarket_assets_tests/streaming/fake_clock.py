"""A fake :class:`~polymarket_assets.streaming.clock.Clock` for the streaming tests: wall time from a chosen
start, optionally faster than real time."""

from __future__ import annotations

import threading
import time

from polymarket_assets.streaming.clock import Clock


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

"""An injectable clock: wall time (slugs, windows, file rotation, record timestamps) and monotonic time
(cadence, backoff, cooldown, latency).

Every thread of the logger reads time through one ``Clock`` and waits through ``clock.wait(event, s)``,
so a test can start the wall clock three seconds before a 15-minute boundary, or run it faster than
real time, without touching the code under test (the tests' ``FakeClock``:
``polymarket_assets_tests/streaming/fake_clock.py``).
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


def iso_ms(ts: float | None) -> str | None:
    """Epoch seconds -> ``2026-01-01T12:00:00.123Z`` (UTC, millisecond precision)."""
    if ts is None:
        return None
    ms = int(round(ts * 1000))
    seconds, millis = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"

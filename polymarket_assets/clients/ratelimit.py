"""One sliding-window rate limiter shared by every thread and process on the machine.

State lives in one SQLite file (``POLYMARKET_RATELIMIT_DB``): one pyrate-limiter ``SQLiteBucket`` table per
budget, each a sliding-window *log* of permit timestamps, guarded by pyrate's cross-process file lock.
Dagster step processes, backfills and the order-book logger's thread pools therefore share each budget.

"Never over budget as seen by the server": a permit is stamped when it is granted, and the transport calls
``settle()`` when the attempt completes (response, error or timeout), which re-stamps the thread's permits
to the completion time. A request reaches the server after its grant and before its completion, so with
completion stamps any ``limit + 1`` arrivals are at least one window apart whatever the send jitter (CPU
contention, GIL, slow network) and whatever the clocks: ``arrival[k+N] >= grant[k+N] >= completion[k] + W
>= arrival[k] + W``. The only exposure left is a single request slower than a whole window. ``safety_ms``
(default 50 ms) lengthens the window a little further, for millisecond rounding.

Usage::

    limiter = SharedRateLimiter(settings.ratelimit_db_path(), merge_budgets({"data:/trades": 150}))
    waited = limiter.acquire("gamma", "GET", "/events/keyset", timeout=900)   # blocks; returns seconds waited

pyrate-limiter 4.5.1 defects worked around here (with filelock 4.2):

1. ``Limiter.try_acquire(blocking=True)`` re-puts a waiting item with ``item.timestamp += sleep_ms`` instead
   of re-reading the clock, so oversleeping and file-lock waits accumulate: under contention (2 processes x
   4 threads, 40 req / 2 s) the stored timestamp lagged the real grant time by up to 256 ms (p99 255 ms),
   more than the safety margin, i.e. the log "forgets" a request early and can admit one too many. We
   therefore only ever make *single* attempts (``timeout=0``, a fresh clock read each time) and do the
   waiting ourselves, from the log's own oldest-blocking entry (``bucket.peek``).
2. ``combined_lock`` calls ``lock.acquire(False)`` for non-blocking attempts; with filelock >= 4 the first
   positional parameter is ``timeout`` and a bool raises ``TypeError``, so ``try_acquire(blocking=False)``
   is unusable with ``use_file_lock=True``. ``try_acquire(blocking=True, timeout=0)`` is the working
   single-attempt form (``False`` = no room *or* the file lock was busy; the wait hint tells which).
"""

from __future__ import annotations

import itertools
import os
import random
import re
import sqlite3
import threading
import time
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, cast

from filelock import FileLock
from pyrate_limiter import Limiter, Rate, SQLiteBucket

from polymarket_assets.clients.budgets import DEFAULT_BUDGETS, Budget, budgets_for
from polymarket_assets.clients.errors import RateLimitTimeout

__all__ = ["SharedRateLimiter"]

# Objects built by a parent process before a fork: never used or closed by the child (closing an inherited
# SQLite connection or file lock in the child is undefined), only kept alive so the GC does not close them.
_INHERITED: list[Any] = []

# Re-time earlier permits when a later budget held the request back longer than this (seconds).
_RESTAMP_AFTER_S = 0.010


@dataclass
class _Slot:
    """The per-process pyrate objects for one budget."""

    budget: Budget
    interval_ms: int
    limiter: Limiter
    bucket: SQLiteBucket

    @property
    def file_lock(self) -> FileLock:
        """The bucket's cross-process file lock (``use_file_lock=True``; pyrate types it as an ``RLock``)."""
        return cast(FileLock, self.bucket.lock)


def _table_name(budget_name: str) -> str:
    """A safe, stable SQLite table name for a budget ("gamma:/events" → "rl_gamma_events_1a2b3c4d")."""
    slug = re.sub(r"[^A-Za-z0-9]+", "_", budget_name).strip("_")[:40]
    return f"rl_{slug}_{zlib.crc32(budget_name.encode()):08x}"


class SharedRateLimiter:
    """Blocks each request until every budget it spends has room; see the module docstring.

    Thread-safe and process-safe. Picklable: only the configuration travels; the SQLite connections and
    file locks are (re)built lazily in each process (guarded by ``os.getpid()``, so a fork is safe too).
    """

    def __init__(
        self,
        db_path: str | os.PathLike[str],
        budgets: Mapping[str, Budget] | None = None,
        *,
        safety_ms: int = 50,
        poll_ms: float = 2.0,
        jitter_ms: float = 3.0,
    ) -> None:
        """``safety_ms`` lengthens every window (absorbs send jitter); ``poll_ms`` is the file-lock poll
        interval while waiting; ``jitter_ms`` spreads simultaneous wake-ups of waiters."""
        if safety_ms < 0:
            raise ValueError(f"safety_ms must be >= 0, got {safety_ms}")
        self.db_path = Path(db_path)
        self.budgets: dict[str, Budget] = dict(DEFAULT_BUDGETS if budgets is None else budgets)
        self.safety_ms = int(safety_ms)
        self.poll_ms = float(poll_ms)
        self.jitter_ms = float(jitter_ms)
        self._init_runtime()

    # -- per-process runtime state ---------------------------------------------------------------
    def _init_runtime(self) -> None:
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._slots: dict[str, _Slot] = {}
        self._tokens = itertools.count()
        self._waits: dict[str, float] = {}
        self._waited_requests: dict[str, int] = {}
        self._held = threading.local()  # this thread's last permits: (token, [slots]) until settle()

    def __getstate__(self) -> dict[str, Any]:
        return {
            "db_path": self.db_path,
            "budgets": self.budgets,
            "safety_ms": self.safety_ms,
            "poll_ms": self.poll_ms,
            "jitter_ms": self.jitter_ms,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._init_runtime()

    def _check_pid(self) -> None:
        if self._pid != os.getpid():
            _INHERITED.append(self._slots)
            self._init_runtime()

    def _slot(self, name: str) -> _Slot:
        self._check_pid()
        slot = self._slots.get(name)
        if slot is not None:
            return slot
        with self._lock:
            slot = self._slots.get(name)
            if slot is None:
                budget = self.budgets.get(name)
                if budget is None:
                    raise ValueError(f"Unknown rate-limit budget {name!r}; configured: {', '.join(self.budget_names())}.")
                interval_ms = int(round(budget.window_seconds * 1000)) + self.safety_ms
                self.db_path.parent.mkdir(parents=True, exist_ok=True)
                bucket = SQLiteBucket.init_from_file(
                    [Rate(budget.limit, interval_ms)],
                    table=_table_name(name),
                    db_path=str(self.db_path),
                    use_file_lock=True,
                )
                slot = _Slot(budget, interval_ms, Limiter(bucket, buffer_ms=0), bucket)
                self._slots[name] = slot
            return slot

    # -- public API --------------------------------------------------------------------------------
    def budget_names(self) -> list[str]:
        """Names of the budgets this limiter enforces."""
        return sorted(self.budgets)

    def budget_names_for(self, api: str, method: str, path: str) -> list[str]:
        """The budgets a request spends, most specific first (those configured here)."""
        names = [name for name in budgets_for(api, method, path) if name in self.budgets]
        if api not in self.budgets:
            raise ValueError(
                f"No rate-limit budget named {api!r} (the host-wide budget for API {api!r}); "
                f"configured budgets: {', '.join(self.budget_names())}."
            )
        return names

    def acquire(self, api: str, method: str, path: str, timeout: float | None = None) -> float:
        """Block until every budget ``method path`` on ``api`` spends has room; return the seconds waited.

        Budgets are taken most specific first. ``timeout`` (seconds, ``None`` = forever) bounds the whole
        call; past it ``RateLimitTimeout`` names the budget, and permits already taken are given back.
        """
        return self.acquire_budgets(self.budget_names_for(api, method, path), timeout=timeout)

    def acquire_budgets(self, names: Sequence[str], timeout: float | None = None) -> float:
        """``acquire`` for explicit budget names (in the order given)."""
        deadline = None if timeout is None else time.monotonic() + max(0.0, timeout)
        token = f"{os.getpid()}:{threading.get_ident()}:{next(self._tokens)}"
        taken: list[_Slot] = []
        total_wait = 0.0
        first_grant = 0.0
        try:
            for name in names:
                slot = self._slot(name)
                waited = self._take(slot, token, deadline, timeout)
                if waited:
                    total_wait += waited
                    self._note_wait(name, waited)
                if not taken:
                    first_grant = time.monotonic()
                taken.append(slot)
        except BaseException:
            for slot in taken:
                self._rewrite(slot, token, delete=True)
            raise
        # A later (more general) budget made us wait after an earlier one granted: move the earlier
        # permits to "now", the real send time, so their windows are counted from when the request leaves.
        if len(taken) > 1 and time.monotonic() - first_grant > _RESTAMP_AFTER_S:
            for slot in taken[:-1]:
                self._rewrite(slot, token, delete=False)
        self._held.permits = (token, taken)
        return total_wait

    def settle(self) -> None:
        """Re-stamp this thread's last permits to now: call when the request's attempt has completed.

        The server saw the request at or before now, so counting its window from now can only be
        conservative (see the module docstring). A no-op when nothing is held.
        """
        held = getattr(self._held, "permits", None)
        if held is None or self._pid != os.getpid():
            return
        self._held.permits = None
        token, slots = held
        for slot in slots:
            self._rewrite(slot, token, delete=False)

    def wait_totals(self) -> dict[str, dict[str, float]]:
        """Per budget, in this process: seconds spent waiting and how many acquisitions had to wait."""
        with self._lock:
            return {
                name: {"seconds": round(self._waits[name], 3), "requests": self._waited_requests[name]}
                for name in sorted(self._waits)
            }

    def in_window(self, name: str) -> int:
        """Permits currently counted in ``name``'s (margin-lengthened) window, across all processes."""
        slot = self._slot(name)
        with slot.file_lock.acquire(poll_interval=self.poll_ms / 1000):
            since = slot.bucket.now() - slot.interval_ms
            row = slot.bucket.conn.execute(
                f"SELECT COUNT(*) FROM '{slot.bucket.table}' WHERE item_timestamp >= ?", (since,)
            ).fetchone()
        return int(row[0])

    def close(self) -> None:
        """Stop pyrate's background leak threads and close this process's connections."""
        if self._pid != os.getpid():
            return
        with self._lock:
            slots, self._slots = self._slots, {}
        for slot in slots.values():
            slot.limiter.close()

    # -- internals ---------------------------------------------------------------------------------
    def _take(self, slot: _Slot, token: str, deadline: float | None, timeout: float | None) -> float:
        """Take one permit from ``slot``'s budget, waiting as needed.

        Returns the seconds spent waiting for the budget, or 0.0 when it had room at once (a few
        milliseconds lost to a busy file lock are not counted as waiting)."""
        started = time.monotonic()
        slept = False
        while True:
            # Single attempt with a fresh timestamp (see module docstring, defects 1 and 2).
            if slot.limiter.try_acquire(token, blocking=True, timeout=0):
                return time.monotonic() - started if slept else 0.0
            wait = self._wait_hint(slot, deadline, timeout, started)
            now = time.monotonic()
            if deadline is not None and now + wait > deadline:
                self._timeout(slot, timeout, now - started, wait)
            if wait > 0:
                slept = True
                time.sleep(wait + random.uniform(0, self.jitter_ms) / 1000)

    def _wait_hint(self, slot: _Slot, deadline: float | None, timeout: float | None, started: float) -> float:
        """Seconds until the budget's oldest blocking permit leaves the window (0 = room now, or lock was busy)."""
        lock_timeout = -1.0 if deadline is None else max(0.0, deadline - time.monotonic())
        try:
            with slot.file_lock.acquire(timeout=lock_timeout, poll_interval=self.poll_ms / 1000):
                blocking = slot.bucket.peek(slot.budget.limit - 1)
                now_ms = slot.bucket.now()
        except TimeoutError:  # filelock.Timeout: the file lock stayed busy past our deadline
            self._timeout(slot, timeout, time.monotonic() - started, 0.0)
            raise  # unreachable; _timeout always raises
        if blocking is None:
            return 0.0
        # Same arithmetic as pyrate's SlidingWindowLog.retry_after: the window start is inclusive.
        return max(0, blocking.timestamp + slot.interval_ms + 1 - now_ms) / 1000

    def _timeout(self, slot: _Slot, timeout: float | None, waited: float, still_needed: float) -> NoReturn:
        budget = slot.budget
        raise RateLimitTimeout(
            f"Gave up waiting for the shared rate-limit budget {budget.name!r} ({budget.describe()}) after "
            f"{waited:.1f} s: the limiter timeout is {timeout or 0:g} s and the next permit frees in "
            f"{still_needed:.1f} s. Other runs on this machine share the budget through {self.db_path}. "
            f"Raise the wait with the polymarket_api resource's limiter_timeout, run fewer concurrent jobs, or "
            f"(only if the API's published limits allow) raise the budget in the rate_limiter resource config, "
            f"e.g. budgets: {{{budget.name!r}: {budget.limit * 2}}}."
        )

    def _rewrite(self, slot: _Slot, token: str, *, delete: bool) -> None:
        """Give back (``delete``) or re-time to now the permit ``token`` holds in ``slot``'s log."""
        table = slot.bucket.table
        with slot.file_lock.acquire(poll_interval=self.poll_ms / 1000):
            conn: sqlite3.Connection = slot.bucket.conn
            if delete:
                conn.execute(f"DELETE FROM '{table}' WHERE name = ?", (token,))
            else:
                conn.execute(f"UPDATE '{table}' SET item_timestamp = ? WHERE name = ?", (slot.bucket.now(), token))
            conn.commit()

    def _note_wait(self, name: str, seconds: float) -> None:
        with self._lock:
            self._waits[name] = self._waits.get(name, 0.0) + seconds
            self._waited_requests[name] = self._waited_requests.get(name, 0) + 1

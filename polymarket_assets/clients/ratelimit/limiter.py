"""One sliding-window rate limiter shared by every thread and process — of one machine (SQLite) or of many
(Postgres, Redis): :class:`SharedRateLimiter`.

State lives in a store named by a URL (``POLYMARKET_RATELIMIT_URL``; ``store.py``): one pyrate-limiter bucket
per budget, each a sliding-window *log* of permit timestamps. Dagster step processes, backfills and the
order-book logger's thread pools — on every machine that points at the same store — share each budget.

"Never over budget as seen by the server": a permit is stamped when it is granted, and the transport calls
``settle()`` when the attempt completes (response, error or timeout), which re-stamps the thread's permits
to the completion time. A request reaches the server after its grant and before its completion, so with
completion stamps any ``limit + 1`` arrivals are at least one window apart whatever the send jitter (CPU
contention, GIL, slow network): ``arrival[k+N] >= grant[k+N] >= completion[k] + W >= arrival[k] + W``. Grants
and re-stamps are both read from the store's one clock (this machine's for SQLite, the database server's for
Postgres, the Redis server's for Redis), so machines need no clock synchronisation. The only exposure left is
a single request slower than a whole window. ``safety_ms`` (default 50 ms) lengthens the window a little
further, for millisecond rounding.

Usage::

    limiter = SharedRateLimiter("postgresql://rl:…@db:5432/ratelimit", merge_budgets({"data:/trades": 150}))
    limiter.check()                                                            # connect now, or fail naming the URL
    waited = limiter.acquire("gamma", "GET", "/events/keyset", timeout=900)   # blocks; returns seconds waited

The pyrate buckets are driven directly, one check-and-insert at a time (``bucket.put`` with a fresh clock
read), and the waiting is ours, from the log's own oldest blocking entry (``bucket.peek``). pyrate's
``Limiter`` is not used: in 4.5.1 its blocking loop re-puts a waiting item with ``item.timestamp += sleep_ms``
instead of re-reading the clock (measured: stored stamps lagging the grant by up to 256 ms under contention,
more than the margin), and its non-blocking path calls ``lock.acquire(False)``, which filelock >= 4 rejects.
Old permits are dropped (``leak``) by the acquiring threads, about once a minute per budget and process.
"""

from __future__ import annotations

import itertools
import logging
import os
import random
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

from polymarket_assets.clients.budgets import DEFAULT_BUDGETS, Budget, budgets_for
from polymarket_assets.clients.errors import RateLimitTimeout
from polymarket_assets.clients.ratelimit.store import Slot, Store, open_store

__all__ = ["SharedRateLimiter"]

log = logging.getLogger(__name__)

# Objects built by a parent process before a fork: never used or closed by the child (closing an inherited
# connection, pool or file lock in the child is undefined), only kept alive so the GC does not close them.
_INHERITED: list[Any] = []

# Re-time earlier permits when a later budget held the request back longer than this (seconds).
_RESTAMP_AFTER_S = 0.010
# Drop permits older than the window at most this often per budget and process (or every 10 windows).
LEAK_EVERY_S = 60.0


def _store_url(store: str | os.PathLike[str]) -> str:
    text = os.fspath(store)
    if "://" in text or text.startswith("sqlite:"):
        return text
    return "sqlite:///" + str(Path(text).expanduser().resolve()).lstrip("/")  # a plain path: a SQLite file


class SharedRateLimiter:
    """Blocks each request until every budget it spends has room; see the module docstring.

    ``store``: a URL (``sqlite:///…``, ``postgresql://…``, ``redis://…``) or the path of a SQLite file.
    Thread-safe and process-safe. Picklable: only the configuration travels; connections, pools and file locks
    are (re)built lazily in each process (guarded by ``os.getpid()``, so a fork is safe too).
    """

    def __init__(
        self,
        store: str | os.PathLike[str],
        budgets: Mapping[str, Budget] | None = None,
        *,
        safety_ms: int = 50,
        poll_ms: float = 2.0,
        jitter_ms: float = 3.0,
        origin: str = "POLYMARKET_RATELIMIT_URL",
    ) -> None:
        """``safety_ms`` lengthens every window (rounding); ``poll_ms`` is the pause before retrying a busy store;
        ``jitter_ms`` spreads simultaneous wake-ups of waiters; ``origin`` names where ``store`` came from."""
        if safety_ms < 0:
            raise ValueError(f"safety_ms must be >= 0, got {safety_ms}")
        self.url = _store_url(store)
        self.origin = origin
        self.budgets: dict[str, Budget] = dict(DEFAULT_BUDGETS if budgets is None else budgets)
        self.safety_ms = int(safety_ms)
        self.poll_ms = float(poll_ms)
        self.jitter_ms = float(jitter_ms)
        self._init_runtime()

    @property
    def db_path(self) -> Path | None:
        """The SQLite file of a SQLite limiter (``None`` for Postgres and Redis)."""
        return getattr(self._store, "path", None)

    def describe(self) -> str:
        """The store's URL with its password masked (what messages and metadata show)."""
        return self._store.describe()

    # -- per-process runtime state ---------------------------------------------------------------
    def _init_runtime(self) -> None:
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._store: Store = open_store(self.url, origin=self.origin)
        self._slots: dict[str, Slot] = {}
        self._tokens = itertools.count()
        self._tag = uuid.uuid4().hex[:10]  # tokens are unique across processes and machines
        self._waits: dict[str, float] = {}
        self._waited_requests: dict[str, int] = {}
        self._last_leak: dict[str, float] = {}
        self._held = threading.local()  # this thread's last permits: (token, [(slot, stamp)]) until settle()

    def __getstate__(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "origin": self.origin,
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
            _INHERITED.append((self._store, self._slots))
            self._init_runtime()

    def check(self) -> None:
        """Reach the store now (connect, ping, open the file): raises ``StoreError`` naming the setting and the
        masked URL when it cannot be used. Call at start, before any request."""
        self._check_pid()
        self._store.check()

    def _slot(self, name: str) -> Slot:
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
                slot = self._store.slot(budget, interval_ms)
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
        token = f"{self._tag}:{threading.get_ident()}:{next(self._tokens)}"
        taken: list[tuple[Slot, int]] = []
        total_wait = 0.0
        first_grant = 0.0
        try:
            for name in names:
                slot = self._slot(name)
                waited, stamp = self._take(slot, token, deadline, timeout)
                if waited:
                    total_wait += waited
                    self._note_wait(name, waited)
                if not taken:
                    first_grant = time.monotonic()
                taken.append((slot, stamp))
                self._maybe_leak(name, slot)
        except BaseException:
            for slot, stamp in taken:
                slot.give_back(token, stamp)
            raise
        # A later (more general) budget made us wait after an earlier one granted: move the earlier
        # permits to "now", the real send time, so their windows are counted from when the request leaves.
        if len(taken) > 1 and time.monotonic() - first_grant > _RESTAMP_AFTER_S:
            taken = [(slot, slot.restamp(token, stamp)) for slot, stamp in taken[:-1]] + taken[-1:]
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
        token, taken = held
        for slot, stamp in taken:
            slot.restamp(token, stamp)

    def wait_totals(self) -> dict[str, dict[str, float]]:
        """Per budget, in this process: seconds spent waiting and how many acquisitions had to wait."""
        with self._lock:
            return {
                name: {"seconds": round(self._waits[name], 3), "requests": self._waited_requests[name]}
                for name in sorted(self._waits)
            }

    def in_window(self, name: str) -> int:
        """Permits currently counted in ``name``'s (margin-lengthened) window, across all processes."""
        return self._slot(name).in_window()

    def close(self) -> None:
        """Close this process's connections, pools and files."""
        if self._pid != os.getpid():
            return
        with self._lock:
            slots, self._slots = self._slots, {}
        for slot in slots.values():
            slot.close()
        self._store.close()

    # -- internals ---------------------------------------------------------------------------------
    def _take(self, slot: Slot, token: str, deadline: float | None, timeout: float | None) -> tuple[float, int]:
        """Take one permit from ``slot``'s budget, waiting as needed: ``(seconds waited, stamp)``.

        The seconds are 0.0 when it had room at once (a few milliseconds lost to a busy store are not counted
        as waiting)."""
        started = time.monotonic()
        slept = False
        while True:
            granted, stamp = slot.try_take(token)  # one check-and-insert, fresh clock read
            if granted:
                return (time.monotonic() - started if slept else 0.0), stamp
            wait = slot.wait_seconds()
            now = time.monotonic()
            if deadline is not None and now + wait > deadline:
                self._timeout(slot, timeout, now - started, wait)
            if wait > 0:
                slept = True
                time.sleep(wait + random.uniform(0, self.jitter_ms) / 1000)
            else:  # room now but the store was busy (Postgres' NOWAIT table lock): retry shortly
                time.sleep((self.poll_ms + random.uniform(0, self.jitter_ms)) / 1000)

    def _maybe_leak(self, name: str, slot: Slot) -> None:
        now = time.monotonic()
        if now - self._last_leak.get(name, 0.0) < max(10 * slot.interval_ms / 1000, LEAK_EVERY_S):
            return
        self._last_leak[name] = now
        try:
            slot.leak()
        except Exception as exc:  # noqa: BLE001 - dropping old permits is housekeeping; the next one retries
            log.warning(f"rate limiter: dropping old permits of {name!r} failed: {exc}")

    def _timeout(self, slot: Slot, timeout: float | None, waited: float, still_needed: float) -> NoReturn:
        budget = slot.budget
        raise RateLimitTimeout(
            f"Gave up waiting for the shared rate-limit budget {budget.name!r} ({budget.describe()}) after "
            f"{waited:.1f} s: the limiter timeout is {timeout or 0:g} s and the next permit frees in "
            f"{still_needed:.1f} s. Other runs share the budget through {self.describe()}. "
            f"Raise the wait with the polymarket_api resource's limiter_timeout, run fewer concurrent jobs, or "
            f"(only if the API's published limits allow) raise the budget in the rate_limiter resource config, "
            f"e.g. budgets: {{{budget.name!r}: {budget.limit * 2}}}."
        )

    def _note_wait(self, name: str, seconds: float) -> None:
        with self._lock:
            self._waits[name] = self._waits.get(name, 0.0) + seconds
            self._waited_requests[name] = self._waited_requests.get(name, 0) + 1

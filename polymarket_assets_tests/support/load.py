"""Load generator shared by the limiter tests and ``bench/rate_limit.py``.

``start_workers`` spawns processes that each run a few threads, every thread calling one path through
the production path (``HttpTransport`` + ``Endpoint`` + the shared limiter) as fast as the limiter allows
until the run's deadline. Per-request limiter waits come back in ``LoadResult``.

Processes are started with the ``spawn`` method (like Dagster's step processes), so the limiter is pickled
into each one and rebuilds its SQLite connections and file locks there.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from polymarket_assets.clients.errors import ApiError, RateLimitTimeout
from polymarket_assets.clients.http import Endpoint, HttpOptions, HttpTransport, RateLimiter

USER_AGENT = "polymarket-assets-tests/0.1 (load generator)"


@dataclass
class LoadResult:
    """What one worker process did."""

    pid: int
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)
    transport_stats: dict[str, float] = field(default_factory=dict)
    wait_totals: dict[str, Any] = field(default_factory=dict)


class DeadlineLimiter:
    """Wraps a limiter: records each wait, and stops waiting at the run's (wall-clock) deadline."""

    def __init__(self, inner: RateLimiter, deadline: float):
        self.inner = inner
        self.deadline = deadline
        self.waits: list[float] = []
        self._lock = threading.Lock()

    def acquire(self, api: str, method: str, path: str, timeout: float | None = None) -> float:
        left = max(0.0, self.deadline - time.time())
        waited = self.inner.acquire(api, method, path, timeout=left if timeout is None else min(timeout, left))
        with self._lock:
            self.waits.append(waited)
        return waited

    def settle(self) -> None:
        self.inner.settle()


def run_load(limiter: Any, base_url: str, api: str, path: str, *, threads: int, seconds: float) -> LoadResult:
    """Run ``threads`` threads in this process for ``seconds``; each GETs ``path`` back to back."""
    deadline = time.time() + seconds
    recorder = DeadlineLimiter(limiter, deadline)
    transport = HttpTransport(HttpOptions(user_agent=USER_AGENT, read_timeout=10.0, backoff_factor=0.05), recorder)
    endpoint = Endpoint(transport, api, base_url, "FakeApi.base_url")
    result = LoadResult(pid=os.getpid())
    lock = threading.Lock()

    def loop() -> None:
        while time.time() < deadline:
            try:
                endpoint.get_json(path)
            except RateLimitTimeout:
                return  # the run's deadline passed while waiting for a permit
            except ApiError as exc:
                with lock:
                    result.errors.append(f"{type(exc).__name__}: {exc}"[:300])
                continue
            with lock:
                result.requests += 1

    pool = [threading.Thread(target=loop, name=f"load-{i}") for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    result.waits = list(recorder.waits)
    result.transport_stats = transport.stats.snapshot()
    if hasattr(limiter, "wait_totals"):
        result.wait_totals = limiter.wait_totals()
    return result


def _worker(limiter: Any, base_url: str, api: str, path: str, threads: int, seconds: float, barrier: Any, out: Any) -> None:
    barrier.wait(timeout=120)
    try:
        out.put(run_load(limiter, base_url, api, path, threads=threads, seconds=seconds))
    except BaseException as exc:  # report instead of dying silently
        out.put(LoadResult(pid=os.getpid(), errors=[f"worker crashed: {type(exc).__name__}: {exc}"]))
        raise


def run_processes(
    limiter: Any, base_url: str, api: str, path: str, *, processes: int, threads: int, seconds: float
) -> tuple[list[LoadResult], float, float]:
    """Run ``processes`` spawned workers together; returns (results, start time, end time) in
    ``time.monotonic()`` of this process (comparable with ``FakeApi`` arrival times when it runs here)."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(processes + 1)
    out = ctx.Queue()
    workers = [
        ctx.Process(target=_worker, args=(limiter, base_url, api, path, threads, seconds, barrier, out), daemon=True)
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    barrier.wait(timeout=120)  # every worker has imported everything; start the clock together
    started = time.monotonic()
    results = [out.get(timeout=seconds + 120) for _ in workers]
    ended = time.monotonic()
    for worker in workers:
        worker.join(timeout=30)
    return results, started, ended

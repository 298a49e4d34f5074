"""Load generator shared by the limiter tests and ``bench/rate_limit.py``.

``run_processes`` spawns processes that each run a few threads, every thread calling one path through the
production path: the clients of ``PolymarketApiResource.clients(...)`` (the one factory bronze assets and the
order-book logger use), over the shared limiter of its ``RateLimiterResource``, as fast as the limiter allows
until the run's deadline (``limiter_timeout`` = the run's length, so no thread waits far past it). Each
request's limiter waits (``HttpTransport.last_limiter_waits``) come back in ``LoadResult``.

Processes are started with the ``spawn`` method (like Dagster's step processes), so each one gets the :class:`LoadTarget`
pickled and builds its resource and limiter (SQLite connections and file locks, or its Postgres / Redis client) there.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from polymarket_assets.clients.errors import ApiError, RateLimitTimeout
from polymarket_assets.resources import PolymarketApiResource, RateLimiterResource

USER_AGENT = "polymarket-assets-tests/0.1 (load generator)"
#: The API family and path the load requests, and the published budget that governs that path.
API, PATH, BUDGET = "data", "/trades", "data:/trades"


@dataclass(frozen=True)
class LoadTarget:
    """What the load runs against (plain values: a worker process gets it pickled and builds :meth:`api`)."""

    base_url: str
    limit: int
    window: float
    safety_ms: int
    store_url: str | None = None  # the limiter's store (postgresql://…, redis://…, sqlite:///…), or
    db_path: str | None = None  # a SQLite file

    def api(self) -> PolymarketApiResource:
        """The API resource the load runs through: ``data_url`` = ``base_url``, the ``data:/trades`` budget set
        to ``limit`` requests per ``window`` seconds, over the limiter store named here."""
        limiter = RateLimiterResource(
            url=self.store_url, db_path=self.db_path, budgets={BUDGET: self.limit}, window_seconds={BUDGET: self.window},
            safety_margin_ms=self.safety_ms,
        )
        return PolymarketApiResource(
            rate_limiter=limiter, data_url=self.base_url, user_agent=USER_AGENT, read_timeout=10.0, backoff_factor=0.05
        )


@dataclass
class LoadResult:
    """What one worker process did."""

    pid: int
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)
    transport_stats: dict[str, float] = field(default_factory=dict)
    wait_totals: dict[str, Any] = field(default_factory=dict)


def run_load(polymarket_api: PolymarketApiResource, *, threads: int, seconds: float) -> LoadResult:
    """Run ``threads`` threads in this process for ``seconds``; each GETs ``PATH`` back to back."""
    deadline = time.time() + seconds
    clients = polymarket_api.clients(limiter_timeout=seconds)
    endpoint = clients.endpoint(API)
    result = LoadResult(pid=os.getpid())
    lock = threading.Lock()

    def loop() -> None:
        while time.time() < deadline:
            try:
                endpoint.get_json(PATH)
            except RateLimitTimeout:
                return  # the next permit is past the run's end
            except ApiError as exc:
                with lock:
                    result.errors.append(f"{type(exc).__name__}: {exc}"[:300])
                continue
            finally:
                waits = clients.transport.last_limiter_waits()
                with lock:
                    result.waits.extend(waits)
            with lock:
                result.requests += 1

    pool = [threading.Thread(target=loop, name=f"load-{i}") for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    result.transport_stats = clients.stats.snapshot()
    result.wait_totals = polymarket_api.rate_limiter.get_limiter().wait_totals()
    return result


def _worker(target: LoadTarget, threads: int, seconds: float, barrier: Any, out: Any) -> None:
    polymarket_api = target.api()
    polymarket_api.rate_limiter.get_limiter()  # the store is reached before the clock starts
    barrier.wait(timeout=120)
    try:
        out.put(run_load(polymarket_api, threads=threads, seconds=seconds))
    except BaseException as exc:  # report instead of dying silently
        out.put(LoadResult(pid=os.getpid(), errors=[f"worker crashed: {type(exc).__name__}: {exc}"]))
        raise


def run_processes(target: LoadTarget, *, processes: int, threads: int, seconds: float) -> tuple[list[LoadResult], float, float]:
    """Run ``processes`` spawned workers together; returns (results, start time, end time) in
    ``time.monotonic()`` of this process (comparable with ``FakeApi`` arrival times when it runs here)."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(processes + 1)
    out = ctx.Queue()
    workers = [
        ctx.Process(target=_worker, args=(target, threads, seconds, barrier, out), daemon=True)
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

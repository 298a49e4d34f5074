"""Benchmark: is the shared rate limiter both safe (never over budget) and efficient (>= 95 %), on each store?

Starts ``FakeApi`` in this process with a sliding-window budget (default 50 req/s, i.e. 500 per 10 s, 20 ms
latency per request; over-budget requests are answered 429), then runs ``--workers`` spawned processes with
``--threads`` threads each for ``--seconds``, all going through ``HttpTransport`` and one
``SharedRateLimiter`` on the store ``--backend`` names: ``sqlite`` (a file, the default), ``postgres`` or
``redis`` — for those two the benchmark starts a throwaway server on 127.0.0.1 itself, with the same support
code the tests use (``polymarket_assets_tests/support/services/``: Debian's ``postgresql`` / ``redis-server``).
Prints:

* achieved ÷ allowed: requests served ÷ (rate × run seconds) — what the run got out of the budget;
* steady-state utilisation: window ÷ mean(t[i+limit] − t[i]) over the server's arrival times — independent
  of run length and burst phase; 1.0 is the full budget, the safety margin alone costs window/(window+margin);
* max requests the server saw in any sliding window vs the budget, and the 429 count (must be 0);
* p50 / p99 / max limiter wait per request.

and a markdown table of the same figures (the README's rows).

Run from the repo root: ``.venv/bin/python bench/rate_limit.py [--backend postgres] [--seconds 30 --rate 50
--latency-ms 20 --workers 2]``. Exit status 1 when the budget was exceeded or utilisation < 0.95.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from polymarket_assets.clients.budgets import Budget  # noqa: E402
from polymarket_assets.clients.ratelimit import SharedRateLimiter  # noqa: E402
from polymarket_assets.replay.fake_api import FakeApi, budget_utilisation  # noqa: E402
from polymarket_assets_tests.support.load import run_processes  # noqa: E402

API = "bench"
PATH = "/bench"


@contextlib.contextmanager
def store(backend: str, tmp: Path) -> Iterator[str]:
    """The limiter's store URL; a Postgres or Redis server is started here and stopped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{str(tmp / 'ratelimit.sqlite').lstrip('/')}"
        return
    from polymarket_assets_tests.support.services import start_postgres, start_redis

    server = start_postgres() if backend == "postgres" else start_redis()
    try:
        yield server.url
    finally:
        server.stop()


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="run length (default 30)")
    parser.add_argument("--rate", type=float, default=50.0, help="allowed requests per second (default 50)")
    parser.add_argument("--window", type=float, default=10.0, help="budget window seconds (default 10)")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="server latency per request (default 20)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker process (default 4)")
    parser.add_argument("--safety-ms", type=int, default=50, help="limiter window margin (default 50, as the resource)")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "redis"], default="sqlite", help="the limiter's store (default sqlite)")
    args = parser.parse_args(argv)

    limit = int(round(args.rate * args.window))
    with (tempfile.TemporaryDirectory(prefix="bench-ratelimit-") as tmp, store(args.backend, Path(tmp)) as url,
          FakeApi(latency=args.latency_ms / 1000) as api):
        api.route("GET", PATH, lambda request: {"ok": True}, group=API)
        api.add_budget(API, limit, args.window)
        limiter = SharedRateLimiter(url, {API: Budget(API, limit, args.window)}, safety_ms=args.safety_ms)
        limiter.check()
        print(
            f"store {args.backend}: {limiter.describe()}; budget {limit} req / {args.window:g} s ({args.rate:g} req/s), "
            f"latency {args.latency_ms:g} ms, {args.workers} processes x {args.threads} threads, {args.seconds:g} s, "
            f"safety margin {args.safety_ms} ms",
            flush=True,
        )
        results, _started, _ended = run_processes(
            limiter, api.base_url, API, PATH, processes=args.workers, threads=args.threads, seconds=args.seconds
        )
        arrivals = api.arrivals(API)
        served = api.count(API, 200)
        throttled = api.count_429(API)
        max_window = api.max_in_window(API, args.window)

    waits = [w for result in results for w in result.waits]
    errors = [e for result in results for e in result.errors]
    achieved = served / args.seconds
    utilisation = budget_utilisation(arrivals, limit, args.window) if len(arrivals) > limit else float("nan")
    print(f"requests served: {served} ({', '.join(str(r.requests) for r in results)} per process); errors: {len(errors)}")
    print(f"achieved rate: {achieved:.2f} req/s / allowed {args.rate:g} req/s = {achieved / args.rate:.3f}")
    print(f"steady-state utilisation (window / mean gap of {limit} requests): {utilisation:.3f}"
          f"  (margin-only bound {args.window / (args.window + args.safety_ms / 1000):.3f})")
    print(f"max requests in any {args.window:g} s window: {max_window} / budget {limit}")
    print(f"HTTP 429 answers: {throttled}")
    print(
        f"limiter wait per request: p50 {_quantile(waits, 0.50) * 1000:.1f} ms, p99 {_quantile(waits, 0.99) * 1000:.1f} ms, "
        f"max {max(waits, default=0) * 1000:.1f} ms, mean {statistics.fmean(waits) * 1000 if waits else 0:.1f} ms "
        f"({sum(1 for w in waits if w > 0)} of {len(waits)} acquisitions waited)"
    )
    for error in errors[:5]:
        print("  error:", error)
    waited = sum(1 for w in waits if w > 0)
    print(f"\n| measure ({args.backend}) | result |\n|---|---|")
    print(f"| requests served | {served} ({' + '.join(str(r.requests) for r in results)} per process), {len(errors)} errors |")
    print(f"| achieved ÷ allowed rate | {achieved:.2f} ÷ {args.rate:g} req/s = **{achieved / args.rate:.3f}**; steady-state utilisation **{utilisation:.3f}** |")
    print(f"| most requests in any {args.window:g} s window | **{max_window}** / budget {limit} |")
    print(f"| HTTP 429 | **{throttled}** |")
    print(f"| limiter wait per request | p50 {_quantile(waits, 0.50) * 1000:.1f} ms, p99 {_quantile(waits, 0.99) * 1000:.1f} ms "
          f"({waited} of {len(waits)} acquisitions waited) |")
    ok = max_window <= limit and throttled == 0 and utilisation >= 0.95 and not errors
    print("RESULT:", "PASS" if ok else "FAIL", "(target: never over budget, 0 x 429, utilisation >= 0.95)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: a 7-day ``bronze/trades`` range backfill against the official budgets, scaled down.

Budget mode (default). A local ``FakeApi`` serves the trades world of
``polymarket_assets/replay/trades_world.py`` (real ``/v2/trades`` rows, varied) with the Data API
``/trades`` budget scaled down — by default 200 req / 10 s → 40 req / 2 s (time / 5, count / 5), 20 ms latency
per request. The server answers 429 over budget and records every arrival. The same scaled budget is given to
the platform's rate limiter (``RateLimiterResource.window_seconds``), with the production 50 ms margin
(permits are re-stamped when each request completes, so send jitter cannot push the server over budget),
and the real asset runs in-process as one range run (``dg.materialize`` with the partition-range tags, like
the CLI).

Printed: requests, wall time, the share of the ``/trades`` budget used = requests ÷ (budget rate × wall time)
(target ≥ 0.9), wall time ÷ the least time the budget allows for those requests ((⌈N / limit⌉ − 1) × window;
target ≤ 1.2), the most requests the server saw in any window vs the budget, 429s, rows, peak RSS. The server
runs in a child process (like the real, remote API), so it does not compete with the pipeline for the GIL.
``--window 10`` keeps the published 10 s window and scales the count instead (through the resource's own
``budgets`` config, no window override).

Memory mode (``--memory``). One day holding ``--rows`` trades (default 2,000,000) is materialized with
``page_size`` 1,000; the server runs in a child process so that the figure is the pipeline's own peak RSS
(sampled every 20 ms with psutil, plus ``ru_maxrss``). The budget is the published one.

Run from the repo root: ``.venv/bin/python bench/backfill.py`` / ``.venv/bin/python bench/backfill.py --memory``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import math
import multiprocessing
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import dagster as dg  # noqa: E402
import psutil  # noqa: E402

from polymarket_assets.bronze.parquet_io import read_partition  # noqa: E402
from polymarket_assets.defs.bronze.trades import trades  # noqa: E402
from polymarket_assets.replay.fake_api import FakeApi  # noqa: E402
from polymarket_assets.replay.trades_world import TradesWorld  # noqa: E402
from polymarket_assets.resources import LakeResource, PolymarketApiResource, RateLimiterResource  # noqa: E402
from polymarket_assets_tests.bronze.range_helpers import asset_config, range_tags  # noqa: E402

GROUP = "data:/trades"
FIRST = dt.date(2026, 11, 1)


class RssSampler:
    """Peak resident set size of this process, sampled in a thread."""

    def __init__(self, interval: float = 0.02):
        self.process = psutil.Process()
        self.interval = interval
        self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(self.interval)

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def mib(n: float) -> str:
    return f"{n / 2**20:.0f} MiB"


def least_time(requests: int, limit: int, window: float) -> float:
    """The shortest time in which ``requests`` can be sent within "``limit`` per sliding ``window``"."""
    return max(0, math.ceil(requests / limit) - 1) * window


def _serve_budgeted(conn: Any, days: list[dt.date], world_args: dict[str, Any], limit: int, window: float, latency: float) -> None:
    """Child process: the 7-day world behind a budgeted FakeApi. Sends (base URL, world size); on "stats"
    sends back what the server saw."""
    world = TradesWorld(days, **world_args)
    with FakeApi(latency=latency) as api:
        world.install(api)
        api.add_budget(GROUP, limit, window)
        conn.send((api.base_url, len(world.markets), sum(s.count for s in world.streams.values())))
        conn.recv()
        conn.send(
            {
                "arrivals": api.arrivals(GROUP),
                "http_429": api.count_429(GROUP),
                "max_in_window": api.max_in_window(GROUP, window),
                "gamma": api.count("gamma:/markets"),
            }
        )
        conn.recv()


def budget_mode(args: argparse.Namespace) -> int:
    seen, meta, rows, step_wall, total_wall, peak = run_backfill(args)
    return report_backfill(args, seen, meta, rows, step_wall, total_wall, peak)


def run_backfill(args: argparse.Namespace, data_dir: str | None = None, local_dir: str | None = None) -> tuple[Any, ...]:
    """One budget-mode backfill of the 7-day world; the lake is a temporary directory, or ``data_dir`` (e.g.
    ``s3://bucket/prefix`` from ``bench/lake.py``, with ``local_dir`` for this machine's files)."""
    days = [FIRST + dt.timedelta(days=i) for i in range(7)]
    limit = max(1, round(200 * args.window / 10 / args.scale)) if args.limit is None else args.limit
    safety_ms = 50 if args.safety_ms is None else args.safety_ms
    world_args = {"markets_per_day": args.markets_per_day, "long_markets": args.long_markets, "trades_per_day": args.trades_per_day}
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    server = ctx.Process(target=_serve_budgeted, args=(child, days, world_args, limit, args.window, args.latency_ms / 1000), daemon=True)
    server.start()
    base_url, n_markets, n_trades = parent.recv()
    logging.disable(logging.WARNING)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-backfill-") as tmp:
            root = Path(tmp)
            budgets = {"data:/trades": limit, "data": limit * 5}
            limiter = RateLimiterResource(
                db_path=str(root / "rl.sqlite"),
                budgets=budgets,
                window_seconds={name: float(args.window) for name in budgets},
                safety_margin_ms=safety_ms,
            )
            lake = LakeResource(data_dir=data_dir or str(root), local_dir=local_dir or (str(root / "local") if data_dir else None))
            resources = {
                "rate_limiter": limiter,
                "polymarket_api": PolymarketApiResource(rate_limiter=limiter, gamma_url=base_url, data_url=base_url, clob_url=base_url),
                "lake": lake,
            }
            print(
                f"lake: {lake.root}; budget: {GROUP} {limit} req / {args.window:g} s (published 200 / 10 s), limiter safety margin {safety_ms} ms, "
                f"latency {args.latency_ms:g} ms, page_size {args.page_size}, workers {args.workers}; server in its own process; "
                f"{n_markets} markets, {n_trades} trades in the world",
                flush=True,
            )
            with RssSampler() as rss:
                started = time.monotonic()
                result = dg.materialize(
                    [trades],
                    resources=resources,
                    run_config=asset_config("bronze__trades", page_size=args.page_size, workers=args.workers),
                    tags=range_tags(days[0], days[-1]),
                )
                total_wall = time.monotonic() - started
            assert result.success
            parent.send("stats")
            seen = parent.recv()
            meta = result.get_asset_materialization_events()[0].materialization.metadata
            rows = sum(read_partition(lake.bronze, "trades", d).num_rows for d in days)
    finally:
        parent.send("stop")
        server.join(timeout=10)
    return seen, meta, rows, float(meta["elapsed_seconds"].value), total_wall, rss.peak


def report_backfill(args: argparse.Namespace, seen: dict[str, Any], meta: Any, rows: int, step_wall: float, total_wall: float, peak: int) -> int:
    days = [FIRST + dt.timedelta(days=i) for i in range(7)]
    limit = max(1, round(200 * args.window / 10 / args.scale)) if args.limit is None else args.limit
    arrivals = seen["arrivals"]
    n = len(arrivals)
    phase_wall = arrivals[-1] - arrivals[0] + args.latency_ms / 1000 if arrivals else 0.0
    rate = limit / args.window
    minimum = least_time(n, limit, args.window)
    share, ratio = n / (rate * step_wall), (step_wall / minimum if minimum else float("nan"))  # nan: fewer requests than one window
    print(f"requests to /v2/trades: {n} ({meta['pages'].value} pages, {meta['condition_chains'].value} chains); Gamma requests: {seen['gamma']}")
    print(f"rows written: {rows} over {len(days)} partitions ({meta['rows_after_range_paged_through'].value} rows after the range paged through)")
    print(f"wall time: asset step {step_wall:.2f} s (trades phase, first to last arrival {phase_wall:.2f} s; dg.materialize incl. Dagster {total_wall:.2f} s)")
    print(f"share of the /trades budget used: requests / (rate x wall) = {n} / ({rate:g}/s x {step_wall:.2f} s) = {share:.3f} (trades phase: {n / (rate * phase_wall):.3f}); target >= 0.9")
    print(f"wall / least time the budget allows: {step_wall:.2f} / {minimum:.2f} = {ratio:.3f} (trades phase: {phase_wall / minimum:.3f}); target <= 1.2")
    print(f"max requests in any {args.window:g} s window: {seen['max_in_window']} (budget {limit}); 429 answers: {seen['http_429']}; transport retries: {meta['retries'].value}")
    print(f"peak RSS (the pipeline process): {mib(peak)}; ru_maxrss {mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)}")
    return 0 if seen["http_429"] == 0 and share >= 0.9 and ratio <= 1.2 else 1


def _serve(conn: Any, rows: int, markets: int, day: dt.date) -> None:
    """Child process: a one-day world with ``rows`` trades on ``day``; sends the base URL, serves until told."""
    midnight = dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)
    # the world adds two more markets trading that day (a late closer, one open past its end date), and every
    # 7th fill repeats the previous one: spread ``rows`` over markets + 2 at 7/6 fills per base trade
    per_market = round(rows * 6 / 7 / (markets + 2))
    world = TradesWorld([day], markets_per_day=0, long_markets=markets, trades_per_day=per_market, now=midnight + dt.timedelta(days=1), busy_every=None)
    with FakeApi() as api:
        world.install(api)
        conn.send((api.base_url, world.count_on(day)))
        conn.recv()


def memory_mode(args: argparse.Namespace) -> int:
    day = dt.date(2026, 11, 3)
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    server = ctx.Process(target=_serve, args=(child, args.rows, args.memory_markets, day), daemon=True)
    server.start()
    base_url, world_trades = parent.recv()
    logging.disable(logging.WARNING)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-backfill-mem-") as tmp:
            root = Path(tmp)
            limiter = RateLimiterResource(db_path=str(root / "rl.sqlite"))
            resources = {
                "rate_limiter": limiter,
                "polymarket_api": PolymarketApiResource(rate_limiter=limiter, gamma_url=base_url, data_url=base_url, clob_url=base_url, read_timeout=120),
                "lake": LakeResource(data_dir=str(root)),
            }
            baseline = psutil.Process().memory_info().rss
            print(f"memory: one partition, ~{world_trades} trades in the world on {day} ({args.memory_markets} markets), page_size 1000; baseline RSS {mib(baseline)}", flush=True)
            with RssSampler() as rss:
                started = time.monotonic()
                result = dg.materialize([trades], resources=resources, run_config=asset_config("bronze__trades", page_size=1000), partition_key=day.isoformat())
                wall = time.monotonic() - started
            assert result.success
            path = root / "bronze" / "trades" / f"dt={day.isoformat()}" / "part-0.parquet"
            import pyarrow.parquet as pq

            meta = pq.ParquetFile(path).metadata
            print(f"rows written: {meta.num_rows} in {meta.num_row_groups} row groups, {mib(path.stat().st_size)} on disk, {wall:.1f} s")
            print(f"peak RSS: {mib(rss.peak)} (sampled), ru_maxrss {mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)}; baseline before the run {mib(baseline)}")
            return 0 if rss.peak < 1024 * 2**20 else 1
    finally:
        parent.send("stop")
        server.join(timeout=10)


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=float, default=2.0, help="budget window in seconds (default 2 = the published 10 s / 5)")
    parser.add_argument("--scale", type=float, default=1.0, help="extra division of the count (default 1: 40 per 2 s)")
    parser.add_argument("--limit", type=int, default=None, help="explicit requests per window (overrides the scaling)")
    parser.add_argument(
        "--safety-ms",
        type=int,
        default=None,
        help="limiter safety margin (default max(100, 200 ms x window / 10 s); it absorbs absolute send jitter, "
        "which does not shrink with the window: 40 ms let 1-3 requests over a 2 s budget on a 2-core machine)",
    )
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--markets-per-day", type=int, default=60)
    parser.add_argument("--long-markets", type=int, default=30)
    parser.add_argument("--trades-per-day", type=int, default=170)
    parser.add_argument("--memory", action="store_true", help="measure peak RSS for one 2M-trade partition instead")
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--memory-markets", type=int, default=50)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    return memory_mode(args) if args.memory else budget_mode(args)


if __name__ == "__main__":
    raise SystemExit(main())

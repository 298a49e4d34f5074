"""Benchmark of the order-book logger: >= 200 books at 1 Hz for 5 minutes against a local server with
20 ms latency, measuring (not estimating):

* books/s sustained (snapshots written / wall seconds) and books on disk for every tick (min/max);
* CPU of the logger process (``resource.getrusage`` user+sys over wall, % of ONE core; the fake server
  runs in a separate process and is not counted), plus the worst 10-second window (psutil);
* p99 fetch-to-disk latency (request start -> line handed to the OS by the writer's flush), from the
  writer's 1-ms histogram;
* lost snapshots: polls due (active instruments x ticks) minus lines on disk, and a check that the
  per-run sequence numbers on disk are exactly 1..N (no gap, no duplicate).

The logger runs exactly as in production (``build_run_logger`` of the job, its clients too: discovery with
transport retries, books on the hot path without; shared rate limiter on), with discovery of 100 Polymarket markets (top N by volume: 200 books, via
``POST /books`` batches of 100), the BTC 15-minute pair and 8 Limitless markets (the default cap; the shared 'limitless' budget is
100 requests / 10 s) = 210 books per tick.

    .venv/bin/python -m bench.logger                # 5 minutes, writes bench/out/logger.json
    .venv/bin/python -m bench.logger --duration 30  # quick look
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from polymarket_assets.resources import PolymarketApiResource, RateLimiterResource
from polymarket_assets.streaming.logger_run import OrderbookLoggerConfig, build_run_logger

ROOT = Path(__file__).resolve().parents[1]


def cpu_seconds() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=300.0, help="seconds of polling (default 300)")
    parser.add_argument("--general-markets", type=int, default=100, help="Polymarket markets (2 books each)")
    parser.add_argument("--limitless", type=int, default=8, help="Limitless markets (1 book each; the shared limitless budget is 10 req/s)")
    parser.add_argument("--latency", type=float, default=0.020, help="server latency per response, seconds")
    parser.add_argument("--cadence", type=float, default=1.0)
    parser.add_argument("--out", default=str(ROOT / "bench" / "out" / "logger.json"))
    parser.add_argument("--keep", action="store_true", help="keep the JSONL written (default: delete it)")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="bench-logger-"))
    server = subprocess.Popen(
        [sys.executable, "-m", "polymarket_assets_tests.streaming.fake_venues", "--latency", str(args.latency),
         "--general-markets", str(args.general_markets), "--limitless-markets", str(args.limitless)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    try:
        url = json.loads(server.stdout.readline())["url"]  # type: ignore[union-attr]
        api = PolymarketApiResource(
            rate_limiter=RateLimiterResource(db_path=str(data_dir / "ratelimit.sqlite")),
            gamma_url=url, clob_url=url, limitless_url=url, user_agent="polymarket-assets-bench", connect_timeout=5,
        )
        cfg = OrderbookLoggerConfig(
            duration_minutes=args.duration / 60, cadence_seconds=args.cadence, polymarket_top_n=args.general_markets,
            limitless_underlyings=[], progress_interval_seconds=30,
        )
        # the clients the op gets (logger_clients): discovery on the resource's options, books on the hot path
        logger, _clients = build_run_logger(cfg, api, stream_dir=data_dir / "stream", state_dir=data_dir / "state", run_tag="bench")

        proc = psutil.Process()
        windows: list[dict[str, float]] = []
        stop = threading.Event()

        def sample() -> None:
            last_t, last_cpu = time.monotonic(), proc.cpu_times()
            last_written = 0
            while not stop.wait(10.0):
                t, cpu = time.monotonic(), proc.cpu_times()
                snap = logger.stats.snapshot()
                written = sum(v["written"] for v in snap["venues"].values())
                dt = t - last_t
                windows.append({
                    "cpu_pct": 100.0 * ((cpu.user - last_cpu.user) + (cpu.system - last_cpu.system)) / dt,
                    "books_per_s": (written - last_written) / dt,
                })
                last_t, last_cpu, last_written = t, cpu, written

        logger.start()  # discovery pass + threads; measurement starts at the first tick
        wall0, cpu0 = time.monotonic(), cpu_seconds()
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        summary = logger.run(args.duration)
        wall, cpu = time.monotonic() - wall0, cpu_seconds() - cpu0
        stop.set()

        lines = 0
        seqs: list[int] = []
        per_tick: dict[int, int] = {}
        for path in sorted((data_dir / "stream").glob("*/orderbooks/date=*/*.jsonl")):
            data = path.read_bytes()
            assert data.endswith(b"\n"), f"partial last line in {path}"
            for line in data.splitlines():
                rec = json.loads(line)
                seqs.append(rec["seq"])
                per_tick[rec["poll_cycle"]] = per_tick.get(rec["poll_cycle"], 0) + 1
                lines += 1
        seqs.sort()
        contiguous = seqs == list(range(1, len(seqs) + 1))
        venues = summary["venues"]
        due = sum(v["polls_due"] for v in venues.values())
        active = summary["active_instruments"]
        ticks = summary["totals"]["cycles"]
        result = {
            "duration_seconds": round(wall, 1),
            "server_latency_ms": args.latency * 1000,
            "books_per_tick": {v: round(c["polls_due"] / max(ticks, 1), 1) for v, c in venues.items()},
            "books_per_tick_total": round(due / max(ticks, 1), 1),
            "ticks": ticks,
            "missed_ticks": summary["totals"]["missed_ticks"],
            "books_per_second": round(lines / wall, 1),
            "books_on_disk_per_tick_min_max": [min(per_tick.values(), default=0), max(per_tick.values(), default=0)],
            "ticks_on_disk": len(per_tick),
            "cpu_pct_of_one_core": round(100.0 * cpu / wall, 1),
            "cpu_pct_max_10s_window": round(max((w["cpu_pct"] for w in windows), default=0.0), 1),
            "cpu_count": os.cpu_count(),
            "fetch_to_disk_ms": summary["fetch_to_disk_ms"],
            "polls_due": due,
            "lines_on_disk": lines,
            "lost_snapshots": due - lines,
            "seq_contiguous_no_duplicates": contiguous,
            "request_errors": sum(v["request_errors"] for v in venues.values()),
            "requests": sum(v["requests"] for v in venues.values()),
            "last_errors": summary.get("last_errors", {}),
            "active_instruments_in_snapshot": active,
            "clean_shutdown": summary["clean_shutdown"],
            "shutdown_seconds": summary["shutdown_seconds"],
            "python": sys.version.split()[0],
        }
        checks = {
            ">= 200 books per tick": result["books_per_tick_total"] >= 200,
            "1 Hz sustained (no missed tick, books/s >= 200)": result["missed_ticks"] == 0 and result["books_per_second"] >= 200 * (1 / args.cadence) * 0.99,
            "CPU < 25% of one core": result["cpu_pct_of_one_core"] < 25,
            "p99 fetch-to-disk < 1 s": (result["fetch_to_disk_ms"]["p99"] or 1e9) < 1000,
            "no lost snapshots": result["lost_snapshots"] == 0 and contiguous,
        }
        result["checks"] = checks
        result["pass"] = all(checks.values())
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2))
        print(json.dumps(result, indent=2))
        return 0 if result["pass"] else 1
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:  # a loaded machine: do not leave the server (and our stdout pipe) behind
            server.kill()
            server.wait(10)
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: the lake on S3 vs on local disk — the 7-day bronze backfill and the silver build, same data.

Starts a local S3 server (moto, its own process, with the support code the tests use:
``polymarket_assets_tests/support/services/``), creates a bucket (the platform never does), points the
standard AWS variables at it, and runs each workload twice, once per lake:

1. **bronze backfill**: ``bench/backfill.py``'s budget mode — the 7-day ``bronze/trades`` range run against the
   scaled Data API budget (40 req / 2 s) — with the lake in a temporary directory, then on
   ``s3://<bucket>/backfill``. The budget bounds both, so the ratio shows what committing 7 partitions (and the
   checkpoint after each) to S3 adds to a rate-limited run;
2. **silver build**: ``bench/silver.py``'s synthetic bronze (``--silver-rows`` trades over ``--silver-days``
   days), built into a fresh DuckDB file from the local copy, then uploaded to ``s3://<bucket>/silver`` and
   built again from there (DuckDB reading through the lake's registered filesystem); plus the no-op re-run (a
   listing and one HEAD per partition file for the ETags) and a one-day update on each.

Prints the figures and the README table (local seconds, S3 seconds, S3 ÷ local). The S3 server is on the same
machine, so the ratio measures the client-side cost of the object-storage path (HTTP, upload, fsspec reads),
not a real network; a remote store adds its latency and bandwidth on top.

Run from the repo root: ``.venv/bin/python bench/lake.py [--silver-rows 2000000 --silver-days 14]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
for p in (str(REPO), str(REPO / "bench")):
    if p not in sys.path:
        sys.path.insert(0, p)


def bench_backfill(bucket: str, extra: list[str], tmp: Path) -> dict[str, Any]:
    import backfill

    args = backfill.make_parser().parse_args(extra)  # e.g. --markets-per-day 10 for a small run
    out: dict[str, Any] = {}
    for name, data_dir in (("local", None), ("s3", f"s3://{bucket}/backfill")):
        print(f"\n== bronze backfill, lake {name}", flush=True)
        seen, meta, rows, step_wall, total_wall, peak = backfill.run_backfill(args, data_dir=data_dir, local_dir=str(tmp / f"bf-{name}"))
        backfill.report_backfill(args, seen, meta, rows, step_wall, total_wall, peak)
        out[name] = {"step_seconds": step_wall, "requests": len(seen["arrivals"]), "rows": rows, "http_429": seen["http_429"],
                     "max_in_window": seen["max_in_window"]}
    return out


def stamps(local_lake: Path) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in (local_lake / "bronze").rglob("*.parquet")}


def upload(local_lake: Path, uri: str, unchanged: dict[Path, int] | None = None) -> float:
    """Upload the lake's bronze files (those whose mtime is not in ``unchanged``), one commit each."""
    from polymarket_assets.lake import open_lake

    started = time.monotonic()
    lake = open_lake(uri)
    for path in sorted((local_lake / "bronze").rglob("*.parquet")):
        if unchanged is not None and unchanged.get(path) == path.stat().st_mtime_ns:
            continue
        tmp = lake.temp_file(lake.root / path.relative_to(local_lake).as_posix())
        shutil.copyfile(path, tmp)
        lake.commit_file(tmp, lake.root / path.relative_to(local_lake).as_posix())
    return time.monotonic() - started


def bench_silver(bucket: str, rows: int, days: int, markets: int, wallets: int, tmp: Path) -> dict[str, Any]:
    import silver
    import silver_data

    local_lake = tmp / "silver-lake"
    print(f"\n== silver: generating {rows:,} trades over {days} days ...", flush=True)
    silver_data.generate(local_lake, rows, days, markets, wallets, log=lambda _m: None)
    uri = f"s3://{bucket}/silver"
    out: dict[str, Any] = {"upload_seconds": upload(local_lake, uri)}
    for name, lake in (("local", local_lake), ("s3", uri)):
        db = tmp / f"silver-{name}.duckdb"
        print(f"== silver full build, lake {name}", flush=True)
        full = silver.run_phase("materialize", lake, db)
        noop = silver.run_phase("materialize", lake, db)
        out[name] = {"full_build": full["seconds"], "noop": noop["seconds"], "success": full["success"],
                     "rows": full["assets"].get("trade_fact", {}).get("dagster/row_count")}
    day = days // 2
    before = stamps(local_lake)
    silver_data.generate(local_lake, rows, days, markets, wallets, seed=1, only_days=[day], log=lambda _m: None)
    out["s3"]["upload_one_day_seconds"] = upload(local_lake, uri, unchanged=before)  # only the rewritten day's files
    for name, lake in (("local", local_lake), ("s3", uri)):
        out[name]["one_day_update"] = silver.run_phase("materialize", lake, tmp / f"silver-{name}.duckdb")["seconds"]
    return out


def table(res: dict[str, Any]) -> str:
    lines = ["| workload | local disk | S3 (local moto server) | S3 ÷ local |", "|---|---|---|---|"]

    def row(name: str, local: float, s3: float) -> None:
        lines.append(f"| {name} | {local:.2f} s | {s3:.2f} s | **{s3 / local:.2f}** |")

    if "backfill" in res:
        b = res["backfill"]
        row(f"7-day bronze/trades backfill ({b['local']['requests']} requests, {b['local']['rows']:,} rows)", b["local"]["step_seconds"], b["s3"]["step_seconds"])
    if "silver" in res:
        s = res["silver"]
        row(f"silver full build ({s['local']['rows']:,} trades)", s["local"]["full_build"], s["s3"]["full_build"])
        row("silver no-op re-run", s["local"]["noop"], s["s3"]["noop"])
        row("silver one-day update (one day of trades rewritten)", s["local"]["one_day_update"], s["s3"]["one_day_update"])
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-backfill", action="store_true")
    parser.add_argument("--skip-silver", action="store_true")
    parser.add_argument("--silver-rows", type=int, default=2_000_000)
    parser.add_argument("--silver-days", type=int, default=14)
    parser.add_argument("--silver-markets", type=int, default=2000)
    parser.add_argument("--silver-wallets", type=int, default=100_000)
    args, backfill_argv = parser.parse_known_args(argv)

    from polymarket_assets_tests.support.services import start_s3

    server = start_s3()
    bucket = server.create_bucket(f"bench-{uuid.uuid4().hex[:10]}")
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        del os.environ[key]
    os.environ.update(server.env())
    res: dict[str, Any] = {"cpus": os.cpu_count()}
    try:
        with tempfile.TemporaryDirectory(prefix="bench-lake-") as tmp_dir:
            tmp = Path(tmp_dir)
            os.environ["POLYMARKET_LOCAL_DIR"] = str(tmp / "local")
            if not args.skip_backfill:
                res["backfill"] = bench_backfill(bucket, backfill_argv, tmp)
            if not args.skip_silver:
                res["silver"] = bench_silver(bucket, args.silver_rows, args.silver_days, args.silver_markets, args.silver_wallets, tmp)
    finally:
        server.stop()
    print("\n" + json.dumps(res, indent=2, default=str))
    print("\n" + table(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())

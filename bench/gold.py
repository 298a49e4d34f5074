"""Benchmark: the gold build over the silver of ~10 M synthetic bronze trades (bench/silver_data.py) vs a bare DuckDB
GROUP BY of the same aggregates, the one-day incremental update at two history lengths, and peak RSS.

Phases (each in its own process, so peak RSS is that phase's own: VmHWM):

1. bronze (``bench/silver_data.py``, as ``bench/silver.py``: ``--rows`` trades over ``--days`` days) and silver
   (every silver asset, in process through Dagster) — set-up, timed but not compared;
2. baseline: on a copy of the silver DuckDB file, the bare ``CREATE TABLE AS SELECT … GROUP BY`` of what gold's
   day-grain tables compute from ``silver.trade_fact``: the 1m/1h/1d OHLCV bars (open/close by (ts, trade_key),
   high, low, VWAP, shares, notional, trades) and the daily volume per market;
3. gold full build: ``dg.materialize`` of every gold asset and check on another copy (the calibration and BTC
   tables are empty here: the synthetic bronze has no resolutions, price history or books); target ≤ 1.5 × the
   baseline;
4. gold no-op re-run; 5. one-day update: one bronze day rewritten, silver re-materialized (not timed here),
   then gold (timed); 6. the same update over a third of the history (a lake of symlinks to the first days).

Run from the repo root: ``.venv/bin/python -m bench.gold [--rows 10000000 --days 30] [--reuse] [--keep]``;
``--rows 200000`` runs in about a minute. Prints the README table and writes ``<out>/results.json``
(``bench/out/gold``, git-ignored). Exit status 1 if the full build takes more than 1.5 × the baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]

TARGET = 1.5

BASELINE_SQL = """
CREATE SCHEMA IF NOT EXISTS bench;
CREATE OR REPLACE TABLE bench.ohlcv AS
WITH t AS (SELECT dt, token_id, condition_id, ts, trade_key, price, size, usdc_size FROM silver.trade_fact),
b AS (SELECT '1m' AS bucket, date_trunc('minute', ts) AS bucket_start, * FROM t
      UNION ALL SELECT '1h', date_trunc('hour', ts), * FROM t
      UNION ALL SELECT '1d', date_trunc('day', ts), * FROM t)
SELECT dt, token_id, any_value(condition_id) AS condition_id, bucket, bucket_start, arg_min(price, (ts, trade_key)) AS open,
       max(price) AS high, min(price) AS low, arg_max(price, (ts, trade_key)) AS close,
       CAST(sum(usdc_size) / nullif(sum(size), 0) AS DECIMAL(12, 6)) AS vwap, sum(size) AS shares, sum(usdc_size) AS notional_usdc,
       count(*) AS trades, min(ts) AS first_trade_at, max(ts) AS last_trade_at
FROM b GROUP BY dt, token_id, bucket, bucket_start;
CREATE OR REPLACE TABLE bench.daily_volume AS
SELECT dt, condition_id, arg_max(market_slug, ts) AS market_slug, count(*) AS trades, sum(size) AS shares,
       sum(usdc_size) AS notional_usdc, coalesce(sum(usdc_size) FILTER (WHERE side = 'BUY'), 0) AS buy_notional_usdc,
       coalesce(sum(usdc_size) FILTER (WHERE side = 'SELL'), 0) AS sell_notional_usdc, count(DISTINCT wallet) AS traders,
       count(DISTINCT token_id) AS tokens, min(ts) AS first_trade_at, max(ts) AS last_trade_at
FROM silver.trade_fact GROUP BY dt, condition_id;
"""


# -- child phases ----------------------------------------------------------------------------------

def _phase_baseline(db: Path) -> dict[str, Any]:
    import duckdb

    started = time.monotonic()
    conn = duckdb.connect(str(db))
    conn.execute("SET TimeZone = 'UTC'")
    conn.execute("SET enable_progress_bar = false")
    conn.execute(BASELINE_SQL)
    rows = {t: conn.execute(f"SELECT count(*) FROM bench.{t}").fetchone()[0] for t in ("ohlcv", "daily_volume")}
    conn.close()
    return {"seconds": time.monotonic() - started, "rows": rows}


def _phase_materialize(layer: str, lake: Path, db: Path) -> dict[str, Any]:
    import dagster as dg
    from dagster_duckdb import DuckDBResource

    from polymarket_assets.defs.gold.assets import gold_assets
    from polymarket_assets.defs.silver.assets import silver_assets, silver_cross_table_checks
    from polymarket_assets.resources import LakeResource

    assets = [*silver_assets, *silver_cross_table_checks] if layer == "silver" else [*silver_assets, *gold_assets]
    selection = None if layer == "silver" else [a.key for a in gold_assets]
    started = time.monotonic()
    result = dg.materialize(assets, selection=selection, raise_on_error=False,
                            resources={"duckdb": DuckDBResource(database=str(db)), "lake": LakeResource(data_dir=str(lake))})
    seconds = time.monotonic() - started
    out = {}
    for e in result.get_asset_materialization_events():
        md = {k: v.value for k, v in e.materialization.metadata.items()}
        out[e.asset_key.path[-1]] = {k: md.get(k) for k in ("dagster/row_count", "days_loaded", "rows_inserted", "load_seconds")}
    failed = [f"{e.asset_key.to_user_string()}:{e.check_name}" for e in result.get_asset_check_evaluations()
              if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR]
    return {"seconds": seconds, "success": result.success, "assets": out, "failed_error_checks": failed}


def _child(argv: list[str]) -> int:
    phase = argv[0]
    if phase == "baseline":
        out = _phase_baseline(Path(argv[1]))
    else:
        out = _phase_materialize(phase, Path(argv[1]), Path(argv[2]))
    out["peak_rss_mib"] = _vm_hwm_mib()
    print("RESULT " + json.dumps(out, default=str), flush=True)
    return 0


def _vm_hwm_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_phase(*args: str) -> dict[str, Any]:
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "bench.gold", "--child", *args], cwd=REPO, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"phase {args[0]} failed (exit {proc.returncode}):\n{(proc.stdout + proc.stderr)[-3000:]}")
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
    result = json.loads(line[len("RESULT "):])
    result["process_seconds"] = time.monotonic() - started
    return result


# -- driver ----------------------------------------------------------------------------------------

def _copy_db(src: Path, dst: Path) -> Path:
    for suffix in ("", ".wal", ".writer.lock"):
        Path(str(dst) + suffix).unlink(missing_ok=True)
    shutil.copy(src, dst)
    return dst


def _fresh(db: Path) -> Path:
    for suffix in ("", ".wal", ".writer.lock"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    return db


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "--child":
        return _child(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="synthetic trades (default 10,000,000)")
    parser.add_argument("--days", type=int, default=30, help="days they span (default 30)")
    parser.add_argument("--markets", type=int, default=4000)
    parser.add_argument("--wallets", type=int, default=250_000)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "gold", help="work directory")
    parser.add_argument("--reuse", action="store_true", help="reuse generated bronze of the same size")
    parser.add_argument("--keep", action="store_true", help="keep the data and DuckDB files afterwards")
    args = parser.parse_args(argv)

    from bench import silver_data
    from bench.silver import _symlink_lake

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    lake, marker = out / "lake", out / "lake" / "params.json"
    params = {"rows": args.rows, "days": args.days, "markets": args.markets, "wallets": args.wallets}
    log = lambda msg: print(msg, flush=True)
    if not (args.reuse and marker.exists() and json.loads(marker.read_text()) == params):
        shutil.rmtree(lake, ignore_errors=True)
        log(f"generating bronze: {args.rows:,} trades over {args.days} days ...")
        silver_data.generate(lake, args.rows, args.days, args.markets, args.wallets, log=lambda _m: None)
        marker.write_text(json.dumps(params))
    res: dict[str, Any] = {"params": params, "cpus": os.cpu_count()}
    import duckdb

    res["duckdb"] = duckdb.__version__
    silver_db = _fresh(out / "setup.duckdb")  # not silver.duckdb / gold.duckdb: names the platform refuses (duck.py)
    log("silver build (set-up) ...")
    res["silver_build"] = run_phase("silver", str(lake), str(silver_db))
    if not res["silver_build"]["success"]:
        raise RuntimeError(f"the silver set-up failed: {res['silver_build']}")
    log("baseline: bare GROUP BY of the same aggregates ...")
    res["baseline_groupby"] = run_phase("baseline", str(_copy_db(silver_db, out / "baseline.duckdb")))
    db = _copy_db(silver_db, out / "bench_gold.duckdb")
    log("gold: full build ...")
    res["gold_full_build"] = run_phase("gold", str(lake), str(db))
    log("gold: no-op re-run ...")
    res["gold_noop"] = run_phase("gold", str(lake), str(db))
    day = args.days // 2
    log(f"one-day update (day index {day}) over {args.days} days: silver, then gold ...")
    silver_data.generate(lake, args.rows, args.days, args.markets, args.wallets, seed=1, only_days=[day], log=lambda _m: None)
    res["silver_one_day"] = run_phase("silver", str(lake), str(db))
    res["gold_one_day_update"] = run_phase("gold", str(lake), str(db))

    short = max(args.days // 3, 2)
    lake_short = out / "lake_short"
    _symlink_lake(lake, lake_short, short)
    db_short = _fresh(out / "bench_gold_short.duckdb")
    log(f"short history ({short} days): silver and gold full builds, then a one-day update ...")
    res["silver_build_short"] = run_phase("silver", str(lake_short), str(db_short))
    res["gold_full_build_short"] = run_phase("gold", str(lake_short), str(db_short))
    silver_data.generate(lake, args.rows, args.days, args.markets, args.wallets, seed=2, only_days=[short // 2], log=lambda _m: None)
    res["silver_one_day_short"] = run_phase("silver", str(lake_short), str(db_short))
    res["gold_one_day_update_short"] = run_phase("gold", str(lake_short), str(db_short))
    res["history_days"] = {"long": args.days, "short": short}
    res["ratio_gold_vs_groupby"] = round(res["gold_full_build"]["seconds"] / res["baseline_groupby"]["seconds"], 3)
    (out / "results.json").write_text(json.dumps(res, indent=2, default=str))
    _report(res)
    if not args.keep:
        for p in (silver_db, out / "baseline.duckdb", db, db_short):
            _fresh(p)
        shutil.rmtree(lake_short, ignore_errors=True)
        if not args.reuse:
            shutil.rmtree(lake, ignore_errors=True)
    ok = res["gold_full_build"]["success"] and res["ratio_gold_vs_groupby"] <= TARGET
    return 0 if ok else 1


def _report(res: dict[str, Any]) -> None:
    p, h = res["params"], res["history_days"]
    rows = [
        ("bare DuckDB GROUP BY (OHLCV 1m/1h/1d + daily volume)", res["baseline_groupby"]),
        ("gold full build (7 assets + checks, in-process Dagster run)", res["gold_full_build"]),
        ("gold no-op re-run", res["gold_noop"]),
        (f"gold one-day update, {h['long']} days of history", res["gold_one_day_update"]),
        (f"gold full build, {h['short']} days of history", res["gold_full_build_short"]),
        (f"gold one-day update, {h['short']} days of history", res["gold_one_day_update_short"]),
        ("(set-up) silver full build", res["silver_build"]),
    ]
    print()
    print(f"gold bench: {p['rows']:,} synthetic trades over {p['days']} days, {p['markets']} markets; {res['cpus']} CPUs; "
          f"duckdb {res['duckdb']}")
    print("| phase | seconds | peak RSS (MiB) |")
    print("|---|---|---|")
    for name, r in rows:
        print(f"| {name} | {r['seconds']:.2f} | {r['peak_rss_mib']:.0f} |")
    print(f"| **gold full build ÷ GROUP BY** | **{res['ratio_gold_vs_groupby']:.2f}** (target ≤ {TARGET}) | |")
    for phase in ("gold_full_build", "gold_one_day_update", "gold_one_day_update_short"):
        a = res[phase]["assets"]
        print(f"  {phase}: token_ohlcv {a.get('token_ohlcv', {}).get('load_seconds')} s "
              f"({a.get('token_ohlcv', {}).get('days_loaded')} day(s)), market_daily_volume "
              f"{a.get('market_daily_volume', {}).get('load_seconds')} s")


if __name__ == "__main__":
    sys.exit(main())

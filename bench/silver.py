"""Benchmark: the silver build over ~10 M synthetic bronze trades (30 days) vs a bare DuckDB CTAS of the same files.

Phases (each in its own process, so peak RSS is that phase's own: VmHWM of the process):

1. generate bronze (``bench/silver_data.py``): ``--rows`` trades over ``--days`` days, plus the markets,
   tokens and events they trade, written like bronze writes them (zstd, 128k-row groups, contract schemas);
2. baseline: ``CREATE TABLE trades AS SELECT * FROM read_parquet('<bronze>/trades/*/*.parquet', hive_partitioning
   = true)`` into a fresh DuckDB file (and, for reference, the same CTAS of only the columns silver keeps);
3. full silver build: ``dg.materialize`` of every silver asset and check (what ``dagster asset materialize
   --select 'key:silver/*'`` runs, in process) into a fresh DuckDB file; target: ≤ 2 × the baseline;
4. no-op re-run (nothing changed in bronze);
5. one-day incremental update: day ``--days // 2`` is rewritten (new trades), silver re-materialized;
6. the same one-day update over a history of a third of the days (a lake of symlinks to the first days):
   its cost must track the partition, not the history.

Run from the repo root: ``.venv/bin/python bench/silver.py [--rows 10000000 --days 30] [--keep]``.
Data goes to ``bench/out/silver`` (git-ignored) unless ``--out``; ``--reuse`` keeps generated bronze of the
same size. Prints the figures and writes them to ``<out>/results.json``. Exit status 1 if the full build takes
more than 2 × the baseline.
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
for p in (str(REPO), str(REPO / "bench")):
    if p not in sys.path:
        sys.path.insert(0, p)


# -- child phases ----------------------------------------------------------------------------------

def _phase_ctas(lake: Path, db: Path, columns: str) -> dict[str, Any]:
    import duckdb

    started = time.monotonic()
    conn = duckdb.connect(str(db))
    conn.execute("SET enable_progress_bar = false")
    glob = str(lake / "bronze" / "trades" / "*" / "*.parquet")
    conn.execute(f"CREATE TABLE trades AS SELECT {columns} FROM read_parquet('{glob}', hive_partitioning = true)")
    rows = conn.execute("SELECT count(*) FROM trades").fetchone()[0]
    conn.close()
    return {"seconds": time.monotonic() - started, "rows": rows}


def _phase_materialize(lake: Path | str, db: Path, memory_limit: str | None = None) -> dict[str, Any]:
    import dagster as dg
    from dagster_duckdb import DuckDBResource

    from polymarket_assets.defs.silver.assets import silver_assets as SILVER_ASSETS
    from polymarket_assets.defs.silver.assets import silver_cross_table_checks as SILVER_CHECKS
    from polymarket_assets.resources import LakeResource

    started = time.monotonic()
    result = dg.materialize(
        [*SILVER_ASSETS, *SILVER_CHECKS],
        resources={
            "duckdb": DuckDBResource(database=str(db), connection_config={"memory_limit": memory_limit} if memory_limit else {}),
            "lake": LakeResource(data_dir=str(lake)),
        },
        raise_on_error=False,
    )
    seconds = time.monotonic() - started
    assets = {}
    for e in result.get_asset_materialization_events():
        md = {k: v.value for k, v in e.materialization.metadata.items()}
        assets[e.asset_key.path[-1]] = {k: md[k] for k in ("dagster/row_count", "days_loaded", "rows_inserted", "rows_deleted", "load_seconds")}
    failed = [f"{e.asset_key.to_user_string()}:{e.check_name}" for e in result.get_asset_check_evaluations()
              if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR]
    return {"seconds": seconds, "success": result.success, "assets": assets, "failed_error_checks": failed}


def _child(argv: list[str]) -> int:
    phase, db = argv[0], Path(argv[2])
    lake: Any = argv[1] if argv[1].startswith("s3://") else Path(argv[1])  # bench/lake.py: a lake on S3
    if phase == "ctas":
        out = _phase_ctas(lake, db, "*")
    elif phase == "ctas_silver_columns":
        cols = ("dt, trade_key, ts, transaction_hash, condition_id, token_id, proxy_wallet, side, price, size, usdc_size, "
                "outcome, outcome_index, market_slug, event_slug, fetched_at")
        out = _phase_ctas(lake, db, cols)
    else:
        out = _phase_materialize(lake, db, os.environ.get("SILVER_BENCH_MEMORY_LIMIT") or None)
    out["peak_rss_mib"] = _vm_hwm_mib()
    print("RESULT " + json.dumps(out), flush=True)
    return 0


def _vm_hwm_mib() -> float:
    """This process's peak resident set (VmHWM: per address space, so it starts afresh at exec, unlike
    ``ru_maxrss``, which a child inherits from the parent it was forked from)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_phase(phase: str, lake: Path | str, db: Path) -> dict[str, Any]:
    """Run one phase in a fresh process; add its wall time (its peak RSS in MiB comes from the child)."""
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, __file__, "--child", phase, str(lake), str(db)], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    out = proc.stdout.read()
    proc.wait()
    if proc.returncode != 0:
        raise RuntimeError(f"phase {phase} failed (exit {proc.returncode}):\n{out[-3000:]}")
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    result = json.loads(line[len("RESULT "):])
    result["process_seconds"] = time.monotonic() - started
    return result


# -- driver ----------------------------------------------------------------------------------------

def _fresh(db: Path) -> Path:
    for suffix in ("", ".wal", ".writer.lock"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    return db


def _symlink_lake(src: Path, dst: Path, days: int) -> None:
    """A lake whose trades are the first ``days`` day directories of ``src`` (symlinks), other datasets whole."""
    shutil.rmtree(dst, ignore_errors=True)
    for dataset in (src / "bronze").iterdir():
        target = dst / "bronze" / dataset.name
        target.mkdir(parents=True)
        entries = sorted(dataset.iterdir())
        if dataset.name == "trades":
            entries = entries[:days]
        for entry in entries:
            (target / entry.name).symlink_to(entry.resolve(), target_is_directory=True)


def _gib(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**30


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "--child":
        return _child(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="synthetic trades (default 10,000,000)")
    parser.add_argument("--days", type=int, default=30, help="days they span (default 30)")
    parser.add_argument("--markets", type=int, default=4000, help="markets traded (default 4000)")
    parser.add_argument("--wallets", type=int, default=250_000, help="distinct wallets (default 250,000)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "silver", help="work directory")
    parser.add_argument("--reuse", action="store_true", help="reuse generated bronze of the same size")
    parser.add_argument("--keep", action="store_true", help="keep the data and DuckDB files afterwards")
    parser.add_argument("--memory-limit", default=None, help="DuckDB memory_limit for the silver runs, e.g. 2GB "
                        "(the duckdb resource's connection_config; default: DuckDB's own, 80%% of RAM)")
    args = parser.parse_args(argv)
    if args.memory_limit:
        os.environ["SILVER_BENCH_MEMORY_LIMIT"] = args.memory_limit

    import silver_data

    out: Path = args.out
    lake, marker = out / "lake", out / "lake" / "params.json"
    params = {"rows": args.rows, "days": args.days, "markets": args.markets, "wallets": args.wallets}
    log = lambda msg: print(msg, flush=True)
    if not (args.reuse and marker.exists() and json.loads(marker.read_text()) == params):
        shutil.rmtree(lake, ignore_errors=True)
        log(f"generating bronze: {args.rows:,} trades over {args.days} days ...")
        started = time.monotonic()
        silver_data.generate(lake, args.rows, args.days, args.markets, args.wallets, log=lambda _m: None)
        marker.write_text(json.dumps(params))
        log(f"  done in {time.monotonic() - started:.1f} s; bronze trades = {_gib(lake / 'bronze' / 'trades'):.2f} GiB")

    res: dict[str, Any] = {"params": params, "cpus": os.cpu_count(), "bronze_trades_gib": round(_gib(lake / "bronze" / "trades"), 3)}
    import duckdb

    res["duckdb"] = duckdb.__version__
    from polymarket_assets.silver.checks import CHECKS
    from polymarket_assets.silver.models import MODELS

    res["silver_assets"] = len(MODELS)
    res["silver_checks"] = sum(len(CHECKS[m]) for m in MODELS)
    res["silver_memory_limit"] = args.memory_limit or "duckdb default (80% of RAM)"
    log("baseline: CREATE TABLE AS SELECT * FROM read_parquet(...) ...")
    res["baseline_ctas"] = run_phase("ctas", lake, _fresh(out / "baseline.duckdb"))
    res["baseline_ctas"]["db_gib"] = round((out / "baseline.duckdb").stat().st_size / 2**30, 3)
    log("reference: the same CTAS of only the columns silver keeps ...")
    res["ctas_silver_columns"] = run_phase("ctas_silver_columns", lake, _fresh(out / "ctas_cols.duckdb"))
    _fresh(out / "baseline.duckdb"), _fresh(out / "ctas_cols.duckdb")

    db = _fresh(out / "polymarket.duckdb")
    log("silver: full build (every silver asset + check) ...")
    res["full_build"] = run_phase("materialize", lake, db)
    res["full_build"]["db_gib"] = round(db.stat().st_size / 2**30, 3)
    log("silver: no-op re-run ...")
    res["noop"] = run_phase("materialize", lake, db)
    day = args.days // 2
    log(f"silver: one-day update (day index {day} rewritten) over {args.days} days of history ...")
    silver_data.generate(lake, args.rows, args.days, args.markets, args.wallets, seed=1, only_days=[day], log=lambda _m: None)
    res["one_day_update"] = run_phase("materialize", lake, db)

    short = max(args.days // 3, 2)
    lake_short, db_short = out / "lake_short", _fresh(out / "polymarket_short.duckdb")
    _symlink_lake(lake, lake_short, short)
    log(f"silver: full build over the first {short} days (symlinks) ...")
    res["full_build_short_history"] = run_phase("materialize", lake_short, db_short)
    day_short = short // 2
    log(f"silver: one-day update (day index {day_short} rewritten) over {short} days of history ...")
    silver_data.generate(lake, args.rows, args.days, args.markets, args.wallets, seed=2, only_days=[day_short], log=lambda _m: None)
    res["one_day_update_short_history"] = run_phase("materialize", lake_short, db_short)
    res["history_days"] = {"long": args.days, "short": short}

    base = res["baseline_ctas"]["seconds"]
    full = res["full_build"]["seconds"]
    res["ratio_full_build_vs_baseline"] = round(full / base, 3)
    (out / "results.json").write_text(json.dumps(res, indent=2, default=str))
    _report(res)
    if not args.keep:
        for p in (db, db_short):
            _fresh(p)
        shutil.rmtree(lake_short, ignore_errors=True)
        if not args.reuse:
            shutil.rmtree(lake, ignore_errors=True)
    ok = res["full_build"]["success"] and full <= 2 * base
    return 0 if ok else 1


def _report(res: dict[str, Any]) -> None:
    p = res["params"]
    tf = lambda phase: res[phase]["assets"].get("trade_fact", {})
    rows = [
        ("baseline CTAS SELECT * (all 19 bronze columns)", res["baseline_ctas"]),
        ("reference CTAS of the 16 columns silver keeps", res["ctas_silver_columns"]),
        (f"silver full build ({res['silver_assets']} assets + {res['silver_checks']} checks)", res["full_build"]),
        ("silver no-op re-run", res["noop"]),
        (f"silver one-day update, {res['history_days']['long']} days of history", res["one_day_update"]),
        (f"silver full build, {res['history_days']['short']} days of history", res["full_build_short_history"]),
        (f"silver one-day update, {res['history_days']['short']} days of history", res["one_day_update_short_history"]),
    ]
    print()
    print(f"silver bench: {p['rows']:,} trades over {p['days']} days ({res['bronze_trades_gib']} GiB zstd Parquet), "
          f"{p['markets']} markets, {p['wallets']:,} wallets; {res['cpus']} CPUs; duckdb {res['duckdb']}; "
          f"silver memory_limit: {res['silver_memory_limit']}")
    print(f"{'phase':58} {'seconds':>9} {'process s':>10} {'peak RSS MiB':>13}")
    for name, r in rows:
        print(f"{name:58} {r['seconds']:9.2f} {r['process_seconds']:10.2f} {r['peak_rss_mib']:13.0f}")
    print(f"full build / baseline = {res['ratio_full_build_vs_baseline']:.2f} (target <= 2.00)")
    for phase in ("full_build", "one_day_update", "one_day_update_short_history"):
        t = tf(phase)
        print(f"  {phase}: trade_fact load {t.get('load_seconds')} s, {t.get('days_loaded')} day(s), "
              f"{t.get('rows_inserted'):,} rows in, {t.get('rows_deleted'):,} out; trader_dim load "
              f"{res[phase]['assets'].get('trader_dim', {}).get('load_seconds')} s")
    print(f"  no-op: trade_fact load {tf('noop').get('load_seconds')} s")


if __name__ == "__main__":
    sys.exit(main())

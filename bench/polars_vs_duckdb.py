"""Why bronze/orderbook_ws_events is not built with Polars' scan_ndjson -> sink_parquet (issue 9 asked to use it
or measure why not). Two measurements, printed as JSON:

1. ``scan_ndjson`` over raw-log-shaped JSONL: a clean file, one whose last line is torn (a killed writer), one
   with a malformed line in the middle — with and without ``ignore_errors=True``;
2. peak RSS of sorting N bronze-shaped rows by (market, asset_id, ts_received, seq) into zstd Parquet: Polars
   ``sink_parquet`` (all threads, one thread) vs DuckDB ``COPY ... ORDER BY`` with ``memory_limit`` 400 MB and one
   thread (what the compaction uses). Each sort runs in its own child process; peak RSS = the child's ru_maxrss.

    .venv/bin/python bench/polars_vs_duckdb.py            # 3,000,000 rows
    .venv/bin/python bench/polars_vs_duckdb.py 300000     # quick
"""

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

work = Path(tempfile.mkdtemp(prefix="polars-check-"))

def lines(n):
    for i in range(n):
        f = json.dumps({"market": "0x%040x" % (i % 500), "price_changes": [{"asset_id": str(10**70 + i % 1000), "price": "0.%03d" % (i % 999),
                         "size": "%d.%02d" % (i % 9999, i % 100), "side": "BUY", "hash": "%040x" % i, "best_bid": "0.4", "best_ask": "0.6"}],
                        "timestamp": str(1790000000000 + i), "event_type": "price_change"})
        yield json.dumps({"t": 1790000000000000000 + i * 1000, "v": "polymarket", "c": "S/p000.1", "k": "recv", "f": f}) + "\n"

def finding_1():
    import polars as pl
    good = work / "good.jsonl"
    good.write_text("".join(lines(1000)))
    torn = work / "torn.jsonl"
    torn.write_text("".join(lines(1000)) + '{"t":1790000000000000000,"v":"polym')
    bad = work / "bad.jsonl"
    body = list(lines(1000))
    body.insert(500, "not a record\n")
    bad.write_text("".join(body))
    out = {"polars": pl.__version__}
    for name, path in (("good", good), ("torn_last_line", torn), ("malformed_middle_line", bad)):
        try:
            df = pl.scan_ndjson(path).collect()
            out[name] = f"{df.height} rows, nulls in t: {df['t'].null_count()}"
        except Exception as exc:  # noqa: BLE001
            out[name] = f"error {type(exc).__name__}: {str(exc)[:160]}"
        try:
            df = pl.scan_ndjson(path, ignore_errors=True).collect()
            out[name + " (ignore_errors=True)"] = f"{df.height} rows, nulls in t: {df['t'].null_count()}"
        except Exception as exc:  # noqa: BLE001
            out[name + " (ignore_errors=True)"] = f"error {type(exc).__name__}: {str(exc)[:160]}"
    return out

def make_parquet(n):
    import pyarrow as pa
    import pyarrow.parquet as pq
    path = work / "rows.parquet"
    rng = random.Random(1)
    w = None
    step = 200_000
    for start in range(0, n, step):
        m = min(step, n - start)
        idx = list(range(start, start + m))
        rng.shuffle(idx)
        t = pa.table({"market": ["0x%040x" % (i % 2500) for i in idx], "asset_id": [str(10**76 + (i % 5000)) for i in idx],
                      "event_type": ["price_change"] * m, "side": ["bid" if i % 2 else "ask" for i in idx],
                      "price": pa.array([i % 999 / 1000 for i in idx]).cast(pa.decimal128(18, 6)),
                      "size": pa.array([i % 9999 / 100 for i in idx]).cast(pa.decimal128(28, 8)),
                      "hash": ["%040x" % i for i in idx], "ts_received": pa.array([1790000000000000 + i for i in idx], pa.int64()),
                      "seq": pa.array(idx, pa.int64()), "connection_id": ["S/p%03d.1" % (i % 25) for i in idx]})
        if w is None:
            w = pq.ParquetWriter(path, t.schema, compression="lz4")
        w.write_table(t)
    w.close()
    return path

CHILD = {
    "polars": "import polars as pl,sys; pl.scan_parquet(sys.argv[1]).sort(['market','asset_id','ts_received','seq']).sink_parquet(sys.argv[2], compression='zstd')",
    "polars_1_thread": "import os; os.environ['POLARS_MAX_THREADS']='1'\nimport polars as pl,sys; pl.scan_parquet(sys.argv[1]).sort(['market','asset_id','ts_received','seq']).sink_parquet(sys.argv[2], compression='zstd')",
    "duckdb_400MB_1_thread": ("import duckdb,sys,tempfile; c=duckdb.connect(config={'memory_limit':'400MB','threads':1,'temp_directory':tempfile.mkdtemp(),"
               "'preserve_insertion_order':False}); c.execute(f\"COPY (SELECT * FROM read_parquet('{sys.argv[1]}') ORDER BY market, asset_id, ts_received, seq) TO '{sys.argv[2]}' (FORMAT parquet, COMPRESSION zstd)\")"),
}

def finding_2(n):
    src = make_parquet(n)
    out = {"rows": n, "input_mb": round(src.stat().st_size / 1e6, 1)}
    for name, code in CHILD.items():
        dst = work / f"{name}.parquet"
        script = f"{code}\nimport resource,json;print(json.dumps(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))"
        t0 = time.monotonic()
        env = {**os.environ, "POLARS_MAX_THREADS": "1"} if name.startswith("polars_1") else dict(os.environ)
        done = subprocess.run([sys.executable, "-c", script, str(src), str(dst)], capture_output=True, text=True, env=env)
        took = time.monotonic() - t0
        if done.returncode:
            out[name] = "failed: " + done.stderr[-300:]
            continue
        out[name] = {"peak_rss_mb": round(int(done.stdout.strip().splitlines()[-1]) / 1024, 1), "seconds": round(took, 1)}
    return out

if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3_000_000
    try:
        print(json.dumps({"finding_1": finding_1(), "finding_2": finding_2(n)}, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)

"""One DuckDB writer at a time, and what readers in other processes see (verified on the installed DuckDB).

DuckDB: a process holding the file read-write excludes every other process (even read-only); processes
holding it read-only exclude any writer. Silver: writers queue on ``<db>.writer.lock``, then retry the
connect while a reader holds the file, then fail with a message naming what to close; nothing is written.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from polymarket_assets.silver.duck import DuckDBLockedError, open_writer
from polymarket_assets_tests.silver.helpers import build_direct, materialize, scalar

HOLD = textwrap.dedent(
    """
    import sys, time, duckdb
    conn = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "ro")
    print("ready", flush=True)
    time.sleep(float(sys.argv[3]))
    conn.close()
    """
)
TRY_READ = textwrap.dedent(
    """
    import sys, duckdb
    try:
        duckdb.connect(sys.argv[1], read_only=True).close()
        print("opened")
    except duckdb.IOException as exc:
        print("refused:", exc)
    """
)
LOAD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from polymarket_assets_tests.silver.helpers import build_direct
    build_direct(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3].split(","))
    print("loaded", flush=True)
    """
)


def _hold(db: Path, mode: str, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(db), mode, str(seconds)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def test_a_reader_holding_the_file_fails_the_run_cleanly_then_it_works(lake, db):
    build_direct(lake, db, ["leaderboard_fact"])
    with duckdb.connect(str(db)) as conn:
        conn.execute("DELETE FROM silver.leaderboard_fact")  # make the next run have something to do
        conn.execute("DELETE FROM silver_meta.load_ledger")
    reader = _hold(db, "ro", 30)
    try:
        started = time.monotonic()
        result = materialize(lake, db, select=["leaderboard_fact"], config={"lock_timeout_seconds": 1.0, "lock_retries": 0}, raise_on_error=False)
        assert time.monotonic() - started < 20
        assert not result.success
        failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
        message = failure.step_failure_data.error.cause.message if failure.step_failure_data.error.cause else failure.step_failure_data.error.message
        assert "Close the DuckDB shell" in message and "nothing was written" in message
    finally:
        reader.kill()
        reader.wait()
    assert scalar(db, "SELECT count(*) FROM silver.leaderboard_fact") == 0  # untouched
    assert materialize(lake, db, select=["leaderboard_fact"]).success
    assert scalar(db, "SELECT count(*) FROM silver.leaderboard_fact") == 2


def test_a_reader_during_a_write_is_refused_and_the_write_is_unaffected(lake, db):
    with open_writer(db) as conn:
        conn.execute("CREATE TABLE t AS SELECT 1 AS x")
        out = subprocess.run([sys.executable, "-c", TRY_READ, str(db)], capture_output=True, text=True, timeout=60, check=False).stdout
        assert out.startswith("refused:") and "Conflicting lock" in out
        conn.execute("INSERT INTO t VALUES (2)")
    assert scalar(db, "SELECT sum(x) FROM t") == 3
    # once the writer is gone, readers open the file (several at once)
    out = subprocess.run([sys.executable, "-c", TRY_READ, str(db)], capture_output=True, text=True, timeout=60, check=False).stdout
    assert out.strip() == "opened"


def test_a_reader_that_leaves_within_the_retries_does_not_break_the_run(lake, db):
    build_direct(lake, db, ["leaderboard_fact"])
    with duckdb.connect(str(db)) as conn:
        conn.execute("DELETE FROM silver.leaderboard_fact")
        conn.execute("DELETE FROM silver_meta.load_ledger")
    reader = _hold(db, "ro", 2.5)
    try:
        # waits 0.5 s, gives up, the step is retried (RetryRequested) and succeeds once the reader is gone
        result = materialize(lake, db, select=["leaderboard_fact"], config={"lock_timeout_seconds": 0.5, "lock_retries": 5, "lock_retry_wait_seconds": 0.5})
    finally:
        reader.wait()
    assert result.success
    assert any(e.event_type_value == "STEP_UP_FOR_RETRY" for e in result.all_events)
    assert scalar(db, "SELECT count(*) FROM silver.leaderboard_fact") == 2


def test_open_writer_waits_for_a_short_reader(tmp_path):
    db = tmp_path / "polymarket.duckdb"
    duckdb.connect(str(db)).close()
    reader = _hold(db, "ro", 1.5)
    try:
        with open_writer(db, lock_timeout_seconds=30) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        reader.wait()
    reader = _hold(db, "ro", 30)
    try:
        with pytest.raises(DuckDBLockedError, match="held by another process"), open_writer(db, lock_timeout_seconds=0.5):
            pass
    finally:
        reader.kill()
        reader.wait()


@pytest.mark.slow
def test_two_silver_writers_in_two_processes_queue_instead_of_failing(lake, db):
    """No Dagster pool in play (e.g. an instance without dagster.yaml): the writer lock serializes them."""
    repo = Path(__file__).resolve().parents[2]
    procs = [
        subprocess.Popen([sys.executable, "-c", LOAD, str(lake), str(db), names], cwd=repo, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for names in ("trade_fact,trader_dim", "market_dim,market_token_dim,leaderboard_fact")
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert scalar(db, "SELECT count(*) FROM silver.trade_fact") == 7
    assert scalar(db, "SELECT count(*) FROM silver.market_dim") == 4

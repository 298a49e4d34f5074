"""Benchmark: how long after a ``kill -9`` the next run of the same pool starts, and what a waiting run costs.

Each trial uses a fresh ``DAGSTER_HOME`` (the repo's ``dagster.yaml``: pool ``polymarket_data`` admits one
step) and data directory, and the offline world (``python -m polymarket_assets.replay --latency``) on
127.0.0.1. Run 1 is ``dagster asset materialize -m polymarket_assets --select key:bronze/trades --partition
<day>``; once its step has started it holds the slot, and its whole process group (run worker and step worker,
as an OOM kill of the group or a restart would) is killed with SIGKILL. Scenarios:

* ``cli-after``   no daemon; run 2 (the next day) is started right after the kill. Heals when run 2 starts.
* ``cli-waiting`` no daemon; run 2 was already waiting for the slot when run 1 was killed. Heals while blocked.
* ``daemon``      ``dagster-daemon run`` is up and no other run waits: ``dead_run_sensor`` marks run 1 failed and
  frees the slot (kill -> slot free); run 2 is started once the slot is free (kill -> its STEP_START).
* ``stock``       Dagster alone, the baseline: no daemon, Dagster's own executor (``pool_defs.py`` with
  ``POOL_TEST_STOCK_EXECUTOR=1``); run 2 is started right after the kill and watched for ``--stock-wait``
  seconds (default 120): "not within N s" when its step never starts.

Printed per scenario: median and max over ``--trials`` of kill -> slot freed and kill -> run 2's STEP_START
(run 2's own start-up, about 4 s of loading the code location on a quiet machine, is part of ``cli-after``).

``--cpu``: the CPU a run uses while its step waits for a slot another (live) run holds, over ``--cpu-seconds``,
with this code location's executor and with Dagster's stock ``multi_or_in_process_executor``
(``polymarket_assets_tests/reliability/pool_defs.py``).

Run from the repo root: ``.venv/bin/python -m bench.heal`` (``--trials 5``, ``--cpu``, ``--scenarios cli-after``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DAYS = ("2026-11-01", "2026-11-02")
SCENARIOS = ("cli-after", "cli-waiting", "daemon", "stock")
POOL_DEFS = ["-f", str(REPO / "polymarket_assets_tests" / "reliability" / "pool_defs.py"), "--select", "pooled_asset"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _world(root: Path, latency: float) -> Iterator[str]:
    port = _free_port()
    log = (root / "replay.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "polymarket_assets.replay", "--port", str(port), "--no-stream", "--days", "2",
                             "--latency", str(latency)], cwd=root, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while b"serving the offline world" not in (root / "replay.log").read_bytes():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the replay server did not start: {(root / 'replay.log').read_text()[-2000:]}")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _env(root: Path, base_url: str) -> dict[str, str]:
    home = root / "home"
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    return {**os.environ, "DAGSTER_HOME": str(home), "POLYMARKET_DATA_DIR": str(root / "data"),
            "POLYMARKET_GAMMA_URL": base_url, "POLYMARKET_DATA_URL": base_url, "POLYMARKET_CLOB_URL": base_url,
            "LIMITLESS_API_URL": base_url, "PYTHONPATH": str(REPO)}


def _materialize(env: dict[str, str], day: str, log: Path, *, target: list[str] | None = None) -> subprocess.Popen[bytes]:
    target = target or ["-m", "polymarket_assets", "--select", "key:bronze/trades"]
    return subprocess.Popen([str(BIN / "dagster"), "asset", "materialize", *target, "--partition", day],
                            env=env, cwd=log.parent, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)


def _wait_for(log: Path, text: bytes, proc: subprocess.Popen[bytes], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while text not in log.read_bytes():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"{text!r} never appeared in {log}: {log.read_text()[-3000:]}")
        time.sleep(0.05)


def _instance(env: dict[str, str]):  # type: ignore[no-untyped-def]
    import dagster as dg
    from dagster._core.instance.ref import InstanceRef

    return dg.DagsterInstance.from_ref(InstanceRef.from_dir(env["DAGSTER_HOME"]))


def _slot_free_at(env: dict[str, str], timeout: float) -> float | None:
    """Poll the instance until pool polymarket_data has no claimed slot; the wall-clock time it was seen free."""
    deadline = time.monotonic() + timeout
    with _instance(env) as instance:
        while time.monotonic() < deadline:
            if not instance.event_log_storage.get_concurrency_info("polymarket_data").claimed_slots:
                return time.time()
            time.sleep(0.1)
    return None


def _step_start(env: dict[str, str], run_index: int) -> float | None:
    """When the step of the run of ``DAYS[run_index]`` started (other runs, e.g. a sensor's under the daemon, are
    not counted)."""
    import dagster as dg

    with _instance(env) as instance:
        runs = [r for r in instance.get_runs() if r.tags.get("dagster/partition") == DAYS[run_index]]
        if not runs:
            return None
        records = instance.get_records_for_run(runs[0].run_id, of_type=dg.DagsterEventType.STEP_START).records
        return records[0].timestamp if records else None


def _heal_time(env: dict[str, str]) -> float | None:
    with _instance(env) as instance:
        for run in instance.get_runs():
            for entry in instance.all_logs(run.run_id):
                if "polymarket-assets reliability" in entry.message and "marked it FAILURE" in entry.message:
                    return entry.timestamp
    return None


def trial(scenario: str, latency: float) -> tuple[float | None, float | None]:
    root = Path(tempfile.mkdtemp(prefix=f"heal-{scenario}-"))
    daemon = None
    try:
        with _world(root, latency) as base_url:
            env = _env(root, base_url)
            with _instance(env) as instance:  # create the SQLite storage first: two processes creating it race
                instance.get_runs(limit=1)
            if scenario == "daemon":
                daemon = subprocess.Popen([str(BIN / "dagster-daemon"), "run", "-m", "polymarket_assets"], env=env, cwd=root,
                                          stdout=(root / "daemon.log").open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
            first = _materialize(env, DAYS[0], root / "first.log")
            _wait_for(root / "first.log", b"STEP_START", first)
            second = None
            if scenario == "cli-waiting":
                second = _materialize(env, DAYS[1], root / "second.log")
                _wait_for(root / "second.log", b"Step blocked by limit for pool polymarket_data", second)
            os.killpg(first.pid, signal.SIGKILL)
            killed = time.time()
            first.wait()
            if scenario == "cli-after":
                second = _materialize(env, DAYS[1], root / "second.log")
            if second is not None:
                if second.wait(timeout=600) != 0:
                    raise SystemExit(f"run 2 failed: {(root / 'second.log').read_text()[-3000:]}")
                healed, started = _heal_time(env), _step_start(env, 1)
                return (healed - killed if healed else None), (started - killed if started else None)
            freed = _slot_free_at(env, timeout=300)
            if freed is None:
                return None, None
            second = _materialize(env, DAYS[1], root / "second.log")
            if second.wait(timeout=600) != 0:
                raise SystemExit(f"run 2 failed: {(root / 'second.log').read_text()[-3000:]}")
            started = _step_start(env, 1)
            return freed - killed, (started - killed if started else None)
    finally:
        if daemon is not None:
            os.killpg(daemon.pid, signal.SIGTERM)
            daemon.wait(timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def stock_trial(wait: float) -> tuple[float | None, float | None]:
    """Dagster alone: kill -9 of the slot holder, then a second run; seconds until its step starts, or None."""
    root = Path(tempfile.mkdtemp(prefix="heal-stock-"))
    try:
        env = {**_env(root, "http://127.0.0.1:9"), "POOL_TEST_SLEEP": "600", "POOL_TEST_STOCK_EXECUTOR": "1"}
        args = [str(BIN / "dagster"), "asset", "materialize", *POOL_DEFS]
        first = subprocess.Popen(args, env=env, cwd=root, stdout=(root / "first.log").open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
        _wait_for(root / "first.log", b"STEP_START", first)
        os.killpg(first.pid, signal.SIGKILL)
        killed = time.monotonic()
        first.wait()
        second = subprocess.Popen(args, env=env, cwd=root, stdout=(root / "second.log").open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
        started = None
        while time.monotonic() - killed < wait and second.poll() is None:
            if b"STEP_START" in (root / "second.log").read_bytes():
                started = time.monotonic() - killed
                break
            time.sleep(0.2)
        with _instance(env) as instance:  # is the dead run's slot still held at the end of the wait?
            held = bool(instance.event_log_storage.get_concurrency_info("polymarket_data").claimed_slots)
        os.killpg(second.pid, signal.SIGKILL)
        second.wait()
        return (None if held else wait), started
    finally:
        shutil.rmtree(root, ignore_errors=True)


def cpu_while_waiting(stock: bool, seconds: float) -> float:
    """CPU% of a run whose only step waits for the slot a live run holds."""
    root = Path(tempfile.mkdtemp(prefix="heal-cpu-"))
    defs = POOL_DEFS
    try:
        env = _env(root, "http://127.0.0.1:9")
        env["POOL_TEST_SLEEP"] = str(seconds + 60)
        if stock:
            env["POOL_TEST_STOCK_EXECUTOR"] = "1"
        args = [str(BIN / "dagster"), "asset", "materialize", *defs]
        holder = subprocess.Popen(args, env=env, cwd=root, stdout=(root / "holder.log").open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
        _wait_for(root / "holder.log", b"STEP_START", holder)
        waiter = subprocess.Popen(args, env=env, cwd=root, stdout=(root / "waiter.log").open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
        _wait_for(root / "waiter.log", b"Step blocked by limit", waiter)
        process = psutil.Process(waiter.pid)
        before = process.cpu_times()
        time.sleep(seconds)
        after = process.cpu_times()
        for proc in (waiter, holder):
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        return 100.0 * ((after.user - before.user) + (after.system - before.system)) / seconds
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _fmt(values: list[float | None], never: str = "n/a") -> str:
    got = [v for v in values if v is not None]
    if not got:
        return never
    missed = f" ({len(values) - len(got)} of {len(values)}: {never})" if len(got) < len(values) else ""
    return f"{statistics.median(got):.1f} s / {max(got):.1f} s{missed}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--latency", type=float, default=1.0, help="replay latency per response (s): keeps run 1 busy")
    parser.add_argument("--scenarios", nargs="*", default=list(SCENARIOS), choices=SCENARIOS)
    parser.add_argument("--cpu", action="store_true", help="also measure the CPU of a waiting run (ours vs Dagster's stock executor)")
    parser.add_argument("--cpu-seconds", type=float, default=10.0)
    parser.add_argument("--stock-wait", type=float, default=120.0, help="how long the stock scenario watches run 2 (s)")
    args = parser.parse_args()
    rows = []
    for scenario in args.scenarios:
        if scenario == "stock":
            results = [stock_trial(args.stock_wait) for _ in range(args.trials)]
            never = f"not within {args.stock_wait:.0f} s"
            rows.append((scenario, _fmt([r[0] for r in results], f"still held after {args.stock_wait:.0f} s"), _fmt([r[1] for r in results], never)))
        else:
            results = [trial(scenario, args.latency) for _ in range(args.trials)]
            rows.append((scenario, _fmt([r[0] for r in results]), _fmt([r[1] for r in results])))
        print(f"{scenario}: {results}", file=sys.stderr, flush=True)
    print(f"\nkill -9 of a run holding the polymarket_data slot ({args.trials} trial(s) each; median / max)\n")
    print("| scenario | kill -> slot freed | kill -> next run's step starts |")
    print("|---|---|---|")
    for scenario, freed, started in rows:
        print(f"| {scenario} | {freed} | {started} |")
    if args.cpu:
        ours, stock = cpu_while_waiting(False, args.cpu_seconds), cpu_while_waiting(True, args.cpu_seconds)
        print(f"\nCPU of a run waiting for a pool slot ({args.cpu_seconds:.0f} s sampled)\n")
        print("| executor | CPU while blocked |")
        print("|---|---|")
        print(f"| healing_multi_or_in_process_executor (this code location) | {ours:.1f} % |")
        print(f"| Dagster's multi_or_in_process_executor | {stock:.1f} % |")


if __name__ == "__main__":
    main()

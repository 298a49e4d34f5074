"""A run launched by the daemon (a sensor's run request, as a schedule's would be), under ``dagster-daemon run``
and under ``dagster dev``, is killed with SIGKILL while it holds the polymarket_data slot; the pool must heal with
no user action. (A run launched from the UI takes the same path: the code server's default run launcher.) The
CLI-launched case: ``test_cli_heal.py``.

* ``run worker``: only the run's processes die (the OOM killer picks the step). Dagster's code server, whose
  child the run worker is, sees the signal and fails the run; the slot is freed.
* ``run worker and code server``: the code server dies with it (the OOM killer takes the group): nothing of
  Dagster is left to notice, and the run would stay STARTED, holding the slot. ``dagster-daemon run`` restarts
  the code server, and ``dead_run_sensor`` fails the run and frees the slot.
* ``everything, then dagster dev again``: ``dagster dev`` dies with its run (a restart, a kill of its group) and
  is started again: its sensor fails the run and frees the slot. (Under a ``dagster dev`` that lives on, a code
  server that died is not restarted: the UI shows the location in error until it is reloaded; README
  "Reliability".)
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import psutil
import pytest
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.dagster_run import DagsterRunStatus

from polymarket_assets.reliability.stuck_runs import TAG_PID

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
POOL_DEFS = REPO / "polymarket_assets_tests" / "reliability" / "pool_defs.py"


def _wait(what: str, check, timeout: float, log: Path):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; daemon log:\n{log.read_text()[-4000:]}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
@pytest.mark.parametrize(("launcher", "victim"), [("dagster-daemon run", "run worker"), ("dagster-daemon run", "run worker and code server"),
                                                  ("dagster dev", "everything, then dagster dev again")])
def test_a_sensor_launched_run_killed_with_sigkill_is_failed_and_its_slot_freed_by_the_daemon(tmp_path: Path, launcher: str, victim: str) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")  # polymarket_data admits one step; run monitoring on
    env = {**os.environ, "PYTHONPATH": str(REPO), "DAGSTER_HOME": str(home), "POOL_TEST_SLEEP": "600"}
    log = tmp_path / "daemon.log"
    # create the instance's SQLite storage before the daemon and its code server open it (two processes
    # creating it at once race in the schema migration)
    instance = dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))
    instance.get_runs(limit=1)
    command = ([str(BIN / "dagster-daemon"), "run", "-f", str(POOL_DEFS)] if launcher == "dagster-daemon run"
               else [str(BIN / "dagster"), "dev", "-f", str(POOL_DEFS), "-p", str(_free_port())])  # the UI's daemon, as a user runs it
    daemon = subprocess.Popen(command, env=env, cwd=tmp_path,
                              stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def holder() -> str | None:
            claimed = instance.event_log_storage.get_concurrency_info("polymarket_data").claimed_slots
            return claimed[0].run_id if claimed else None

        run_id = _wait("the sensor's run to take the polymarket_data slot", holder, 180, log)
        run = _wait("the run worker to record its pid", lambda: (r := instance.get_run_by_id(run_id)) and TAG_PID in r.tags and r, 60, log)
        assert run.status == DagsterRunStatus.STARTED and run.tags.get("dagster/sensor_name") == "launch_once_sensor"
        worker = psutil.Process(int(run.tags[TAG_PID]))
        victims = [worker, *worker.children(recursive=True)]  # the run worker and its step process
        if victim != "run worker":
            # the code server (the run worker's parent) dies first, as in an OOM kill of the group or a restart:
            # then nothing of Dagster sees the run worker go
            server = worker.parent()
            assert server is not None and "grpc" in " ".join(server.cmdline()), server
            victims.insert(0, server)
        assert daemon.pid not in {p.pid for p in victims}
        if victim == "everything, then dagster dev again":  # a machine restart, or dagster dev killed with its run
            os.killpg(daemon.pid, signal.SIGKILL)
        for process in victims:
            process.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        psutil.wait_procs(victims, timeout=10)
        if victim == "everything, then dagster dev again":
            daemon.wait(timeout=30)
            command[-1] = str(_free_port())
            daemon = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)

        def healed() -> bool:
            after = instance.get_run_by_id(run_id)
            return bool(after and after.status == DagsterRunStatus.FAILURE and holder() is None)

        _wait("the run to be failed and its slot freed", healed, 180, log)
        healed_after = time.monotonic() - killed_at
        messages = "\n".join((e.dagster_event.message or "") if e.dagster_event else e.user_message for e in instance.all_logs(run_id))
        # the run's own event log says who failed it and why
        if victim == "run worker":
            assert "was terminated by signal 9 (SIGKILL)" in messages, messages[-2000:]
        else:
            assert f"run {run_id} (pooled_job) was STARTED but no process of it is left" in messages, messages[-2000:]
            assert "freed 1 pool slot (polymarket_data: 1)" in messages
        # measured on 2 cores: under 30 s for the run worker; 63 s with the code server, which the daemon must
        # notice is gone and restart before the sensor ticks again (every 15 s)
        assert healed_after < 150, healed_after
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        try:
            daemon.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(daemon.pid, signal.SIGKILL)
        instance.dispose()

"""``stuck_runs.heal`` against a real (SQLite) Dagster instance: dead runs are failed and their slots freed;
live, foreign and untaggable runs are left alone; the executor records the run worker's identity."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import dagster as dg
import pytest
from dagster._core.events import EngineEventData
from dagster._core.storage.dagster_run import DagsterRunStatus

from polymarket_assets.reliability import stuck_runs
from polymarket_assets.reliability.executor import HEAL_INTERVAL_SECONDS
from polymarket_assets.reliability.processes import identity
from polymarket_assets.reliability.stuck_runs import TAG_BOOT_ID, TAG_HOST, TAG_PID, TAG_PID_NS, TAG_STARTED

POOL = "polymarket_data"


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as instance:
        instance.event_log_storage.set_concurrency_slots(POOL, 1)
        yield instance


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _tags(pid: int, *, host: str | None = None) -> dict[str, str]:
    me = identity(pid) if pid == os.getpid() else identity()
    tags = {TAG_HOST: host or me.host, TAG_PID: str(pid)}
    if me.boot_id:
        tags[TAG_BOOT_ID] = me.boot_id
    if pid == os.getpid() and me.started:
        tags[TAG_STARTED] = me.started
    return tags


def _run(instance: dg.DagsterInstance, tags: dict[str, str], status: DagsterRunStatus = DagsterRunStatus.STARTED, *, claim: bool = True) -> str:
    run = dg.DagsterRun(job_name="__ASSET_JOB", status=status, tags=tags)
    instance.add_run(run)
    if claim:
        assert instance.event_log_storage.claim_concurrency_slot(POOL, run.run_id, "bronze__trades").is_claimed
    return run.run_id


def _status(instance: dg.DagsterInstance, run_id: str) -> DagsterRunStatus:
    run = instance.get_run_by_id(run_id)
    assert run is not None
    return run.status


def _holders(instance: dg.DagsterInstance) -> list[str]:
    return [s.run_id for s in instance.event_log_storage.get_concurrency_info(POOL).claimed_slots]


def test_a_run_whose_process_is_gone_is_failed_and_its_slot_freed(instance: dg.DagsterInstance) -> None:
    run_id = _run(instance, _tags(_dead_pid()))
    report = stuck_runs.heal(instance)
    assert report.healed_runs == [run_id]
    assert _status(instance, run_id) == DagsterRunStatus.FAILURE
    assert _holders(instance) == []
    (line,) = report.actions
    assert run_id in line and "freed 1 pool slot (polymarket_data: 1)" in line and "are gone" in line
    # the run's own log says why it failed
    failure = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.RUN_FAILURE).records
    assert failure and "polymarket-assets reliability" in (failure[0].event_log_entry.dagster_event.message or "")  # type: ignore[union-attr]


def test_a_live_run_keeps_its_slot(instance: dg.DagsterInstance) -> None:
    run_id = _run(instance, _tags(os.getpid()))
    assert not stuck_runs.heal(instance)
    assert _status(instance, run_id) == DagsterRunStatus.STARTED and _holders(instance) == [run_id]


def test_a_run_stays_alive_while_an_orphaned_step_worker_runs(instance: dg.DagsterInstance) -> None:
    """kill -9 of the run worker leaves its step subprocess running (and writing): the slot stays held."""
    run_id = _run(instance, _tags(_dead_pid()))
    step = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        event = dg.DagsterEvent(dg.DagsterEventType.STEP_WORKER_STARTED.value, "__ASSET_JOB", step_key="bronze__trades", pid=step.pid,
                                event_specific_data=EngineEventData(), message="step worker")
        instance.report_dagster_event(event, run_id)
        assert stuck_runs.assess(instance, instance.get_run_by_id(run_id)).alive is True  # type: ignore[arg-type]
        assert not stuck_runs.heal(instance)
        assert _holders(instance) == [run_id]
    finally:
        step.send_signal(signal.SIGKILL)
        step.wait()
    assert stuck_runs.heal(instance).healed_runs == [run_id]
    assert _holders(instance) == []


def test_a_run_on_another_host_is_left_alone_unless_forced(instance: dg.DagsterInstance) -> None:
    run_id = _run(instance, _tags(_dead_pid(), host="some-other-machine"))
    report = stuck_runs.heal(instance)
    assert not report and [u.run_id for u in report.unknown] == [run_id]
    assert "some-other-machine" in report.unknown[0].reason
    assert _holders(instance) == [run_id]
    forced = stuck_runs.heal(instance, force={run_id})
    assert forced.healed_runs == [run_id] and _holders(instance) == []
    assert _status(instance, run_id) == DagsterRunStatus.FAILURE


def test_an_untagged_run_in_a_sqlite_instance_is_judged_by_its_run_start_pid(instance: dg.DagsterInstance) -> None:
    run_id = _run(instance, {})
    assert stuck_runs.assess(instance, instance.get_run_by_id(run_id)).alive is None  # type: ignore[arg-type]
    instance.report_dagster_event(dg.DagsterEvent(dg.DagsterEventType.RUN_START.value, "__ASSET_JOB", pid=_dead_pid()), run_id)
    assert stuck_runs.heal(instance).healed_runs == [run_id]


def test_a_slot_held_by_an_ended_run_is_freed(instance: dg.DagsterInstance) -> None:
    run_id = _run(instance, _tags(os.getpid()), status=DagsterRunStatus.FAILURE)
    report = stuck_runs.heal(instance)
    assert report.healed_runs == [] and len(report.actions) == 1 and "ended (FAILURE)" in report.actions[0] and run_id in report.actions[0]
    assert _holders(instance) == []


def test_a_slot_of_an_ended_run_whose_step_process_still_runs_is_kept(instance: dg.DagsterInstance) -> None:
    """A run failed or canceled from outside (run monitoring, the UI) can leave its step process writing: its
    slot is kept until that process exits, then freed."""
    run_id = _run(instance, _tags(_dead_pid()), status=DagsterRunStatus.CANCELED)
    step = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        event = dg.DagsterEvent(dg.DagsterEventType.STEP_WORKER_STARTED.value, "__ASSET_JOB", step_key="bronze__trades", pid=step.pid,
                                event_specific_data=EngineEventData(), message="step worker")
        instance.report_dagster_event(event, run_id)
        report = stuck_runs.heal(instance)
        assert not report and [u.run_id for u in report.unknown] == [run_id] and str(step.pid) in report.unknown[0].reason
        assert _holders(instance) == [run_id]
    finally:
        step.send_signal(signal.SIGKILL)
        step.wait()
    assert "ended (CANCELED)" in stuck_runs.heal(instance).actions[0] and _holders(instance) == []


def test_dry_run_and_exclude_change_nothing(instance: dg.DagsterInstance) -> None:
    run_id = _run(instance, _tags(_dead_pid()))
    assert stuck_runs.heal(instance, dry_run=True).healed_runs == [run_id]
    assert not stuck_runs.heal(instance, exclude={run_id})
    assert _status(instance, run_id) == DagsterRunStatus.STARTED and _holders(instance) == [run_id]


def test_a_canceling_run_whose_process_is_gone_is_canceled(instance: dg.DagsterInstance) -> None:
    run_id = _run(instance, _tags(_dead_pid()), status=DagsterRunStatus.CANCELING)
    stuck_runs.heal(instance)
    assert _status(instance, run_id) == DagsterRunStatus.CANCELED and _holders(instance) == []


def test_blocking_hints_name_the_holder_and_the_command(instance: dg.DagsterInstance) -> None:
    holder = _run(instance, _tags(os.getpid()))
    (hint,) = stuck_runs.blocking_hints(instance, "waiting-run", [POOL])
    assert holder in hint and "its process is alive" in hint and "polymarket-assets heal" in hint


@pytest.mark.parametrize("mode", ["in_process", "multiprocess"])
def test_the_executor_records_the_run_worker_and_heals_a_dead_run_before_it_starts(instance: dg.DagsterInstance, mode: str) -> None:
    from polymarket_assets_tests.reliability.pool_defs import get_pooled_job

    dead = _run(instance, _tags(_dead_pid()))
    with dg.execute_job(dg.reconstructable(get_pooled_job), instance, run_config={"execution": {"config": {mode: {}}}}) as result:
        assert result.success
        run_id = result.run_id
    run = instance.get_run_by_id(run_id)
    assert run is not None and run.tags[TAG_PID] == str(os.getpid()) and run.tags[TAG_HOST] == identity().host
    assert _status(instance, dead) == DagsterRunStatus.FAILURE
    logs = [e.message for e in instance.all_logs(run_id)]
    assert any(dead in m and "marked it FAILURE" in m for m in logs)


@pytest.mark.parametrize("mode", ["in_process", "multiprocess"])
def test_a_blocked_run_heals_a_holder_that_dies_while_it_waits_and_does_not_spin(instance: dg.DagsterInstance, mode: str) -> None:
    """The holder's process dies while this run's step waits for the slot: the waiting run frees the slot
    itself within a few seconds (no daemon), and the waiting costs almost no CPU (Dagster's own loop spins)."""
    import threading
    import time

    from polymarket_assets_tests.reliability.pool_defs import get_pooled_job

    holder_process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    holder = _run(instance, {**_tags(os.getpid()), TAG_PID: str(holder_process.pid), TAG_STARTED: identity(holder_process.pid).started or ""})
    killed_at: list[float] = []

    def kill() -> None:
        holder_process.send_signal(signal.SIGKILL)
        holder_process.wait()
        killed_at.append(time.time())

    killer = threading.Timer(3.0, kill)
    killer.start()
    try:
        wall, cpu = time.monotonic(), time.process_time()
        with dg.execute_job(dg.reconstructable(get_pooled_job), instance, run_config={"execution": {"config": {mode: {}}}}) as result:
            assert result.success
            run_id = result.run_id
        wall, cpu = time.monotonic() - wall, time.process_time() - cpu
    finally:
        killer.cancel()
        if holder_process.poll() is None:
            holder_process.kill()
            holder_process.wait()
    assert _status(instance, holder) == DagsterRunStatus.FAILURE
    logs = instance.all_logs(run_id)
    assert any("wait for a slot" in e.message and holder in e.message and "its process is alive" in e.message for e in logs)
    (healed,) = [e for e in logs if holder in e.message and "marked it FAILURE" in e.message]
    (started,) = [e for e in logs if e.dagster_event_type == dg.DagsterEventType.STEP_START]
    assert healed.timestamp - killed_at[0] < HEAL_INTERVAL_SECONDS + 1.0
    assert started.timestamp > healed.timestamp
    # 3-8 s of the run were spent waiting: a spinning loop burns as much CPU as that, the paced one a fraction
    waited = healed.timestamp - logs[0].timestamp
    assert waited > 3.0
    assert cpu < 0.3 * waited + 1.5, f"{cpu:.2f} s CPU in {wall:.1f} s, {waited:.1f} s of it waiting"


def test_heal_force_refuses_an_unknown_or_finished_run_id(instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    from polymarket_assets.reliability import cli

    monkeypatch.setattr(cli, "_instance", lambda: instance)
    assert cli.main(["heal", "--force", "no-such-run"]) == 2
    assert "no-such-run: no such run in this instance" in capsys.readouterr().err
    finished = _run(instance, _tags(_dead_pid()), status=DagsterRunStatus.SUCCESS, claim=False)
    assert cli.main(["heal", "--force", finished]) == 2
    assert "already ended (SUCCESS) and holds no pool slot" in capsys.readouterr().err
    stuck = _run(instance, _tags(os.getpid()))  # alive by its pid, but the user says its machine is gone
    assert cli.main(["heal", "--force", stuck]) == 0
    assert f"run {stuck}" in capsys.readouterr().out and _status(instance, stuck) == DagsterRunStatus.FAILURE


def test_a_run_from_another_pid_namespace_on_the_same_host_name_is_not_judged(instance: dg.DagsterInstance) -> None:
    """Containers with host networking share the host name and the boot id, not the pids: a run worker from
    another pid namespace whose pid is absent here is "cannot tell", never dead."""
    run_id = _run(instance, {**_tags(_dead_pid()), TAG_PID_NS: "4026531836-elsewhere"})
    liveness = stuck_runs.assess(instance, instance.get_run_by_id(run_id))  # type: ignore[arg-type]
    assert liveness.alive is None and "another pid namespace" in liveness.reason
    assert not stuck_runs.heal(instance) and _holders(instance) == [run_id]
    ours = _run(instance, {**_tags(_dead_pid()), TAG_PID_NS: str(os.stat("/proc/self/ns/pid").st_ino)}, claim=False)
    assert stuck_runs.assess(instance, instance.get_run_by_id(ours)).alive is False  # type: ignore[arg-type]

"""Runs whose process is gone: find them, mark them failed, free the pool slots they hold.

Dagster leaves a run killed by ``kill -9``, the OOM killer or a machine restart STARTED, holding its pool
slots: its default run launcher cannot check a run worker's health, ``free_slots_after_run_end_seconds`` only
frees slots of runs that have *ended*, and a run started by ``dagster asset materialize`` has no daemon
watching it at all. Every later step in the pool then waits forever.

A run worker started by this code location's executor records its host, boot id, pid and the pid's start
time as run tags (``record_run_worker``). ``assess`` uses those and the pids of the run's step workers (from
their STEP_WORKER_STARTED events) to decide: the run is dead only when it ran on this host and none of those
processes exists any longer. A run on another host, or one without the tags, is never marked dead here
(``heal(force=...)`` does it on the user's word). ``heal`` is called by ``dead_run_sensor`` (daemon), by
the executor when a run starts and while its steps wait for a slot, and by ``polymarket-assets heal``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

import dagster as dg
from dagster._core.storage.dagster_run import DagsterRunStatus, RunsFilter

from polymarket_assets.reliability.processes import ProcessIdentity, hostname, identity

TAG_HOST = "polymarket/run_worker_host"
TAG_PID = "polymarket/run_worker_pid"
TAG_BOOT_ID = "polymarket/run_worker_boot_id"
TAG_STARTED = "polymarket/run_worker_started"
TAG_PID_NS = "polymarket/run_worker_pid_ns"

#: statuses of a run that may hold a process (and slots)
LIVE_STATUSES = (DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING)

HEAL_COMMAND = "polymarket-assets heal"


def record_run_worker(instance: dg.DagsterInstance, run_id: str) -> ProcessIdentity:
    """Tag the run with this process (its run worker): host, pid, boot id and the pid's start time."""
    me = identity()
    tags = {TAG_HOST: me.host, TAG_PID: str(me.pid)}
    if me.boot_id:
        tags[TAG_BOOT_ID] = me.boot_id
    if me.started:
        tags[TAG_STARTED] = me.started
    if me.pid_ns:
        tags[TAG_PID_NS] = me.pid_ns
    instance.add_run_tags(run_id, tags)
    return me


def run_worker_identity(run: dg.DagsterRun) -> ProcessIdentity | None:
    tags = run.tags
    host, pid = tags.get(TAG_HOST), tags.get(TAG_PID)
    if not host or not pid or not pid.isdigit():
        return None
    return ProcessIdentity(host=host, pid=int(pid), boot_id=tags.get(TAG_BOOT_ID), started=tags.get(TAG_STARTED), pid_ns=tags.get(TAG_PID_NS))


def _step_worker_pids(instance: dg.DagsterInstance, run_id: str) -> list[int]:
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.STEP_WORKER_STARTED).records
    pids = {r.event_log_entry.dagster_event.pid for r in records if r.event_log_entry.dagster_event is not None}
    return sorted(p for p in pids if p)


@dataclass(frozen=True)
class Liveness:
    """``alive``: True, False (dead: every process it had on this host is gone) or None (cannot tell)."""

    run_id: str
    alive: bool | None
    reason: str
    host: str | None = None
    pids: tuple[int, ...] = ()


def _local_storage(instance: dg.DagsterInstance) -> bool:
    """A SQLite run storage lives on this machine's disk: every run in it ran here."""
    from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage

    return isinstance(instance.run_storage, SqliteRunStorage)


def _run_start_pid(instance: dg.DagsterInstance, run_id: str) -> int | None:
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.RUN_START, limit=1).records
    event = records[0].event_log_entry.dagster_event if records else None
    return event.pid if event is not None and event.pid else None


def assess(instance: dg.DagsterInstance, run: dg.DagsterRun) -> Liveness:
    worker = run_worker_identity(run)
    if worker is None and _local_storage(instance):
        # a run without the tags (another executor, an older version) in a SQLite instance: its run worker
        # is the pid of its RUN_START event, on this machine (no start time: a reused pid counts as alive)
        pid = _run_start_pid(instance, run.run_id)
        if pid is not None:
            worker = ProcessIdentity(host=hostname(), pid=pid)
    if worker is None:
        return Liveness(run.run_id, None, "the run did not record its run worker's host and pid (another executor, or an older version)")
    if not worker.on_this_host():
        where = f"host {worker.host!r}" if worker.host != hostname() else f"another pid namespace (container) of host {worker.host!r}"
        return Liveness(run.run_id, None, f"its run worker ran on {where}, not this one", worker.host, (worker.pid,))
    steps = [ProcessIdentity(worker.host, pid, worker.boot_id, pid_ns=worker.pid_ns) for pid in _step_worker_pids(instance, run.run_id) if pid != worker.pid]
    processes = [worker, *steps]
    pids = tuple(p.pid for p in processes)
    alive = [p.pid for p in processes if p.is_alive()]
    if alive:
        return Liveness(run.run_id, True, f"process(es) {alive} still run on {worker.host}", worker.host, pids)
    return Liveness(run.run_id, False, f"no process of it is left on {worker.host} (pids {list(pids)} are gone)", worker.host, pids)


def _live_step_workers(instance: dg.DagsterInstance, run: dg.DagsterRun) -> list[int]:
    """Step processes of an ended run that still run on this host (an orphan of a run failed from outside)."""
    worker = run_worker_identity(run)
    if worker is None and not _local_storage(instance):
        return []  # no record of where it ran: its step pids may be another machine's
    if worker is not None and not worker.on_this_host():
        return []
    boot_id = worker.boot_id if worker is not None else None
    return [pid for pid in _step_worker_pids(instance, run.run_id)
            if (worker is None or pid != worker.pid) and ProcessIdentity(hostname(), pid, boot_id, pid_ns=worker.pid_ns if worker else None).is_alive()]


def slots_by_run(instance: dg.DagsterInstance) -> dict[str, dict[str, int]]:
    """run id -> pool -> claimed slots, over every pool."""
    storage = instance.event_log_storage
    held: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    if not storage.supports_global_concurrency_limits:
        return {}
    for pool in sorted(storage.get_concurrency_keys()):
        for slot in storage.get_concurrency_info(pool).claimed_slots:
            held[slot.run_id][pool] += 1
    return {run_id: dict(pools) for run_id, pools in held.items()}


def _describe_slots(pools: dict[str, int]) -> str:
    if not pools:
        return "no pool slot"
    total = sum(pools.values())
    return f"{total} pool slot{'s' if total != 1 else ''} ({', '.join(f'{p}: {n}' for p, n in sorted(pools.items()))})"


@dataclass
class HealReport:
    """What ``heal`` did: one line per run marked failed or slot set freed, and the runs it could not judge."""

    actions: list[str] = field(default_factory=list)
    healed_runs: list[str] = field(default_factory=list)
    unknown: list[Liveness] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.actions)


def heal(
    instance: dg.DagsterInstance,
    *,
    exclude: Collection[str] = (),
    force: Collection[str] = (),
    dry_run: bool = False,
) -> HealReport:
    """Mark runs whose processes are gone as failed and free their slots; free slots still held by ended runs.

    ``exclude``: run ids never touched (the calling run). ``force``: run ids treated as dead whatever their
    liveness (the user's word, e.g. for a run whose host is gone). ``dry_run``: report, change nothing.
    """
    report = HealReport()
    held = slots_by_run(instance)
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    for run in instance.get_runs(filters=RunsFilter(statuses=list(LIVE_STATUSES))):
        if run.run_id in exclude:
            continue
        liveness = assess(instance, run)
        forced = run.run_id in force
        if liveness.alive is not False and not forced:
            if liveness.alive is None:
                report.unknown.append(liveness)
            continue
        why = "the user asked (polymarket-assets heal --force)" if forced and liveness.alive is not False else liveness.reason
        pools = held.pop(run.run_id, {})
        message = (
            f"polymarket-assets reliability: run {run.run_id} ({run.job_name}) was {run.status.value} but {why}; "
            f"{'would mark' if dry_run else 'marked'} it "
            f"{'CANCELED' if run.status == DagsterRunStatus.CANCELING else 'FAILURE'} and "
            f"{'would free' if dry_run else 'freed'} {_describe_slots(pools)} at {now}."
        )
        if not dry_run:
            _end(instance, run, message)
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        report.actions.append(message)
        report.healed_runs.append(run.run_id)
    # slots still claimed by runs that have ended (or were deleted): Dagster frees these after
    # free_slots_after_run_end_seconds, and only with the daemon running
    for run_id, pools in held.items():
        if run_id in exclude:
            continue
        ended = instance.get_run_by_id(run_id)
        if ended is not None and ended.status in LIVE_STATUSES and run_id not in force:
            continue
        orphans = _live_step_workers(instance, ended) if ended is not None and run_id not in force else []
        if orphans and ended is not None:
            # failed or canceled, but a step process of it still runs (and may still write): keep its slot
            report.unknown.append(Liveness(run_id, True, f"it ended ({ended.status.value}) but its step process(es) {orphans} still run; "
                                                         f"its slot is freed once they exit (or kill them)", hostname(), tuple(orphans)))
            continue
        state = "was deleted" if ended is None else f"ended ({ended.status.value})"
        message = f"polymarket-assets reliability: run {run_id} {state} but still held {_describe_slots(pools)}; {'would free' if dry_run else 'freed'} them."
        if not dry_run:
            instance.event_log_storage.free_concurrency_slots_for_run(run_id)
        report.actions.append(message)
    return report


def _end(instance: dg.DagsterInstance, run: dg.DagsterRun, message: str) -> None:
    current = instance.get_run_by_id(run.run_id)
    if current is None or current.status not in LIVE_STATUSES:
        return  # ended meanwhile
    if current.status == DagsterRunStatus.CANCELING:
        instance.report_run_canceled(current, message=message)
    else:
        instance.report_run_failed(current, message=message)


def blocking_hints(instance: dg.DagsterInstance, run_id: str, pools: Iterable[str]) -> list[str]:
    """For a run whose steps wait on ``pools``: who holds those slots, and what to do if a holder is dead."""
    storage = instance.event_log_storage
    hints = []
    for pool in sorted(set(pools)):
        info = storage.get_concurrency_info(pool)
        holders = sorted({s.run_id for s in info.claimed_slots if s.run_id != run_id})
        for holder in holders:
            run = instance.get_run_by_id(holder)
            if run is None:
                continue
            liveness = assess(instance, run)
            state = {True: "its process is alive", False: "its process is gone", None: "its process cannot be checked from here"}[liveness.alive]
            hints.append(
                f"pool {pool!r} ({info.limit} slot(s)) is held by run {holder} ({run.job_name}, {run.status.value}): {state} "
                f"({liveness.reason}). If that run is working, this step starts when it ends. If its process is gone, "
                f"run `{HEAL_COMMAND}` (marks it failed and frees the slot), or `{HEAL_COMMAND} --force {holder}` for a run "
                f"whose machine is gone; the Dagster UI's run page can also terminate it and free its slots."
            )
    return hints

"""How ``orderbook_logger_sensor`` (``polymarket_assets/defs/streaming/orderbook_logger_sensor.py``) keeps exactly
one ``orderbook_logger_job`` run alive.

Every tick (``minimum_interval_seconds=30``):

* if any run of the job is not finished — QUEUED, NOT_STARTED, STARTING, STARTED, CANCELING (or any other
  non-terminal status such as SUSPENDED/MANAGED) — skip: never two runs;
* otherwise (no run yet, or the last one ended SUCCESS / FAILURE / CANCELED) request a fresh run.

The run_key pitfall: the daemon drops a RunRequest whose run_key it has seen before, for ever. A fixed key
would launch once and never again; a key derived from the previous run could repeat after a reset. Here
each launch gets ``orderbook-logger-<n>`` where ``n`` is one more than the largest counter in the cursor
**and** in the run_key tags of the job's recent runs, so the key is new even if the cursor is reset, while
a tick that is re-evaluated after a crash still reproduces the same key (and is de-duplicated).

The request carries ``dagster/max_runtime`` = duration + 10 minutes, so run monitoring (``dagster.yaml``
``run_monitoring``) terminates a run that hangs past its bound; the sensor then starts the next one. (The
job definition carries the same tag for the default 60-minute duration, so a run launched by hand from the
UI is bounded too; the sensor's per-run value overrides it.)

Dead or wedged workers: the default run launcher cannot check a run worker's health, so a worker killed
with SIGKILL (OOM, host reboot) would leave its run STARTED until ``max_runtime``. The logger writes
``state/orderbook_logger.stats.json`` (with its run tag) as soon as it starts and then every
``heartbeat_interval_seconds`` (10 s) from its own heartbeat thread, whatever discovery is doing (a first
pass stuck on a hanging venue does not stop it). Before the run's first heartbeat the run's start time is
used. When the STARTED run's heartbeat is older than ``stale_after_seconds`` (default 300 s), the sensor asks the run
launcher to terminate it (the run goes CANCELING; run monitoring's ``cancel_timeout_seconds`` marks it
CANCELED if no worker answers) and launches a fresh run on a later tick, once the old one is finished.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any, Mapping

import dagster as dg

from polymarket_assets.lake import LakeError, as_lake_path
from polymarket_assets.resources import LakeResource
from polymarket_assets.streaming.logger import STATS_NAME
from polymarket_assets.streaming.logger_run import (
    JOB_NAME,
    MAX_RUNTIME_TAG,
    OrderbookLoggerConfig,
    max_runtime_seconds,
)

RUN_KEY_PREFIX = "orderbook-logger-"
RUN_KEY_TAG = "dagster/run_key"
STALE_AFTER_SECONDS = 300.0
FINISHED = (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)
ALIVE = tuple(s for s in dg.DagsterRunStatus if s not in FINISHED)
_KEY_RE = re.compile(re.escape(RUN_KEY_PREFIX) + r"(\d+)$")


def _counter(value: str | None) -> int:
    if not value:
        return 0
    match = _KEY_RE.search(value)
    if match:
        return int(match.group(1))
    return int(value) if value.isdigit() else 0


def heartbeat_age(instance: dg.DagsterInstance, run: dg.DagsterRun, state_dir: Any, now: float) -> float | None:
    """Seconds since ``run`` last proved it is alive (its stats file in the lake's state directory, else its
    start), or None if unknown. ``state_dir``: a ``LakePath`` (local or S3) or a local directory."""
    tag = run.run_id.split("-")[0]
    path = as_lake_path(state_dir) / STATS_NAME
    try:
        if json.loads(path.read_text()).get("run_tag") == tag:
            return now - path.stat().st_mtime
    except (OSError, ValueError, AttributeError, LakeError):
        pass
    record = instance.get_run_record_by_id(run.run_id)
    started = record.start_time if record is not None and record.start_time else None
    return None if started is None else now - started


def next_launch(
    instance: dg.DagsterInstance,
    cursor: str | None,
    run_config: Mapping[str, Any] | None = None,
    *,
    state_dir: Any = None,
    stale_after_seconds: float = STALE_AFTER_SECONDS,
    now: float | None = None,
) -> dg.SensorResult | dg.SkipReason:
    """The sensor's decision, separated from the decorator so it is easy to test and reuse."""
    alive = instance.get_runs(filters=dg.RunsFilter(job_name=JOB_NAME, statuses=list(ALIVE)), limit=1)
    if alive:
        run = alive[0]
        if state_dir is not None and run.status == dg.DagsterRunStatus.STARTED:
            age = heartbeat_age(instance, run, state_dir, time.time() if now is None else now)
            if age is not None and age > stale_after_seconds:
                try:
                    instance.run_launcher.terminate(run.run_id)
                except Exception:  # noqa: BLE001 - no worker to reach: mark it canceling ourselves
                    pass
                current = instance.get_run_by_id(run.run_id)
                if current is not None and current.status == dg.DagsterRunStatus.STARTED:
                    instance.report_run_canceling(current, message=f"orderbook_logger_sensor: no heartbeat for {age:.0f}s")
                return dg.SkipReason(
                    f"{JOB_NAME} run {run.run_id} sent no heartbeat for {age:.0f}s (> {stale_after_seconds:.0f}s): "
                    f"termination requested; a fresh run starts once it is finished."
                )
        return dg.SkipReason(f"{JOB_NAME} run {run.run_id} is {run.status.value}; exactly one run is kept alive.")
    recent = instance.get_runs(filters=dg.RunsFilter(job_name=JOB_NAME), limit=50)
    counter = max([_counter(cursor)] + [_counter(r.tags.get(RUN_KEY_TAG)) for r in recent]) + 1
    op_config = dict((run_config or {}).get("ops", {}).get("orderbook_logger", {}).get("config", {}))
    duration_minutes = float(op_config.get("duration_minutes", OrderbookLoggerConfig().duration_minutes))
    tags = {
        MAX_RUNTIME_TAG: str(max_runtime_seconds(duration_minutes)),
        "orderbook_logger/launch": str(counter),
    }
    if recent:
        previous = recent[0]
        tags["orderbook_logger/previous_run"] = previous.run_id
        tags["orderbook_logger/previous_status"] = previous.status.value
        why = f"previous run {previous.run_id} ended {previous.status.value}"
    else:
        why = "no run yet"
    tags["orderbook_logger/reason"] = why
    request = dg.RunRequest(run_key=f"{RUN_KEY_PREFIX}{counter}", run_config=dict(run_config or {}), tags=tags)
    return dg.SensorResult(run_requests=[request], cursor=str(counter))


def make_orderbook_logger_sensor(
    name: str = "orderbook_logger_sensor",
    run_config: Mapping[str, Any] | None = None,
    minimum_interval_seconds: int = 30,
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.STOPPED,
    stale_after_seconds: float = STALE_AFTER_SECONDS,
) -> dg.SensorDefinition:
    @dg.sensor(
        name=name,
        job_name=JOB_NAME,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        description="Keeps exactly one orderbook_logger_job run alive: launches one when none is queued or running, "
        "and a fresh one (new run_key) after the last one finished, failed or was canceled.",
    )
    def _sensor(context: dg.SensorEvaluationContext, lake: LakeResource):
        try:
            state_dir: Any = lake.state
        except Exception as exc:  # noqa: BLE001 - an unusable data dir must not stop the sensor
            context.log.warning(f"heartbeat check disabled: {exc}")
            state_dir = None
        result = next_launch(context.instance, context.cursor, run_config, state_dir=state_dir, stale_after_seconds=stale_after_seconds)
        if isinstance(result, dg.SensorResult):
            request = result.run_requests[0]  # type: ignore[index]
            context.log.info(f"launching {JOB_NAME} with run_key {request.run_key}")
        return result

    return _sensor


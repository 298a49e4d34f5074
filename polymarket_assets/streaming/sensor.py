"""How the keep-alive sensors keep exactly one run of a long-running, bounded job alive: ``orderbook_logger_sensor``
(the REST logger, ``orderbook_logger_job``) and ``orderbook_stream_sensor`` (the WebSocket stream,
``orderbook_stream_job``), both made by :func:`make_keep_alive_sensor` from a :class:`KeepAlive` spec.

Every tick (``minimum_interval_seconds=30``):

* if any run of the job is not finished — QUEUED, NOT_STARTED, STARTING, STARTED, CANCELING (or any other
  non-terminal status such as SUSPENDED/MANAGED) — skip: never two runs;
* otherwise (no run yet, or the last one ended SUCCESS / FAILURE / CANCELED) request a fresh run.

The run_key pitfall: the daemon drops a RunRequest whose run_key it has seen before, for ever. A fixed key
would launch once and never again; a key derived from the previous run could repeat after a reset. Here
each launch gets ``<prefix><n>`` (``orderbook-logger-<n>``, ``orderbook-stream-<n>``) where ``n`` is one more
than the largest counter in the cursor **and** in the run_key tags of the job's recent runs, so the key is
new even if the cursor is reset, while a tick that is re-evaluated after a crash still reproduces the same
key (and is de-duplicated).

The request carries ``dagster/max_runtime`` = duration + 10 minutes, so run monitoring (``dagster.yaml``
``run_monitoring``) terminates a run that hangs past its bound; the sensor then starts the next one. (The
job definition carries the same tag for the default 60-minute duration, so a run launched by hand from the
UI is bounded too; the sensor's per-run value overrides it.)

Dead or wedged workers: the default run launcher cannot check a run worker's health, so a worker killed
with SIGKILL (OOM, host reboot) would leave its run STARTED until ``max_runtime``. Each job writes its
heartbeat file under ``state/`` (``orderbook_logger.stats.json``, ``orderbook_stream.stats.json``, with the
run tag) as soon as it starts and then every 10 s. Before the run's first heartbeat the run's start time is
used. When the STARTED run's heartbeat is older than ``stale_after_seconds`` (default 300 s), the sensor asks
the run launcher to terminate it (the run goes CANCELING; run monitoring's ``cancel_timeout_seconds`` marks
it CANCELED if no worker answers) and launches a fresh run on a later tick, once the old one is finished.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any, Mapping

import dagster as dg

from polymarket_assets.lake import LakeError, as_lake_path
from polymarket_assets.resources import LakeResource
from polymarket_assets.streaming.logger import STATS_NAME as LOGGER_HEARTBEAT

MAX_RUNTIME_TAG = "dagster/max_runtime"
MAX_RUNTIME_MARGIN_SECONDS = 600
RUN_KEY_TAG = "dagster/run_key"
STALE_AFTER_SECONDS = 300.0
FINISHED = (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)
ALIVE = tuple(s for s in dg.DagsterRunStatus if s not in FINISHED)


def max_runtime_seconds(duration_minutes: float) -> int:
    """The ``dagster/max_runtime`` bound for a run of ``duration_minutes``."""
    return int(duration_minutes * 60 + MAX_RUNTIME_MARGIN_SECONDS)


@dataclass(frozen=True)
class KeepAlive:
    """What a keep-alive sensor needs to know about its job."""

    job_name: str
    op_name: str  # the op whose run config holds duration_minutes
    run_key_prefix: str  # e.g. "orderbook-logger-"
    tag_prefix: str  # run tags <tag_prefix>/launch, /previous_run, /previous_status, /reason
    heartbeat_file: str  # under the lake's state dir; JSON with the run's "run_tag" (first 8 chars of the run id)
    default_duration_minutes: float = 60.0

    def counter(self, value: str | None) -> int:
        if not value:
            return 0
        match = re.search(re.escape(self.run_key_prefix) + r"(\d+)$", value)
        if match:
            return int(match.group(1))
        return int(value) if value.isdigit() else 0


LOGGER = KeepAlive("orderbook_logger_job", "orderbook_logger", "orderbook-logger-", "orderbook_logger", LOGGER_HEARTBEAT)
STREAM = KeepAlive("orderbook_stream_job", "orderbook_stream", "orderbook-stream-", "orderbook_stream", "orderbook_stream.stats.json")


def heartbeat_age(instance: dg.DagsterInstance, run: dg.DagsterRun, state_dir: Any, now: float, spec: KeepAlive = LOGGER) -> float | None:
    """Seconds since ``run`` last proved it is alive (its heartbeat file in the lake's state directory, else its
    start), or None if unknown. ``state_dir``: a ``LakePath`` (local or S3) or a local directory."""
    tag = run.run_id.split("-")[0]
    path = as_lake_path(state_dir) / spec.heartbeat_file
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
    spec: KeepAlive = LOGGER,
    state_dir: Any = None,
    stale_after_seconds: float = STALE_AFTER_SECONDS,
    now: float | None = None,
) -> dg.SensorResult | dg.SkipReason:
    """The sensor's decision, separated from the decorator so it is easy to test and reuse."""
    job = spec.job_name
    alive = instance.get_runs(filters=dg.RunsFilter(job_name=job, statuses=list(ALIVE)), limit=1)
    if alive:
        run = alive[0]
        if state_dir is not None and run.status == dg.DagsterRunStatus.STARTED:
            age = heartbeat_age(instance, run, state_dir, time.time() if now is None else now, spec)
            if age is not None and age > stale_after_seconds:
                try:
                    instance.run_launcher.terminate(run.run_id)
                except Exception:  # noqa: BLE001 - no worker to reach: mark it canceling ourselves
                    pass
                current = instance.get_run_by_id(run.run_id)
                if current is not None and current.status == dg.DagsterRunStatus.STARTED:
                    instance.report_run_canceling(current, message=f"{job} keep-alive sensor: no heartbeat for {age:.0f}s")
                return dg.SkipReason(
                    f"{job} run {run.run_id} sent no heartbeat for {age:.0f}s (> {stale_after_seconds:.0f}s): "
                    f"termination requested; a fresh run starts once it is finished."
                )
        return dg.SkipReason(f"{job} run {run.run_id} is {run.status.value}; exactly one run is kept alive.")
    recent = instance.get_runs(filters=dg.RunsFilter(job_name=job), limit=50)
    counter = max([spec.counter(cursor)] + [spec.counter(r.tags.get(RUN_KEY_TAG)) for r in recent]) + 1
    op_config = dict((run_config or {}).get("ops", {}).get(spec.op_name, {}).get("config", {}))
    duration_minutes = float(op_config.get("duration_minutes", spec.default_duration_minutes))
    tags = {MAX_RUNTIME_TAG: str(max_runtime_seconds(duration_minutes)), f"{spec.tag_prefix}/launch": str(counter)}
    if recent:
        previous = recent[0]
        tags[f"{spec.tag_prefix}/previous_run"] = previous.run_id
        tags[f"{spec.tag_prefix}/previous_status"] = previous.status.value
        why = f"previous run {previous.run_id} ended {previous.status.value}"
    else:
        why = "no run yet"
    tags[f"{spec.tag_prefix}/reason"] = why
    request = dg.RunRequest(run_key=f"{spec.run_key_prefix}{counter}", run_config=dict(run_config or {}), tags=tags)
    return dg.SensorResult(run_requests=[request], cursor=str(counter))


def make_keep_alive_sensor(
    spec: KeepAlive,
    name: str,
    *,
    run_config: Mapping[str, Any] | None = None,
    minimum_interval_seconds: int = 30,
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.STOPPED,
    stale_after_seconds: float = STALE_AFTER_SECONDS,
) -> dg.SensorDefinition:
    @dg.sensor(
        name=name,
        job_name=spec.job_name,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        description=f"Keeps exactly one {spec.job_name} run alive: launches one when none is queued or running, "
        "and a fresh one (new run_key) after the last one finished, failed or was canceled.",
    )
    def _sensor(context: dg.SensorEvaluationContext, lake: LakeResource):
        try:
            state_dir: Any = lake.state
        except Exception as exc:  # noqa: BLE001 - an unusable data dir must not stop the sensor
            context.log.warning(f"heartbeat check disabled: {exc}")
            state_dir = None
        result = next_launch(context.instance, context.cursor, run_config, spec=spec, state_dir=state_dir,
                             stale_after_seconds=stale_after_seconds)
        if isinstance(result, dg.SensorResult):
            request = result.run_requests[0]  # type: ignore[index]
            context.log.info(f"launching {spec.job_name} with run_key {request.run_key}")
        return result

    return _sensor


def make_orderbook_logger_sensor(name: str = "orderbook_logger_sensor", **kwargs: Any) -> dg.SensorDefinition:
    return make_keep_alive_sensor(LOGGER, name, **kwargs)

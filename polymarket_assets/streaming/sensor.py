"""``orderbook_logger_sensor``: keeps exactly one ``orderbook_logger_job`` run alive.

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
``run_monitoring``) terminates a run that hangs past its bound; the sensor then starts the next one.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

import dagster as dg

from polymarket_assets.streaming.job import JOB_NAME, OrderbookLoggerConfig, orderbook_logger_job

RUN_KEY_PREFIX = "orderbook-logger-"
RUN_KEY_TAG = "dagster/run_key"
MAX_RUNTIME_TAG = "dagster/max_runtime"
MAX_RUNTIME_MARGIN_SECONDS = 600
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


def next_launch(instance: dg.DagsterInstance, cursor: str | None, run_config: Mapping[str, Any] | None = None) -> dg.SensorResult | dg.SkipReason:
    """The sensor's decision, separated from the decorator so it is easy to test and reuse."""
    alive = instance.get_runs(filters=dg.RunsFilter(job_name=JOB_NAME, statuses=list(ALIVE)), limit=1)
    if alive:
        run = alive[0]
        return dg.SkipReason(f"{JOB_NAME} run {run.run_id} is {run.status.value}; exactly one run is kept alive.")
    recent = instance.get_runs(filters=dg.RunsFilter(job_name=JOB_NAME), limit=50)
    counter = max([_counter(cursor)] + [_counter(r.tags.get(RUN_KEY_TAG)) for r in recent]) + 1
    op_config = dict((run_config or {}).get("ops", {}).get("orderbook_logger", {}).get("config", {}))
    duration_minutes = float(op_config.get("duration_minutes", OrderbookLoggerConfig().duration_minutes))
    tags = {
        MAX_RUNTIME_TAG: str(int(duration_minutes * 60 + MAX_RUNTIME_MARGIN_SECONDS)),
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
) -> dg.SensorDefinition:
    @dg.sensor(
        name=name,
        job=orderbook_logger_job,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        description="Keeps exactly one orderbook_logger_job run alive: launches one when none is queued or running, "
        "and a fresh one (new run_key) after the last one finished, failed or was canceled.",
    )
    def _sensor(context: dg.SensorEvaluationContext):
        result = next_launch(context.instance, context.cursor, run_config)
        if isinstance(result, dg.SensorResult):
            request = result.run_requests[0]  # type: ignore[index]
            context.log.info(f"launching {JOB_NAME} with run_key {request.run_key}")
        return result

    return _sensor


orderbook_logger_sensor = make_orderbook_logger_sensor()

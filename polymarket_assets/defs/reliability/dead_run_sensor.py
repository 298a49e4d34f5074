"""``dead_run_sensor`` (RUNNING by default): every 15 s, marks STARTED/STARTING runs whose processes are gone
(kill -9, OOM killer, machine restart) as failed and frees the pool slots they hold, with a log line per run.
Dagster's own run monitoring cannot check a run worker launched by the default run launcher, and frees slots
only of runs that have ended. How a run is judged dead: ``polymarket_assets/reliability/stuck_runs.py``."""

import dagster as dg

from polymarket_assets.reliability.stuck_runs import heal


@dg.sensor(
    name="dead_run_sensor",
    minimum_interval_seconds=15,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Marks runs whose process is gone (kill -9, OOM, restart) as failed and frees their pool slots.",
)
def dead_run_sensor(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    report = heal(context.instance)
    for line in report.actions:
        context.log.warning(line)
    if report:
        return dg.SkipReason(f"healed: {len(report.healed_runs)} dead run(s); {len(report.actions)} action(s)")
    return dg.SkipReason("no run whose process is gone, no slot held by an ended run")

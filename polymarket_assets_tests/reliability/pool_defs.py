"""A one-asset code location in pool ``polymarket_data`` on the healing executor, for the executor tests and
``bench/heal.py`` (``dagster asset materialize -f pool_defs.py``). ``POOL_TEST_SLEEP`` seconds of work per step;
``POOL_TEST_STOCK_EXECUTOR=1`` uses Dagster's own executor instead (the baseline). For the daemon test
(``test_daemon_heal.py``): ``launch_once_sensor`` requests one run of ``pooled_job`` (run key ``once``), and the
platform's ``dead_run_sensor`` is here too, so ``dagster-daemon run -f pool_defs.py`` launches, and heals, a run
as a schedule or sensor would in the real code location."""

import os
import time

import dagster as dg

from polymarket_assets.defs.reliability.dead_run_sensor import dead_run_sensor
from polymarket_assets.reliability.executor import healing_executor

POOL = "polymarket_data"


@dg.asset(pool=POOL)
def pooled_asset() -> int:
    time.sleep(float(os.environ.get("POOL_TEST_SLEEP", "0")))
    return 1


pooled_job = dg.define_asset_job("pooled_job", selection=[pooled_asset])



@dg.sensor(job=pooled_job, minimum_interval_seconds=1, default_status=dg.DefaultSensorStatus.RUNNING)
def launch_once_sensor() -> dg.RunRequest:
    return dg.RunRequest(run_key="once")


defs = dg.Definitions(
    assets=[pooled_asset],
    jobs=[pooled_job],
    sensors=[launch_once_sensor, dead_run_sensor],
    executor=dg.multi_or_in_process_executor if os.environ.get("POOL_TEST_STOCK_EXECUTOR") else healing_executor,
)


def get_pooled_job() -> dg.JobDefinition:
    return defs.resolve_job_def("pooled_job")

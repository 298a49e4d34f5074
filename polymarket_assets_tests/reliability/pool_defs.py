"""A one-asset code location in pool ``polymarket_data`` on the healing executor, for the executor tests and
``bench/heal.py`` (``dagster asset materialize -f pool_defs.py``). ``POOL_TEST_SLEEP`` seconds of work per step;
``POOL_TEST_STOCK_EXECUTOR=1`` uses Dagster's own executor instead (the baseline)."""

import os
import time

import dagster as dg

from polymarket_assets.reliability.executor import healing_executor

POOL = "polymarket_data"


@dg.asset(pool=POOL)
def pooled_asset() -> int:
    time.sleep(float(os.environ.get("POOL_TEST_SLEEP", "0")))
    return 1


pooled_job = dg.define_asset_job("pooled_job", selection=[pooled_asset])

defs = dg.Definitions(
    assets=[pooled_asset],
    jobs=[pooled_job],
    executor=dg.multi_or_in_process_executor if os.environ.get("POOL_TEST_STOCK_EXECUTOR") else healing_executor,
)


def get_pooled_job() -> dg.JobDefinition:
    return defs.resolve_job_def("pooled_job")

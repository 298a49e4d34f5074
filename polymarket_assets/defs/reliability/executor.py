"""The default executor of every job and asset run in the code location: Dagster's multiprocess/in-process
executor that also records the run worker's pid, heals runs whose process is gone and does not spin on a
full pool (``polymarket_assets/reliability/executor.py``)."""

import dagster as dg

from polymarket_assets.reliability.executor import healing_executor


@dg.definitions
def executor() -> dg.Definitions:
    return dg.Definitions(executor=healing_executor)

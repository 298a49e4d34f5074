"""``orderbook_logger_job``: one long but bounded run of the order-book logger (what the run does:
``polymarket_assets/streaming/logger_run.py``; the threads: ``polymarket_assets/streaming/logger.py``)."""

import dagster as dg

from polymarket_assets.reliability.executor import healing_in_process_executor
from polymarket_assets.resources import LakeResource, PolymarketApiResource
from polymarket_assets.streaming.clock import Clock
from polymarket_assets.streaming.logger_run import (
    DEFAULT_DURATION_MINUTES,
    JOB_NAME,
    MAX_RUNTIME_TAG,
    OrderbookLoggerConfig,
    max_runtime_seconds,
    run_logger,
)


@dg.op(
    name="orderbook_logger",
    description="Poll order books of the BTC 15-minute markets, configured Polymarket markets and Limitless CLOB markets for a bounded time.",
    out=dg.Out(dg.Nothing),
    tags={"kind": "python"},
)
def orderbook_logger_op(
    context: dg.OpExecutionContext,
    config: OrderbookLoggerConfig,
    polymarket_api: PolymarketApiResource,
    lake: LakeResource,
    clock: dg.ResourceParam[Clock],
):
    yield dg.Output(None, metadata=run_logger(context, config, polymarket_api=polymarket_api, lake=lake, clock=clock))


@dg.job(
    name=JOB_NAME,
    description="Long-running (bounded) order-book logger; kept alive by orderbook_logger_sensor. Every run carries "
    f"dagster/max_runtime: {max_runtime_seconds(DEFAULT_DURATION_MINUTES)} s (default 60 min + 10 min) from this job, "
    "duration + 10 min from the sensor; set it in the Launchpad for a longer hand-launched run.",
    executor_def=healing_in_process_executor,
    tags={"team": "data-platform", MAX_RUNTIME_TAG: str(max_runtime_seconds(DEFAULT_DURATION_MINUTES))},
)
def orderbook_logger_job():
    """One bounded run of the order-book logger (see the module docstring).

    Every run carries ``dagster/max_runtime`` (seconds), so run monitoring terminates a run that hangs past
    its bound, including runs launched by hand from the UI/CLI: the job definition sets it to the default
    duration (60 min) + 10 min = 4200 s. ``orderbook_logger_sensor`` sets a per-run value from the run's own
    ``duration_minutes`` (run tags override job tags). When launching by hand with a ``duration_minutes``
    above 60, set the ``dagster/max_runtime`` tag in the Launchpad to ``duration_minutes * 60 + 600`` too, or
    run monitoring ends the run at 70 minutes.
    """
    orderbook_logger_op()

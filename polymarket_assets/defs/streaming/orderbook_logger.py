"""``orderbook_logger_job``: one long but bounded run of the order-book logger (what the run does:
``polymarket_assets/streaming/logger_run.py``; the threads: ``polymarket_assets/streaming/logger.py``)."""

from typing import Any

import dagster as dg

from polymarket_assets.reliability.executor import healing_in_process_executor
from polymarket_assets.resources import LakeResource, PolymarketApiResource
from polymarket_assets.streaming import logger_run
from polymarket_assets.streaming.logger_run import (
    DEFAULT_DURATION_MINUTES,
    JOB_NAME,
    MAX_RUNTIME_TAG,
    OrderbookLoggerConfig,
    build_logger,
    max_runtime_seconds,
    progress_text,
    run_metadata,
    warn_if_over_budget,
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
):
    log = context.log
    # slow path (discovery): the resource's clients, with transport retries; hot path (books): no retries
    discovery = polymarket_api.clients()
    hot = polymarket_api.clients(
        timeout=config.request_timeout_seconds,
        retries=0,
        limiter_timeout=max(config.cadence_seconds, 1.0),
        rate_limited=config.use_rate_limiter,
    )
    before = hot.stats.snapshot()

    def publish_progress(report: dict[str, Any]) -> None:
        """Live progress on the run itself (run tags show in the UI's run list and run page while it runs)."""
        tags = {
            "orderbook_logger/progress": progress_text(report),
            "orderbook_logger/heartbeat": str(report.get("at")),
        }
        context.instance.add_run_tags(context.run_id, tags)

    logger = build_logger(
        config,
        gamma=discovery.gamma,
        clob=hot.clob,
        limitless=discovery.limitless,
        limitless_books=hot.limitless,
        stream_dir=lake.stream,  # live files: this machine's disk (for a local lake, the lake's stream/ itself)
        state_dir=lake.local_state,
        heartbeat_dir=lake.state,  # in the lake, where the sensor reads it from any machine
        shipper=lake.shipper(log),  # S3 lake: each file goes up when it is closed; None for a local lake
        clock=logger_run.CLOCK_FACTORY(),
        log=log,
        run_tag=context.run_id.split("-")[0],
        on_progress=publish_progress,
        # called in the op thread once every source finished its first discovery pass
        on_first_discovery=lambda lg: warn_if_over_budget(polymarket_api, config, lg, log),
    )
    try:
        # returns at once: discovery (each source's first pass too) runs in its own threads beside the poller
        summary = logger.run(config.duration_minutes * 60.0)
    except (dg.DagsterExecutionInterruptedError, KeyboardInterrupt, SystemExit):
        summary = logger.stop(reason="interrupted")
        log.warning(
            f"orderbook_logger interrupted: stopped and flushed in {summary.get('shutdown_seconds')}s "
            f"(clean={summary.get('clean_shutdown')})"
        )
        raise
    except BaseException:
        logger.stop(reason="failed")
        raise
    summary["transport"] = hot.stats.since(before)  # every request of the run (shared counters: discovery too)
    yield dg.Output(None, metadata=run_metadata(summary))


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

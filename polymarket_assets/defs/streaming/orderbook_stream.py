"""``orderbook_stream_job``: one long but bounded run of the WebSocket order-book capture (what the run does:
``polymarket_assets/streaming/ws/stream_job.py``; the capture: ``polymarket_assets/streaming/ws/``)."""

from typing import Any

import dagster as dg

from polymarket_assets.reliability.executor import healing_in_process_executor
from polymarket_assets.resources import LakeResource, PolymarketApiResource
from polymarket_assets.streaming.sensor import MAX_RUNTIME_TAG, max_runtime_seconds
from polymarket_assets.streaming.ws.stream_job import (
    DEFAULT_DURATION_MINUTES,
    JOB_NAME,
    OP_NAME,
    Interrupted,
    OrderbookStreamConfig,
    build_run,
    final_report,
    heartbeat_writer,
    progress_text,
    run_day,
    run_in_thread,
    run_metadata,
)

WS_EVENTS_KEY = dg.AssetKey(["bronze", "orderbook_ws_events"])


@dg.op(
    name=OP_NAME,
    description="Capture every order-book change of the followed Polymarket tokens (sharded market channel) and Limitless "
    "CLOB markets (Socket.IO) into the raw log for a bounded time.",
    out=dg.Out(dg.Nothing),
    tags={"kind": "python"},
)
def orderbook_stream_op(context: dg.OpExecutionContext, config: OrderbookStreamConfig, polymarket_api: PolymarketApiResource, lake: LakeResource):
    log = context.log
    kwargs = build_run(config, api=polymarket_api, data_dir=lake.local_root, log=log, shipper=lake.shipper(log))

    def publish(report: dict[str, Any]) -> None:
        """Live progress on the run itself (run tags show in the UI's run list and run page while it runs)."""
        context.instance.add_run_tags(context.run_id, {"orderbook_stream/progress": progress_text(report)[:1000],
                                                       "orderbook_stream/heartbeat": str(report.get("at"))})

    beat = heartbeat_writer(lake.state, context.run_id.split("-")[0], publish)
    try:
        summary = run_in_thread(kwargs, on_heartbeat=beat, grace_seconds=config.shutdown_grace_seconds, log=log)
    except Interrupted as stopped:
        if stopped.summary is not None:
            beat(final_report(stopped.summary))
            log.info(f"orderbook_stream final metrics: {progress_text(stopped.summary)}")
        raise stopped.original from None
    beat(final_report(summary))
    metadata = run_metadata(summary)
    # the run's metrics also on the asset its raw log becomes (an observation of the day the run started)
    yield dg.AssetObservation(asset_key=WS_EVENTS_KEY, partition=run_day(summary), metadata=metadata)
    yield dg.Output(None, metadata=metadata)


@dg.job(
    name=JOB_NAME,
    description="Long-running (bounded) WebSocket order-book capture; kept alive by orderbook_stream_sensor. Every run carries "
    f"dagster/max_runtime: {max_runtime_seconds(DEFAULT_DURATION_MINUTES)} s (default 60 min + 10 min) from this job, "
    "duration + 10 min from the sensor; set it in the Launchpad for a longer hand-launched run.",
    executor_def=healing_in_process_executor,
    tags={"team": "data-platform", MAX_RUNTIME_TAG: str(max_runtime_seconds(DEFAULT_DURATION_MINUTES))},
)
def orderbook_stream_job():
    """One bounded run of the WebSocket capture (see the module docstring); bounded like ``orderbook_logger_job``."""
    orderbook_stream_op()

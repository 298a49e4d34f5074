"""The bronze jobs and their daily schedules.

``bronze_daily_schedule`` fires at 00:15 UTC and requests two runs of ``bronze_daily_job``:

* yesterday's partition of every bronze asset fetched from the APIs (run key ``bronze-<yesterday>``) — the two
  order-book compactions are not in it: ``orderbook_compaction_job`` / ``orderbook_compaction_schedule`` (00:20)
  compact the streams' files, so a deployment that does not stream never writes empty order-book days;
* today's partition of ``bronze/leaderboard`` only, i.e. today's snapshot (run key ``bronze-leaderboard-<today>``).

It starts **off** (``DefaultScheduleStatus.STOPPED``) so a fresh ``dagster dev`` never calls the public APIs
by surprise; turn it on in the UI (Automation → bronze_daily_schedule) or with
``dagster schedule start bronze_daily_schedule -m polymarket_assets``.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from polymarket_assets.bronze.asset_defaults import GROUP
from polymarket_assets.bronze.daily_runs import daily_run_requests
from polymarket_assets.bronze.partitions import DAILY_PARTITIONS

ORDERBOOK_SNAPSHOTS_KEY = dg.AssetKey(["bronze", "orderbook_snapshots"])
ORDERBOOK_WS_EVENTS_KEY = dg.AssetKey(["bronze", "orderbook_ws_events"])

bronze_daily_job = dg.define_asset_job(
    name="bronze_daily_job",
    # partitioned by DAILY_PARTITIONS, inferred from the assets; the stream compactions have their own job
    selection=dg.AssetSelection.groups(GROUP) - dg.AssetSelection.assets(ORDERBOOK_SNAPSHOTS_KEY, ORDERBOOK_WS_EVENTS_KEY),
    description="Every bronze asset fetched from the APIs for one day (or a range, as one run per range); the order-book "
    "compactions run in orderbook_compaction_job.",
)


@dg.schedule(
    name="bronze_daily_schedule",
    cron_schedule="15 0 * * *",
    execution_timezone="UTC",
    job=bronze_daily_job,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="00:15 UTC: yesterday's partition of every API bronze asset + today's leaderboard snapshot. Starts off.",
)
def bronze_daily_schedule(context: dg.ScheduleEvaluationContext):
    scheduled = context.scheduled_execution_time or dt.datetime.now(dt.timezone.utc)
    requests = daily_run_requests(scheduled)
    if not requests:
        return dg.SkipReason(f"no bronze partition exists yet for {scheduled.date()} (start date {DAILY_PARTITIONS.start.date()})")
    return requests


orderbook_compaction_job = dg.define_asset_job(
    "orderbook_compaction_job",
    selection=dg.AssetSelection.assets(ORDERBOOK_SNAPSHOTS_KEY, ORDERBOOK_WS_EVENTS_KEY),
    description="Compact one day of the order-book logger's JSONL into bronze/orderbook_snapshots and of the WebSocket "
    "raw log into bronze/orderbook_ws_events.",
)


@dg.schedule(
    name="orderbook_compaction_schedule",
    cron_schedule="20 0 * * *",
    execution_timezone="UTC",
    job=orderbook_compaction_job,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="At 00:20 UTC, compact yesterday's order-book JSONL and WebSocket raw log (both have rotated past it) into bronze.",
)
def orderbook_compaction_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    scheduled = context.scheduled_execution_time or dt.datetime.now(dt.timezone.utc)
    day = (scheduled.astimezone(dt.timezone.utc) - dt.timedelta(days=1)).date().isoformat()
    return dg.RunRequest(run_key=f"orderbook-compaction-{day}", partition_key=day)

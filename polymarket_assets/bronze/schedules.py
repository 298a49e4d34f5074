"""The bronze job and its daily schedule.

``bronze_daily_schedule`` fires at 00:15 UTC and requests two runs of ``bronze_daily_job``:

* yesterday's partition of every bronze asset (run key ``bronze-<yesterday>``);
* today's partition of ``bronze/leaderboard`` only, i.e. today's snapshot (run key ``bronze-leaderboard-<today>``).

It starts **off** (``DefaultScheduleStatus.STOPPED``) so a fresh ``dagster dev`` never calls the public APIs
by surprise; turn it on in the UI (Automation → bronze_daily_schedule) or with
``dagster schedule start bronze_daily_schedule -m polymarket_assets``.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from polymarket_assets.bronze.asset_defaults import GROUP
from polymarket_assets.bronze.partitions import DAILY_PARTITIONS, to_day

LEADERBOARD_KEY = dg.AssetKey(["bronze", "leaderboard"])

bronze_daily_job = dg.define_asset_job(
    name="bronze_daily_job",
    selection=dg.AssetSelection.groups(GROUP),  # partitioned by DAILY_PARTITIONS, inferred from the assets
    description="Every bronze asset for one day (or a range, as one run per range).",
)


def daily_run_requests(scheduled_at: dt.datetime) -> list[dg.RunRequest]:
    """The two runs the schedule asks for at ``scheduled_at`` (pure: tested without a Dagster instance)."""
    today = scheduled_at.astimezone(dt.timezone.utc).date()
    yesterday = today - dt.timedelta(days=1)
    first = to_day(DAILY_PARTITIONS.start.strftime("%Y-%m-%d"))
    requests = []
    if yesterday >= first:
        requests.append(
            dg.RunRequest(run_key=f"bronze-{yesterday.isoformat()}", partition_key=yesterday.isoformat(), tags={"bronze/scheduled": "daily"})
        )
    if today >= first:
        requests.append(
            dg.RunRequest(
                run_key=f"bronze-leaderboard-{today.isoformat()}",
                partition_key=today.isoformat(),
                asset_selection=[LEADERBOARD_KEY],
                tags={"bronze/scheduled": "leaderboard-snapshot"},
            )
        )
    return requests


@dg.schedule(
    name="bronze_daily_schedule",
    cron_schedule="15 0 * * *",
    execution_timezone="UTC",
    job=bronze_daily_job,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="00:15 UTC: yesterday's partition of every bronze asset + today's leaderboard snapshot. Starts off.",
)
def bronze_daily_schedule(context: dg.ScheduleEvaluationContext):
    scheduled = context.scheduled_execution_time or dt.datetime.now(dt.timezone.utc)
    requests = daily_run_requests(scheduled)
    if not requests:
        return dg.SkipReason(f"no bronze partition exists yet for {scheduled.date()} (start date {DAILY_PARTITIONS.start.date()})")
    return requests

"""The runs ``bronze_daily_schedule`` asks for (pure: tested without a Dagster instance)."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from polymarket_assets.bronze.partitions import DAILY_PARTITIONS, to_day

LEADERBOARD_KEY = dg.AssetKey(["bronze", "leaderboard"])


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

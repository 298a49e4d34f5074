"""Decorator arguments every bronze asset shares (key prefix, group, owners, partitions, backfill policy)."""

from __future__ import annotations

from typing import Any

import dagster as dg

from polymarket_assets.bronze.partitions import DAILY_PARTITIONS

KEY_PREFIX = "bronze"
GROUP = "bronze"
OWNERS = ["team:data-platform"]

POOL_GAMMA = "polymarket_gamma"
POOL_CLOB = "polymarket_clob"
POOL_DATA = "polymarket_data"
# The leaderboard snapshot is time-bound (the API keeps no history): its own pool, so it never queues behind a
# long trades backfill in polymarket_data. Its requests still share the Data API budgets through the limiter.
POOL_LEADERBOARD = "polymarket_leaderboard"


def bronze_asset_kwargs(*, kinds: set[str], pool: str | None, description: str, **more: Any) -> dict[str, Any]:
    """``@dg.asset(name=..., **bronze_asset_kwargs(...))``: one ``DailyPartitionsDefinition`` (UTC), range
    backfills as one run per range (``BackfillPolicy.single_run()``), files as Hive-style Parquet."""
    kwargs: dict[str, Any] = {
        "key_prefix": [KEY_PREFIX],
        "group_name": GROUP,
        "owners": OWNERS,
        "kinds": {"parquet", *kinds},
        "partitions_def": DAILY_PARTITIONS,
        "backfill_policy": dg.BackfillPolicy.single_run(),
        "description": description,
    }
    if pool is not None:
        kwargs["pool"] = pool
    kwargs.update(more)
    return kwargs

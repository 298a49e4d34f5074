"""``bronze/leaderboard``: leaderboard snapshots (day/week/month/all × PNL/VOLUME) taken on the partition day.
Only today and yesterday can be materialized (the API keeps no history): ``bronze/datasets/leaderboard.py``."""

# No `from __future__ import annotations`: Dagster reads the config/resource annotations at decoration time.

import dagster as dg
from pydantic import Field

from polymarket_assets.bronze.asset_defaults import POOL_LEADERBOARD, bronze_asset_kwargs
from polymarket_assets.bronze.config import BronzeRunConfig
from polymarket_assets.bronze.datasets.leaderboard import ASSET, LeaderboardDataset, check_days
from polymarket_assets.bronze.engine import run_dataset
from polymarket_assets.bronze.partitions import partition_days, utc_today
from polymarket_assets.resources import LakeResource, PolymarketApiResource


class LeaderboardRunConfig(BronzeRunConfig):
    max_rows_per_board: int = Field(
        default=1000,
        ge=1,
        description="Rows kept per (time_period, sort_by) board, best ranks first. `limit`, when set and smaller, wins.",
    )
    category: str = Field(default="overall", description="Leaderboard category (overall, or a Gamma category).")


@dg.asset(
    name=ASSET,
    **bronze_asset_kwargs(
        kinds={"polymarket"},
        pool=POOL_LEADERBOARD,
        description=(
            "Leaderboard snapshots taken on the partition day: the 8 boards time_period ∈ {day, week, month, all} × "
            "sort_by ∈ {PNL, VOLUME} (category `overall`), best `max_rows_per_board` ranks each, all stamped with "
            "one `snapshot_at`. Source: Data API v2 `GET /v2/leaderboard` (cursor paging). `volume` is in shares. "
            "The API keeps no history: only today (snapshot now, re-run replaces) and yesterday (only if missing; "
            "never overwritten) can be materialized; older partitions fail with an explanation. "
            "Key: (`snapshot_at`, `time_period`, `sort_by`, `rank`, `user_id`)."
        ),
    ),
)
def leaderboard(
    context: dg.AssetExecutionContext, config: LeaderboardRunConfig, polymarket_api: PolymarketApiResource, lake: LakeResource
) -> dg.MaterializeResult:
    check_days(partition_days(context), utc_today())  # before any request or checkpoint: older days cannot be taken
    dataset = LeaderboardDataset(max_rows_per_board=config.max_rows_per_board, category=config.category)
    return run_dataset(context, dataset, lake=lake, config=config, api=polymarket_api)

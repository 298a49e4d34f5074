"""``bronze/resolutions``: every market that closed on the partition day, with its Gamma resolution fields and
its Data API v2 ``/v2/resolutions`` record. How markets closed on a day are found, and what that misses:
``polymarket_assets/bronze/engine/closed_markets.py``; the rows: ``bronze/datasets/resolutions.py``."""

# No `from __future__ import annotations`: Dagster reads the config/resource annotations at decoration time.

import dagster as dg
from pydantic import Field

from polymarket_assets.bronze.asset_defaults import POOL_GAMMA, bronze_asset_kwargs
from polymarket_assets.bronze.config import BronzeRunConfig
from polymarket_assets.bronze.datasets.resolutions import ASSET, SOURCE, ResolutionsDataset
from polymarket_assets.bronze.engine import run_dataset
from polymarket_assets.bronze.engine.closed_markets import DEFAULT_LOOKBACK_DAYS
from polymarket_assets.bronze.engine.metadata import table_schema
from polymarket_assets.bronze.schemas import RESOLUTIONS
from polymarket_assets.resources import LakeResource, PolymarketApiResource


class ResolutionsRunConfig(BronzeRunConfig):
    """``BronzeRunConfig`` plus the lookup's lookback."""

    lookback_days: int = Field(
        default=DEFAULT_LOOKBACK_DAYS, ge=1, le=3650,
        description="Find markets that closed up to this many days after their nominal end date (longer: more pages).",
    )


@dg.asset(
    name=ASSET,
    **bronze_asset_kwargs(
        kinds={"polymarket"},
        pool=POOL_GAMMA,
        description=(
            "Every market whose Gamma `closedTime` falls on the partition day (UTC): closed, closedTime, UMA resolution "
            "status(es), outcomePrices, outcomes, token ids and the raw market JSON, with the condition's Data API v2 "
            "`/v2/resolutions` record (status, was_disputed, price as sent, transaction hash, last update; ≤ 20 conditions "
            "per request) and its raw records. Markets are found by one `/markets/keyset` walk per run (closed, started "
            "before the range ends, nominal end no more than `lookback_days` before it), routed by closedTime; Gamma's "
            "closed_time filters are broken (api_reference §1.7). Key: `condition_id`."
        ),
        metadata={"dagster/column_schema": table_schema(RESOLUTIONS), "key": "condition_id", "source": SOURCE},
    ),
)
def resolutions(
    context: dg.AssetExecutionContext, config: ResolutionsRunConfig, polymarket_api: PolymarketApiResource, lake: LakeResource
) -> dg.MaterializeResult:
    return run_dataset(context, ResolutionsDataset(lookback_days=config.lookback_days), lake=lake, config=config, api=polymarket_api)

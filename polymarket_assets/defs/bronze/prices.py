"""``bronze/prices``: the price-history points of a UTC day for every outcome token of the markets active that
day (CLOB ``POST /batch-prices-history``). How a range is fetched: ``bronze/datasets/prices.py``."""

# No `from __future__ import annotations`: Dagster reads the config/resource annotations at decoration time.

from typing import Optional

import dagster as dg
from pydantic import Field

from polymarket_assets.bronze.asset_defaults import POOL_CLOB, bronze_asset_kwargs
from polymarket_assets.bronze.config import BronzeRunConfig
from polymarket_assets.bronze.datasets.prices import ASSET, MAX_WINDOW_DAYS, SOURCE, PricesDataset
from polymarket_assets.bronze.engine import run_dataset
from polymarket_assets.bronze.engine.metadata import table_schema
from polymarket_assets.bronze.schemas import PRICES
from polymarket_assets.resources import LakeResource, PolymarketApiResource


class PricesRunConfig(BronzeRunConfig):
    """``BronzeRunConfig`` plus the windowing knobs."""

    window_days: int = Field(default=7, ge=1, le=MAX_WINDOW_DAYS, description="Days one request covers (≤ 15).")
    fidelity_minutes: Optional[int] = Field(
        default=None, ge=1, le=1440, description="Bucket in minutes; default: the finest the API retains for the day's age."
    )
    workers: int = Field(default=4, ge=1, le=32, description="Requests in flight at once (the shared limiter paces them).")


@dg.asset(
    name=ASSET,
    **bronze_asset_kwargs(
        kinds={"polymarket"},
        pool=POOL_CLOB,
        description=(
            "Price-history points of that UTC day for every outcome token of the markets active that day, from CLOB "
            "POST /batch-prices-history (≤ 20 tokens per call) at the finest bucket the API still retains for the "
            "day's age (the CLOB keeps 1-minute history at every age; run config fidelity_minutes asks for coarser); "
            "resolution_seconds stored."
        ),
        metadata={"dagster/column_schema": table_schema(PRICES), "key": "token_id, ts", "source": SOURCE},
    ),
)
def prices(context: dg.AssetExecutionContext, config: PricesRunConfig, polymarket_api: PolymarketApiResource, lake: LakeResource) -> dg.MaterializeResult:
    dataset = PricesDataset(window_days=config.window_days, workers=config.workers, fidelity_minutes=config.fidelity_minutes)
    return run_dataset(context, dataset, lake=lake, config=config, api=polymarket_api)

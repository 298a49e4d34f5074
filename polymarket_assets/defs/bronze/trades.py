"""``bronze/trades``: every trade executed on a UTC day in the markets active that day (Data API v2
``/v2/trades``, taker side). How a range is fetched: ``bronze/datasets/trades.py``."""

# No `from __future__ import annotations`: Dagster reads the config/resource annotations at decoration time.

import dagster as dg
from pydantic import Field

from polymarket_assets.bronze.asset_defaults import POOL_DATA, bronze_asset_kwargs
from polymarket_assets.bronze.config import BronzeRunConfig
from polymarket_assets.bronze.datasets.trades import ASSET, TradesDataset
from polymarket_assets.bronze.engine import run_dataset
from polymarket_assets.bronze.engine.metadata import table_schema
from polymarket_assets.bronze.schemas import TRADES
from polymarket_assets.resources import LakeResource, PolymarketApiResource


class TradesRunConfig(BronzeRunConfig):
    """``BronzeRunConfig`` (limit, timeout, fresh, max_quarantine_share) plus the paging knobs."""

    page_size: int = Field(default=1000, ge=1, le=10_000, description="Trades per /v2/trades page (the API's limit, ≤ 10,000).")
    workers: int = Field(
        default=4, ge=1, le=32, description="Chains fetched concurrently; the shared limiter still paces every request."
    )


@dg.asset(
    name=ASSET,
    **bronze_asset_kwargs(
        kinds={"polymarket"},
        pool=POOL_DATA,
        description=(
            "Every trade executed that UTC day in the markets active that day, from Data API GET /v2/trades "
            "(taker_only=true: each fill once, on its taker side). Dedupe key trade_key. Range backfills page "
            "/v2/trades once per batch of 20 condition ids for the whole range and split rows by day."
        ),
        metadata={"dagster/column_schema": table_schema(TRADES), "dedupe_key": "trade_key", "taker_only": True},
    ),
)
def trades(context: dg.AssetExecutionContext, config: TradesRunConfig, polymarket_api: PolymarketApiResource, lake: LakeResource) -> dg.MaterializeResult:
    dataset = TradesDataset(page_size=config.page_size, workers=config.workers)
    return run_dataset(context, dataset, lake=lake, config=config, api=polymarket_api)

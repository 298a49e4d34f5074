"""``bronze/market_tokens``: one row per outcome token of the markets in ``bronze/markets`` that day."""

# No `from __future__ import annotations`: Dagster reads the config/resource annotations at decoration time.

import dagster as dg

from polymarket_assets.bronze.asset_defaults import bronze_asset_kwargs
from polymarket_assets.bronze.config import BronzeRunConfig
from polymarket_assets.bronze.datasets import market_tokens as dataset
from polymarket_assets.bronze.engine import ObjectWalk, run_dataset
from polymarket_assets.bronze.engine.upstream import require_partitions
from polymarket_assets.bronze.partitions import partition_days
from polymarket_assets.resources import LakeResource


@dg.asset(
    name=dataset.ASSET,
    deps=[dg.AssetKey(["bronze", "markets"])],
    **bronze_asset_kwargs(
        kinds={"polymarket"},
        pool=None,
        description=(
            "One row per outcome token of every market in the same day's `bronze/markets` partition (markets "
            "whose start date falls on that day): token_id, condition_id, market_id, outcome, outcome index, "
            "price (Gamma `outcomePrices` at fetch time) and winner (only when the resolution is confirmed by "
            "closed + UMA 'resolved' + 0/1 prices, else null). No API request: derived from the markets' raw "
            "JSON. Key: `token_id`."
        ),
    ),
)
def market_tokens(context: dg.AssetExecutionContext, config: BronzeRunConfig, lake: LakeResource) -> dg.MaterializeResult:
    require_partitions(lake.bronze, dataset.UPSTREAM, partition_days(context), dataset.ASSET)
    return run_dataset(context, ObjectWalk(dataset.SPEC), lake=lake, config=config)

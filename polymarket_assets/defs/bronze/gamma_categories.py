"""``bronze/gamma_categories``: Gamma tags created that day, plus the tag links of that day's events."""

# No `from __future__ import annotations`: Dagster reads the config/resource annotations at decoration time.

import dagster as dg

from polymarket_assets.bronze.asset_defaults import POOL_GAMMA, bronze_asset_kwargs
from polymarket_assets.bronze.config import BronzeRunConfig
from polymarket_assets.bronze.datasets import gamma_categories as dataset
from polymarket_assets.bronze.engine import ObjectWalk, run_dataset
from polymarket_assets.bronze.engine.upstream import require_partitions
from polymarket_assets.bronze.partitions import partition_days
from polymarket_assets.resources import LakeResource, PolymarketApiResource


@dg.asset(
    name=dataset.ASSET,
    deps=[dg.AssetKey(["bronze", "gamma_events"])],
    **bronze_asset_kwargs(
        kinds={"polymarket"},
        pool=POOL_GAMMA,
        description=(
            "Gamma categories (tags). Two kinds of row, told apart by `record_type`: 'tag' = a tag whose "
            "`createdAt` falls on the partition day (source: Gamma `GET /tags`, all pages; the API has no date "
            "filter); 'event_tag' = a link from an event in the same day's `bronze/gamma_events` partition "
            "(events starting that day) to one of its tags, tag columns repeating the tag as embedded in the "
            "event. Key: (`record_type`, `tag_id`, `event_id`)."
        ),
    ),
)
def gamma_categories(
    context: dg.AssetExecutionContext, config: BronzeRunConfig, polymarket_api: PolymarketApiResource, lake: LakeResource
) -> dg.MaterializeResult:
    require_partitions(lake.bronze, dataset.UPSTREAM, partition_days(context), dataset.ASSET)
    return run_dataset(context, ObjectWalk(dataset.SPEC), lake=lake, config=config, api=polymarket_api)

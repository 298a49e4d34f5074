"""``bronze/gamma_events``: Gamma events whose start date falls on the partition day (UTC)."""

# No `from __future__ import annotations`: Dagster reads the config/resource annotations at decoration time.

import dagster as dg

from polymarket_assets.bronze.asset_defaults import POOL_GAMMA, bronze_asset_kwargs
from polymarket_assets.bronze.config import BronzeRunConfig
from polymarket_assets.bronze.datasets import gamma_events as dataset
from polymarket_assets.bronze.engine import ObjectWalk, run_dataset
from polymarket_assets.resources import LakeResource, PolymarketApiResource


@dg.asset(
    name=dataset.ASSET,
    **bronze_asset_kwargs(
        kinds={"polymarket"},
        pool=POOL_GAMMA,
        description=(
            "Gamma events whose `startDate` falls on the partition day (UTC), one row per event, with their tag "
            "ids/slugs and market ids and the raw event JSON. Source: Gamma `GET /events/keyset` filtered by "
            "`start_date_min`/`start_date_max` (legacy `/events` offset paging as fallback). Key: `event_id`."
        ),
    ),
)
def gamma_events(
    context: dg.AssetExecutionContext, config: BronzeRunConfig, polymarket_api: PolymarketApiResource, lake: LakeResource
) -> dg.MaterializeResult:
    return run_dataset(context, ObjectWalk(dataset.SPEC), lake=lake, config=config, api=polymarket_api)

"""``bronze/orderbook_snapshots``: one day of the order-book logger's JSONL compacted into one Parquet partition
(how: ``polymarket_assets/bronze/datasets/orderbook_snapshots.py``)."""

import dagster as dg

from polymarket_assets.bronze.asset_defaults import bronze_asset_kwargs
from polymarket_assets.bronze.datasets.orderbook_snapshots import ASSET_NAME, compact_days
from polymarket_assets.bronze.partitions import partition_days
from polymarket_assets.resources import LakeResource


@dg.asset(
    name=ASSET_NAME,
    **bronze_asset_kwargs(
        kinds={"parquet"},
        pool=None,
        description=(
            "Order-book snapshots written by orderbook_logger_job (JSONL under stream/<venue>/orderbooks/date=…/), "
            "compacted per UTC day of received_ts into one Parquet partition. Torn final lines are skipped and counted."
        ),
    ),
)
def orderbook_snapshots(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    days = [d.isoformat() for d in partition_days(context)]
    return dg.MaterializeResult(metadata=compact_days(lake.stream_lake, lake.bronze, days, context.log))

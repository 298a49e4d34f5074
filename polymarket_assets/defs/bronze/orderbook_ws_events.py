"""``bronze/orderbook_ws_events``: one UTC day of the WebSocket raw log (both venues) compacted into one sorted
Parquet partition (how: ``polymarket_assets/bronze/datasets/orderbook_ws_events.py``)."""

import dagster as dg

from polymarket_assets.bronze.asset_defaults import bronze_asset_kwargs
from polymarket_assets.bronze.datasets.orderbook_ws_events import ASSET_NAME, compact_days
from polymarket_assets.bronze.partitions import partition_days
from polymarket_assets.resources import LakeResource


@dg.asset(
    name=ASSET_NAME,
    **bronze_asset_kwargs(
        kinds={"duckdb"},
        pool=None,
        description=(
            "Every input of the WebSocket order-book machines written by orderbook_stream_job (raw log under "
            "stream/<venue>_ws/raw/date=…/), one row per level change, book-snapshot level, trade print, tick-size change, "
            "resolution and control event (subscribe, stale, resync, …), sorted by (market, asset_id, ts_received), zstd. "
            "A torn last line is skipped and counted; malformed frames and unknown event types are kept as rows and counted."
        ),
    ),
)
def orderbook_ws_events(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    days = [d.isoformat() for d in partition_days(context)]
    return dg.MaterializeResult(metadata=compact_days(lake.root, days, context.log))

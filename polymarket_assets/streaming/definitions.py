"""Streaming layer definitions (no resources: the top-level ``polymarket_assets.definitions`` binds them).

Resource keys used: ``polymarket_api``, ``lake``. The order-book silver tables are silver models
(``polymarket_assets.silver.orderbook_models``), defined with the rest of silver.
"""

import dagster as dg

from polymarket_assets.streaming.assets import bronze_orderbook_snapshots, orderbook_compaction_job, orderbook_compaction_schedule
from polymarket_assets.streaming.job import orderbook_logger_job
from polymarket_assets.streaming.sensor import orderbook_logger_sensor

defs = dg.Definitions(
    assets=[bronze_orderbook_snapshots],
    jobs=[orderbook_logger_job, orderbook_compaction_job],
    sensors=[orderbook_logger_sensor],
    schedules=[orderbook_compaction_schedule],
)

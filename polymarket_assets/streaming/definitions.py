"""Streaming layer definitions (no resources: the top-level ``polymarket_assets.definitions`` binds them).

Resource keys used: ``polymarket_api``, ``lake``, ``duckdb``.
"""

import dagster as dg

from polymarket_assets.streaming.assets import bronze_orderbook_snapshots, orderbook_compaction_job, orderbook_compaction_schedule
from polymarket_assets.streaming.job import orderbook_logger_job
from polymarket_assets.streaming.sensor import orderbook_logger_sensor
from polymarket_assets.streaming.silver_assets import (
    orderbook_snapshot_fact,
    orderbook_top_of_book_1m,
)

defs = dg.Definitions(
    assets=[bronze_orderbook_snapshots, orderbook_snapshot_fact, orderbook_top_of_book_1m],
    jobs=[orderbook_logger_job, orderbook_compaction_job],
    sensors=[orderbook_logger_sensor],
    schedules=[orderbook_compaction_schedule],
)

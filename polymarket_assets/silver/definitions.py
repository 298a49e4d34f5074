"""The silver layer's Dagster definitions (no resources: the code location binds ``duckdb`` and ``lake``)."""

import dagster as dg

from polymarket_assets.silver.assets import SILVER_ASSETS, SILVER_CHECKS
from polymarket_assets.silver.automation import (
    silver_automation_sensor,
    silver_bronze_files_sensor,
)

defs = dg.Definitions(
    assets=SILVER_ASSETS,
    asset_checks=SILVER_CHECKS,
    sensors=[silver_automation_sensor, silver_bronze_files_sensor],
)

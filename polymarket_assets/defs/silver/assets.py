"""One asset per silver model (``polymarket_assets/silver/models.py``, ``orderbook_models.py``), built by
``build_silver_asset``, and the checks against other silver tables as their own check steps."""

import dagster as dg

from polymarket_assets.silver.asset_builder import build_cross_table_check, build_silver_asset
from polymarket_assets.silver.checks import CHECKS
from polymarket_assets.silver.models import MODELS

silver_assets: list[dg.AssetsDefinition] = [build_silver_asset(m) for m in MODELS.values()]
silver_cross_table_checks: list[dg.AssetChecksDefinition] = [
    build_cross_table_check(m, c) for m in MODELS.values() for c in CHECKS[m.name] if c.phase == "after"
]

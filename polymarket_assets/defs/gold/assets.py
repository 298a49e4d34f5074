"""One asset per gold model (``polymarket_assets/gold/models.py``), built by the silver framework's
``build_model_asset``, with the gold plots drawn after each load (``polymarket_assets/gold/plots.py``)."""

import dagster as dg

from polymarket_assets.gold.models import GOLD_MODELS
from polymarket_assets.gold.plots import render_plots
from polymarket_assets.silver.asset_builder import build_model_asset, model_key
from polymarket_assets.silver.models import MODELS as SILVER_MODELS

# what an optional source may depend on: the tables some definition builds (silver/orderbook_bbo once it exists)
KNOWN_TABLES = {model_key(m) for m in (*SILVER_MODELS.values(), *GOLD_MODELS.values())}

gold_assets: list[dg.AssetsDefinition] = [
    build_model_asset(m, known_sources=KNOWN_TABLES, render_plots=render_plots) for m in GOLD_MODELS.values()
]
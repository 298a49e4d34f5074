"""The bronze layer's definitions: its assets, the job and the daily schedule. Resources are bound once by
``polymarket_assets/definitions.py``. A new bronze asset module is added to ``ASSET_MODULES``."""

from __future__ import annotations

import dagster as dg

from polymarket_assets.bronze import gamma_categories, gamma_events, leaderboard, market_tokens, markets, prices, trades
from polymarket_assets.bronze.schedules import bronze_daily_job, bronze_daily_schedule

ASSET_MODULES = [gamma_events, gamma_categories, markets, market_tokens, trades, prices, leaderboard]

bronze_assets = dg.load_assets_from_modules(ASSET_MODULES)

defs = dg.Definitions(assets=bronze_assets, jobs=[bronze_daily_job], schedules=[bronze_daily_schedule])

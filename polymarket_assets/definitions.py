"""The code location: every layer's definitions merged, with the shared resources bound once."""

from __future__ import annotations

import warnings

import dagster as dg

# BackfillPolicy, pools and sensor owners are marked beta in Dagster 1.13; we rely on them on purpose, and
# the warning would otherwise print once per asset on every load of the code location.
warnings.filterwarnings("ignore", category=dg.BetaWarning)

from polymarket_assets.bronze.definitions import defs as bronze_defs  # noqa: E402
from polymarket_assets.resources import default_resources  # noqa: E402
from polymarket_assets.silver.definitions import defs as silver_defs  # noqa: E402
from polymarket_assets.streaming.definitions import defs as streaming_defs  # noqa: E402

defs = dg.Definitions.merge(bronze_defs, streaming_defs, silver_defs, dg.Definitions(resources=default_resources()))

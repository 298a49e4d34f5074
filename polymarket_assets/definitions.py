"""The code location: every layer's definitions merged, with the shared resources bound once."""

from __future__ import annotations

import warnings

import dagster as dg

# BackfillPolicy, pools and sensor owners are marked beta in Dagster 1.13; we rely on them on purpose, and
# the warning would otherwise print once per asset on every load of the code location.
warnings.filterwarnings("ignore", category=dg.BetaWarning)

# Modules, not their ``defs``: Dagster refuses a module with more than one Definitions object at its top level.
from polymarket_assets.bronze import definitions as bronze  # noqa: E402
from polymarket_assets.resources import default_resources  # noqa: E402
from polymarket_assets.silver import definitions as silver  # noqa: E402
from polymarket_assets.streaming import definitions as streaming  # noqa: E402

defs = dg.Definitions.merge(bronze.defs, streaming.defs, silver.defs, dg.Definitions(resources=default_resources()))

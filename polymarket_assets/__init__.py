"""polymarket-assets: a Dagster code location for prediction-market data.

``import polymarket_assets.clients`` stays free of Dagster. The code location (``polymarket_assets.definitions``:
every definition under ``polymarket_assets/defs/``, autoloaded) is exposed lazily as
``polymarket_assets.code_location`` so that ``dagster ... -m polymarket_assets`` finds it without the API
clients paying for a Dagster import. (``polymarket_assets.defs`` is the defs folder itself.)
"""

from typing import Any

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name == "code_location":
        from polymarket_assets.definitions import defs

        return defs
    raise AttributeError(f"module 'polymarket_assets' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals().keys(), "code_location"])

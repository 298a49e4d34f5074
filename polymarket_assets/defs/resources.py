"""The resources every definition uses, bound once for the code location."""

import dagster as dg

from polymarket_assets.resources import default_resources


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources=default_resources())

"""The code location: every layer's definitions merged, with the shared resources bound once."""

from __future__ import annotations

import importlib

import dagster as dg

from polymarket_assets.resources import default_resources

# TEMPORARY while layers land in parallel: import each layer that exists. Replaced by explicit imports.
_LAYERS = ("polymarket_assets.bronze.definitions", "polymarket_assets.streaming.definitions", "polymarket_assets.silver.definitions")


def _layer_defs() -> list[dg.Definitions]:
    found = []
    for name in _LAYERS:
        try:
            found.append(importlib.import_module(name).defs)
        except ModuleNotFoundError as exc:
            if not exc.name or not name.startswith(exc.name):
                raise
    return found


defs = dg.Definitions.merge(*_layer_defs(), dg.Definitions(resources=default_resources()))

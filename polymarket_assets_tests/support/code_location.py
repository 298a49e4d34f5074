"""The code location's ``Definitions``, built once per test process (``polymarket_assets.definitions.defs()``)."""

from __future__ import annotations

import functools

import dagster as dg


@functools.cache
def code_location() -> dg.Definitions:
    from polymarket_assets.definitions import defs

    return defs()

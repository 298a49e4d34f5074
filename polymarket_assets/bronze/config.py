"""Run config shared by every bronze asset (the old CLI's options)."""

from __future__ import annotations

from typing import Optional

import dagster as dg
from pydantic import Field


class BronzeRunConfig(dg.Config):
    limit: Optional[int] = Field(
        default=None,
        ge=1,
        description="At most N markets (for quick trials). Event/market assets stop after N objects per run; "
        "trades/prices use at most N active markets. Partitions written under a limit are marked "
        "'limited' in their metadata.",
    )
    timeout: Optional[float] = Field(
        default=None,
        gt=0,
        description="Seconds per HTTP request for this run (overrides the polymarket_api read timeout).",
    )
    fresh: bool = Field(
        default=False,
        description="Ignore range-backfill checkpoints and rewrite every day of the range.",
    )
    max_quarantine_share: float = Field(
        default=0.05,
        ge=0.0,
        le=1.0,
        description="Fail when more than this share of fetched objects/pages goes to quarantine.",
    )

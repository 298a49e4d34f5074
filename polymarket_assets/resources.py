"""Dagster resources: the shared rate limiter, the API clients built on it, and the data lake paths.

Resource keys used throughout the code location:

* ``rate_limiter`` — :class:`RateLimiterResource` (budgets configurable from run config YAML)
* ``polymarket_api`` — :class:`PolymarketApiResource` (base URLs, timeouts, retries; builds the clients)
* ``lake`` — :class:`LakeResource` (where bronze/stream/state/quarantine live)
* ``duckdb`` — ``dagster_duckdb.DuckDBResource`` (silver; writes serialised by the ``duckdb`` pool)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional

import dagster as dg
from pydantic import Field, PrivateAttr

from polymarket_assets import settings
from polymarket_assets.clients.http import Endpoint, HttpOptions, HttpTransport, TransportStats


class RateLimiterResource(dg.ConfigurableResource):
    """One sliding-window rate limiter shared by every thread and process on this machine.

    Its state is a SQLite file (``POLYMARKET_RATELIMIT_DB``, default ``<data dir>/_state/ratelimit.sqlite``),
    so concurrent runs, backfills and the order-book logger together stay within each budget.
    """

    db_path: Optional[str] = Field(default=None, description="SQLite file for the shared limiter state.")
    budgets: dict[str, int] = Field(
        default_factory=dict,
        description="Requests per window for named budgets, e.g. {'data:/trades': 150}. Names: see README.",
    )
    window_seconds: dict[str, float] = Field(
        default_factory=dict,
        description="Window length in seconds for named budgets (default 10 s, the published window).",
    )
    safety_margin_ms: int = Field(default=50, description="Extra window length (ms) for clock rounding; permits are re-stamped when each request completes.")

    _limiter: Any = PrivateAttr(default=None)
    _pid: Optional[int] = PrivateAttr(default=None)

    def get_limiter(self) -> Any:
        from polymarket_assets.clients.budgets import merge_budgets
        from polymarket_assets.clients.ratelimit import SharedRateLimiter

        if self._limiter is None or self._pid != os.getpid():
            overrides: dict[str, dict[str, float]] = {name: {"limit": limit} for name, limit in self.budgets.items()}
            for name, seconds in self.window_seconds.items():
                overrides.setdefault(name, {})["window_seconds"] = seconds
            self._limiter = SharedRateLimiter(
                settings.ratelimit_db_path(self.db_path),
                merge_budgets(overrides),
                safety_ms=self.safety_margin_ms,
            )
            self._pid = os.getpid()
        return self._limiter


class PolymarketApiResource(dg.ConfigurableResource):
    """Builds the pure API clients over one transport that shares the rate limiter and counters.

    A base URL left empty here comes from its environment variable, then the public default.
    """

    rate_limiter: RateLimiterResource
    gamma_url: Optional[str] = Field(default=None, description=f"Overrides {settings.GAMMA_URL.env}.")
    clob_url: Optional[str] = Field(default=None, description=f"Overrides {settings.CLOB_URL.env}.")
    data_url: Optional[str] = Field(default=None, description=f"Overrides {settings.DATA_URL.env}.")
    limitless_url: Optional[str] = Field(default=None, description=f"Overrides {settings.LIMITLESS_URL.env}.")
    user_agent: Optional[str] = Field(default=None, description=f"Overrides {settings.USER_AGENT.env}.")
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_retries: int = 5
    backoff_factor: float = 0.5
    limiter_timeout: float = Field(default=900.0, description="Longest wait for a rate-limit permit (seconds).")

    _transport: Optional[HttpTransport] = PrivateAttr(default=None)
    _pid: Optional[int] = PrivateAttr(default=None)

    @property
    def transport(self) -> HttpTransport:
        if self._transport is None or self._pid != os.getpid():
            options = HttpOptions(
                user_agent=settings.user_agent(self.user_agent),
                connect_timeout=self.connect_timeout,
                read_timeout=self.read_timeout,
                max_retries=self.max_retries,
                backoff_factor=self.backoff_factor,
                limiter_timeout=self.limiter_timeout,
            )
            self._transport = HttpTransport(options, self.rate_limiter.get_limiter(), TransportStats())
            self._pid = os.getpid()
        return self._transport

    @property
    def stats(self) -> TransportStats:
        return self.transport.stats

    def endpoint(self, api: str) -> Endpoint:
        field, setting = {
            "gamma": ("gamma_url", settings.GAMMA_URL),
            "clob": ("clob_url", settings.CLOB_URL),
            "data": ("data_url", settings.DATA_URL),
            "limitless": ("limitless_url", settings.LIMITLESS_URL),
        }[api]
        override = getattr(self, field)
        source = f"resource config polymarket_api.{field}"
        base_url = settings.resolve_base_url(setting, override, source=source)
        if override:
            origin = source
        elif os.environ.get(setting.env, "").strip():
            origin = f"environment variable {setting.env}"
        else:
            origin = f"the default (set {setting.env} to change it)"
        return Endpoint(self.transport, api, base_url, origin)

    def gamma(self) -> Any:
        from polymarket_assets.clients.gamma import GammaClient

        return GammaClient(self.endpoint("gamma"))

    def clob(self) -> Any:
        from polymarket_assets.clients.clob import ClobClient

        return ClobClient(self.endpoint("clob"))

    def data(self) -> Any:
        from polymarket_assets.clients.data_api import DataApiClient

        return DataApiClient(self.endpoint("data"))

    def limitless(self) -> Any:
        from polymarket_assets.clients.limitless import LimitlessClient

        return LimitlessClient(self.endpoint("limitless"))


class LakeResource(dg.ConfigurableResource):
    """Where files live. ``data_dir`` empty → ``POLYMARKET_DATA_DIR`` → ``./data``."""

    data_dir: Optional[str] = Field(default=None, description=f"Overrides {settings.DATA_DIR.env}.")

    @property
    def root(self) -> Path:
        return settings.data_dir(self.data_dir)

    @property
    def bronze(self) -> Path:
        return self.root / "bronze"

    @property
    def quarantine(self) -> Path:
        return self.root / "bronze" / "_quarantine"

    @property
    def stream(self) -> Path:
        return self.root / "stream"

    @property
    def state(self) -> Path:
        return settings.state_dir(self.root)


def default_resources() -> dict[str, Any]:
    """The resources the code location binds. Tests build their own with tmp paths and local URLs."""
    from dagster_duckdb import DuckDBResource

    limiter = RateLimiterResource()
    return {
        "rate_limiter": limiter,
        "polymarket_api": PolymarketApiResource(rate_limiter=limiter),
        "lake": LakeResource(),
        "duckdb": DuckDBResource(database=str(settings.duckdb_path(create=False))),
    }

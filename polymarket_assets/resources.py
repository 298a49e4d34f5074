"""Dagster resources: the shared rate limiter, the API clients built on it, and the data lake paths.

Resource keys used throughout the code location:

* ``rate_limiter`` — :class:`RateLimiterResource` (budgets configurable from run config YAML)
* ``polymarket_api`` — :class:`PolymarketApiResource` (base URLs, timeouts, retries; ``.clients()`` builds them)
* ``lake`` — :class:`LakeResource` (where bronze/stream/state/quarantine live)
* ``duckdb`` — ``dagster_duckdb.DuckDBResource`` (silver; writes serialised by the ``duckdb`` pool)
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, Optional

import dagster as dg
from pydantic import Field, PrivateAttr

from polymarket_assets import settings
from polymarket_assets.clients.api_clients import ApiClients
from polymarket_assets.clients.guarded_endpoint import BadBodyHook
from polymarket_assets.clients.http import HttpOptions, HttpTransport, NoRateLimit, TransportStats


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
    """Builds the pure API clients (:meth:`clients`) over transports that share the rate limiter and counters.

    A base URL left empty here comes from its environment variable, then the public default. The two
    WebSocket URLs (:meth:`ws_url`) live here too, beside the REST base URLs of the same venues, so one resource
    config points the whole platform (REST and streams) at other endpoints.
    """

    rate_limiter: RateLimiterResource
    gamma_url: Optional[str] = Field(default=None, description=f"Overrides {settings.GAMMA_URL.env}.")
    clob_url: Optional[str] = Field(default=None, description=f"Overrides {settings.CLOB_URL.env}.")
    data_url: Optional[str] = Field(default=None, description=f"Overrides {settings.DATA_URL.env}.")
    limitless_url: Optional[str] = Field(default=None, description=f"Overrides {settings.LIMITLESS_URL.env}.")
    polymarket_ws_url: Optional[str] = Field(default=None, description=f"Overrides {settings.POLYMARKET_WS_URL.env} (market-channel WebSocket).")
    limitless_ws_url: Optional[str] = Field(default=None, description=f"Overrides {settings.LIMITLESS_WS_URL.env} (Socket.IO).")
    user_agent: Optional[str] = Field(default=None, description=f"Overrides {settings.USER_AGENT.env}.")
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_retries: int = 5
    backoff_factor: float = 0.5
    limiter_timeout: float = Field(default=900.0, description="Longest wait for a rate-limit permit (seconds).")

    _transport: Optional[HttpTransport] = PrivateAttr(default=None)
    _variants: dict[tuple[Any, ...], HttpTransport] = PrivateAttr(default_factory=dict)
    _pid: Optional[int] = PrivateAttr(default=None)

    @property
    def transport(self) -> HttpTransport:
        """This process's transport with the resource's own options (shared limiter, shared counters)."""
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
            self._variants = {}
            self._pid = os.getpid()
        return self._transport

    @property
    def stats(self) -> TransportStats:
        """The counters every client of this resource adds to, whatever its options."""
        return self.transport.stats

    def clients(
        self,
        *,
        timeout: Optional[float] = None,
        retries: Optional[int] = None,
        limiter_timeout: Optional[float] = None,
        rate_limited: bool = True,
        on_bad_body: Optional[BadBodyHook] = None,
    ) -> ApiClients:
        """The typed clients (``.gamma``, ``.clob``, ``.data``, ``.limitless``) — the one way to build them.

        Every variant counts into :attr:`stats` and, unless ``rate_limited=False``, takes its permits from the
        shared rate limiter. ``timeout``: read timeout of each request (the connect timeout is capped by it),
        e.g. a bronze run's config ``timeout``; ``retries``: transport retries instead of ``max_retries``
        (``0`` for the order-book logger's hot path, whose poller backs off by itself); ``limiter_timeout``:
        longest wait for a permit. ``on_bad_body(body, reason, url)`` guards every endpoint: a 2xx body that
        is not JSON goes to it (bronze quarantines it) and the request is sent again.
        """
        return ApiClients(
            self._transport_for(timeout, retries, limiter_timeout, rate_limited), self._base_url, on_bad_body=on_bad_body
        )

    def _transport_for(
        self, timeout: Optional[float], retries: Optional[int], limiter_timeout: Optional[float], rate_limited: bool
    ) -> HttpTransport:
        base = self.transport
        key = (timeout, retries, limiter_timeout, rate_limited)
        if key == (None, None, None, True):
            return base
        variant = self._variants.get(key)
        if variant is None:
            options = base.options
            if timeout is not None:
                options = dataclasses.replace(options, read_timeout=timeout, connect_timeout=min(options.connect_timeout, timeout))
            if retries is not None:
                options = dataclasses.replace(options, max_retries=retries)
            if limiter_timeout is not None:
                options = dataclasses.replace(options, limiter_timeout=limiter_timeout)
            limiter = base.limiter if rate_limited else NoRateLimit()
            variant = self._variants.setdefault(key, HttpTransport(options, limiter, base.stats))
        return variant

    def _base_url(self, api: str) -> tuple[str, str]:
        """``(base URL, where it came from)`` of one API family; the origin is named in every error message."""
        field, setting = {
            "gamma": ("gamma_url", settings.GAMMA_URL),
            "clob": ("clob_url", settings.CLOB_URL),
            "data": ("data_url", settings.DATA_URL),
            "limitless": ("limitless_url", settings.LIMITLESS_URL),
        }[api]
        override = getattr(self, field)
        source = f"resource config polymarket_api.{field}"
        base_url = settings.resolve_base_url(setting, override, source=source)
        return base_url, settings.value_origin(setting, override, source=source)

    def ws_url(self, venue: str) -> tuple[str, str]:
        """``(ws/wss URL, where it came from)`` of a venue's WebSocket feed (``polymarket`` | ``limitless``)."""
        field, setting = {
            "polymarket": ("polymarket_ws_url", settings.POLYMARKET_WS_URL),
            "limitless": ("limitless_ws_url", settings.LIMITLESS_WS_URL),
        }[venue]
        return settings.resolve_ws_url(setting, getattr(self, field), source=f"resource config polymarket_api.{field}")


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

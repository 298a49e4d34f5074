"""Dagster resources: the shared rate limiter, the API clients built on it, and the data lake paths.

Resource keys used throughout the code location:

* ``rate_limiter`` — :class:`RateLimiterResource` (budgets configurable from run config YAML)
* ``polymarket_api`` — :class:`PolymarketApiResource` (base URLs, timeouts, retries; ``.clients()`` builds them)
* ``lake`` — :class:`LakeResource` (the lake, local or S3: bronze, stream, quarantine, checkpoints; local state)
* ``duckdb`` — ``dagster_duckdb.DuckDBResource`` (silver; writes serialised by the ``duckdb`` pool)
* ``clock`` — the :class:`~polymarket_assets.streaming.clock.Clock` the order-book logger polls by (the system
  clock; tests pass a fake one)
"""

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
from polymarket_assets.lake import Lake, LakePath, open_lake


class RateLimiterResource(dg.ConfigurableResource):
    """One sliding-window rate limiter shared by every thread and process — on this machine, or on every machine.

    Its state is in the store ``POLYMARKET_RATELIMIT_URL`` names: a SQLite file (default
    ``<local dir>/_state/ratelimit.sqlite``: every process of one machine), or Postgres / Redis (every process of
    every machine), so concurrent runs, backfills and the order-book logger together stay within each budget.
    The store is reached when the first client is built (at the start of a step): an unusable one fails there,
    naming the setting and the URL with its password masked.
    """

    url: Optional[str] = Field(
        default=None, description="Overrides POLYMARKET_RATELIMIT_URL: sqlite:///<file>, postgresql://… or redis://…."
    )
    db_path: Optional[str] = Field(default=None, description="A SQLite file for the limiter state (the same as url: sqlite:///<file>).")
    budgets: dict[str, int] = Field(
        default_factory=dict,
        description="Requests per window for named budgets, e.g. {'data:/trades': 150}. Names: see README. "
        "Applied over POLYMARKET_RATELIMIT_BUDGETS.",
    )
    window_seconds: dict[str, float] = Field(
        default_factory=dict,
        description="Window length in seconds for named budgets (default 10 s, the published window).",
    )
    safety_margin_ms: int = Field(default=50, description="Extra window length (ms) for clock rounding; permits are re-stamped when each request completes.")

    _limiter: Any = PrivateAttr(default=None)
    _pid: Optional[int] = PrivateAttr(default=None)

    def effective_budgets(self) -> dict[str, Any]:
        """The published budgets, then ``POLYMARKET_RATELIMIT_BUDGETS``, then this resource's config."""
        from polymarket_assets.clients.budgets import merge_budgets

        try:
            base = merge_budgets(settings.ratelimit_budgets())
        except ValueError as exc:
            raise settings.SettingError(f"{settings.RATELIMIT_BUDGETS.env}: {exc}") from exc
        overrides: dict[str, dict[str, float]] = {name: {"limit": limit} for name, limit in self.budgets.items()}
        for name, seconds in self.window_seconds.items():
            overrides.setdefault(name, {})["window_seconds"] = seconds
        return merge_budgets(overrides, base=base)

    def get_limiter(self) -> Any:
        """This process's limiter, its store reached once (``check``) when it is built."""
        from polymarket_assets.clients.ratelimit import SharedRateLimiter

        if self._limiter is None or self._pid != os.getpid():
            url, origin = settings.ratelimit_url(self.url, db_override=self.db_path)
            limiter = SharedRateLimiter(url, self.effective_budgets(), safety_ms=self.safety_margin_ms, origin=origin)
            limiter.check()
            self._limiter = limiter
            self._pid = os.getpid()
        return self._limiter


class PolymarketApiResource(dg.ConfigurableResource):
    """Builds the pure API clients (:meth:`clients`) over transports that share the rate limiter and counters.

    A base URL left empty here comes from its environment variable, then the public default. The two
    WebSocket URLs (:meth:`ws_url`) live here too, beside the REST base URLs of the same venues, so one resource
    config points the whole platform (REST and streams) at other endpoints.
    """

    # (this module has no ``from __future__ import annotations``: Dagster reads this annotation at class creation
    # to accept the launch-time-configured limiter of default_resources, a PartialResource, here)
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
    """Where files live (``polymarket_assets.lake``): the lake — a local directory or ``s3://bucket/prefix`` —
    and this machine's own directory. ``data_dir`` empty → ``POLYMARKET_DATA_DIR`` → ``./data``; ``local_dir``
    empty → ``POLYMARKET_LOCAL_DIR`` → the lake root if local, else ``./data``.

    In the lake (shared by every machine): ``bronze``, ``quarantine``, ``stream_lake`` (shipped stream files),
    ``state`` (range checkpoints, the logger's heartbeat). On this machine: ``stream`` (the loggers' live
    files), ``local_state`` (SQLite limiter, active-instruments snapshot), upload staging. For a local lake the
    two coincide: ``stream`` is the lake's own stream directory and nothing is shipped.
    """

    data_dir: Optional[str] = Field(
        default=None, description=f"Overrides {settings.DATA_DIR.env}: a local directory or s3://bucket/prefix."
    )
    local_dir: Optional[str] = Field(default=None, description=f"Overrides {settings.LOCAL_DIR.env}.")

    @property
    def lake(self) -> Lake:
        """The lake, opened (and for S3 checked: endpoint, credentials, bucket) on first use in a process."""
        source = "resource config lake.data_dir" if self.data_dir else None
        return open_lake(self.data_dir, local_dir=self.local_dir, source=source)

    @property
    def root(self) -> LakePath:
        return self.lake.root

    @property
    def bronze(self) -> LakePath:
        return self.root / "bronze"

    @property
    def quarantine(self) -> LakePath:
        return self.root / "bronze" / "_quarantine"

    @property
    def state(self) -> LakePath:
        """Shared state in the lake: ``checkpoints/``, the order-book logger's heartbeat."""
        return self.root / "_state"

    @property
    def stream_lake(self) -> LakePath:
        """Where the stream files are in the lake (what the compactions read)."""
        return self.root / "stream"

    @property
    def local_root(self) -> Path:
        return settings.local_dir(self.local_dir, lake_override=self.data_dir)

    @property
    def local_state(self) -> Path:
        return settings.local_state_dir(self.local_root)

    @property
    def stream(self) -> Path:
        """The loggers' live files on this machine (a local lake: its own ``stream/``)."""
        lake = self.lake
        return Path(self.stream_lake.fs_path) if not lake.remote else self.local_root / "stream"

    def shipper(self, log: Any = None) -> Any:
        """A :class:`~polymarket_assets.lake.shipping.StreamShipper` from :attr:`stream` to :attr:`stream_lake`,
        or ``None`` for a local lake (the live files are already in it)."""
        from polymarket_assets.lake.shipping import shipper_for

        return shipper_for(self.lake, local_root=self.stream, lake_root=self.stream_lake, log=log)


def default_resources() -> dict[str, Any]:
    """The resources the code location binds. Tests build their own with tmp paths and local URLs."""
    from dagster_duckdb import DuckDBResource

    from polymarket_assets.streaming.clock import SYSTEM_CLOCK

    # configured at launch: a run config for rate_limiter (README "Settings") reaches the limiter polymarket_api uses too;
    # a plain nested instance would keep its definition-time config and ignore it
    limiter = RateLimiterResource.configure_at_launch()
    return {
        "rate_limiter": limiter,
        "polymarket_api": PolymarketApiResource(rate_limiter=limiter),
        "lake": LakeResource(),
        "duckdb": DuckDBResource(database=str(settings.duckdb_path(create=False))),
        "clock": SYSTEM_CLOCK,
    }

"""API clients for one bronze run: the shared transport, optionally with the run's ``timeout``.

``RunApi(polymarket_api, config.timeout)`` gives ``.gamma()``, ``.clob()``, ``.data()`` whose requests all go
through the shared rate limiter and count into ``polymarket_api.stats`` (so ``stats_delta`` reports them).
When the run config sets ``timeout``, a sibling transport with that read timeout is used: same limiter,
same counters, different timeout.

Bronze clients are usually *guarded*: pass ``on_bad_body`` and undecodable 2xx bodies are handed to it
(quarantined) and the same request is sent again (``GuardedEndpoint``).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Optional

from polymarket_assets.bronze.guarded_endpoint import BadBodyHook, GuardedEndpoint
from polymarket_assets.clients.clob import ClobClient
from polymarket_assets.clients.data_api import DataApiClient
from polymarket_assets.clients.gamma import GammaClient
from polymarket_assets.clients.http import Endpoint, HttpTransport, TransportStats


class RunApi:
    def __init__(self, polymarket_api: Any, timeout: Optional[float] = None):
        self.resource = polymarket_api
        base = polymarket_api.transport
        if timeout is not None:
            options = dataclasses.replace(base.options, read_timeout=timeout, connect_timeout=min(base.options.connect_timeout, timeout))
            self.transport = HttpTransport(options, base.limiter, base.stats)
        else:
            self.transport = base

    @property
    def stats(self) -> TransportStats:
        """The shared counters (``.snapshot()``, ``.since(before)``) of every request this process made."""
        return self.transport.stats

    def endpoint(self, api: str, on_bad_body: BadBodyHook | None = None) -> Endpoint:
        """The resource's endpoint of ``api`` on this run's transport; with ``on_bad_body``, a ``GuardedEndpoint``."""
        shared = self.resource.endpoint(api)
        endpoint = Endpoint(self.transport, shared.api, shared.base_url, shared.setting)
        return endpoint if on_bad_body is None else GuardedEndpoint(endpoint, on_bad_body)

    def gamma(self, on_bad_body: BadBodyHook | None = None) -> GammaClient:
        return GammaClient(self.endpoint("gamma", on_bad_body))

    def clob(self, on_bad_body: BadBodyHook | None = None) -> ClobClient:
        return ClobClient(self.endpoint("clob", on_bad_body))

    def data(self, on_bad_body: BadBodyHook | None = None) -> DataApiClient:
        return DataApiClient(self.endpoint("data", on_bad_body))

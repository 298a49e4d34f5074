"""API clients for one bronze run: the shared transport, optionally with the run's ``timeout``.

``RunApi(polymarket_api, config)`` gives ``.gamma()``, ``.clob()``, ``.data()`` whose requests all go
through the shared rate limiter and count into ``polymarket_api.stats`` (so ``stats_delta`` reports them).
When the run config sets ``timeout``, a sibling transport with that read timeout is used: same limiter,
same counters, different timeout.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Optional

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

    def endpoint(self, api: str) -> Endpoint:
        shared = self.resource.endpoint(api)
        return Endpoint(self.transport, shared.api, shared.base_url, shared.setting)

    def gamma(self) -> Any:
        from polymarket_assets.clients.gamma import GammaClient

        return GammaClient(self.endpoint("gamma"))

    def clob(self) -> Any:
        from polymarket_assets.clients.clob import ClobClient

        return ClobClient(self.endpoint("clob"))

    def data(self) -> Any:
        from polymarket_assets.clients.data_api import DataApiClient

        return DataApiClient(self.endpoint("data"))

"""API clients for one bronze run: the shared transport, optionally with the run's ``timeout``.

``RunApi(polymarket_api, config.timeout)`` gives ``.gamma()``, ``.clob()``, ``.data()`` whose requests all go
through the shared rate limiter and count into ``polymarket_api.stats`` (so ``stats_delta`` reports them).
When the run config sets ``timeout``, a sibling transport with that read timeout is used: same limiter,
same counters, different timeout.

Bronze clients are usually *guarded*: pass ``on_bad_body`` and undecodable 2xx bodies are handed to it
(quarantined) and the same request is sent again (``GuardedEndpoint``).
"""

from __future__ import annotations

from typing import Any, Optional

from polymarket_assets.clients.guarded_endpoint import BadBodyHook
from polymarket_assets.clients.clob import ClobClient
from polymarket_assets.clients.data_api import DataApiClient
from polymarket_assets.clients.gamma import GammaClient
from polymarket_assets.clients.http import TransportStats


class RunApi:
    def __init__(self, polymarket_api: Any, timeout: Optional[float] = None):
        self.resource = polymarket_api
        self.timeout = timeout

    @property
    def stats(self) -> TransportStats:
        """The shared counters (``.snapshot()``, ``.since(before)``) of every request this process made."""
        return self.resource.stats

    def gamma(self, on_bad_body: BadBodyHook | None = None) -> GammaClient:
        return self.resource.clients(timeout=self.timeout, on_bad_body=on_bad_body).gamma

    def clob(self, on_bad_body: BadBodyHook | None = None) -> ClobClient:
        return self.resource.clients(timeout=self.timeout, on_bad_body=on_bad_body).clob

    def data(self, on_bad_body: BadBodyHook | None = None) -> DataApiClient:
        return self.resource.clients(timeout=self.timeout, on_bad_body=on_bad_body).data

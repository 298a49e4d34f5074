"""The typed API clients of one run: every family over one :class:`HttpTransport` (limiter, retries, counters).

Product code gets an :class:`ApiClients` from ``PolymarketApiResource.clients(...)`` (which picks the transport
options and resolves each family's base URL and where it came from); tests may build one directly. Clients
are created on first use, so a family whose base URL is not needed is never resolved. With ``on_bad_body``
every endpoint is a :class:`~polymarket_assets.clients.guarded_endpoint.GuardedEndpoint`: 2xx bodies that
are not JSON go to the hook and the request is sent again.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

from polymarket_assets.clients.clob.client import ClobClient
from polymarket_assets.clients.data_api.client import DataApiClient
from polymarket_assets.clients.gamma.client import GammaClient
from polymarket_assets.clients.guarded_endpoint import BadBodyHook, GuardedEndpoint
from polymarket_assets.clients.http import Endpoint, HttpTransport, TransportStats
from polymarket_assets.clients.limitless.client import LimitlessClient

#: ``api`` name (``"gamma"``, ``"clob"``, ``"data"``, ``"limitless"``) → ``(base URL, where it came from)``.
BaseUrlResolver = Callable[[str], tuple[str, str]]


class ApiClients:
    """``gamma``, ``clob``, ``data`` and ``limitless`` clients sharing ``transport``; ``stats`` are its counters."""

    def __init__(self, transport: HttpTransport, base_url: BaseUrlResolver, *, on_bad_body: BadBodyHook | None = None):
        self.transport = transport
        self.base_url = base_url
        self.on_bad_body = on_bad_body

    @property
    def stats(self) -> TransportStats:
        """The counters every request of these clients adds to (``.snapshot()``, ``.since(before)``)."""
        return self.transport.stats

    def endpoint(self, api: str) -> Endpoint:
        url, origin = self.base_url(api)
        endpoint = Endpoint(self.transport, api, url, origin)
        return endpoint if self.on_bad_body is None else GuardedEndpoint(endpoint, self.on_bad_body)

    @cached_property
    def gamma(self) -> GammaClient:
        return GammaClient(self.endpoint(GammaClient.API))

    @cached_property
    def clob(self) -> ClobClient:
        return ClobClient(self.endpoint(ClobClient.API))

    @cached_property
    def data(self) -> DataApiClient:
        return DataApiClient(self.endpoint(DataApiClient.API))

    @cached_property
    def limitless(self) -> LimitlessClient:
        return LimitlessClient(self.endpoint(LimitlessClient.API))

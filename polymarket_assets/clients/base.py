"""What every API client shares: an ``Endpoint`` on the shared transport and a page cap."""

from __future__ import annotations

from typing import ClassVar

from polymarket_assets.clients.http import Endpoint


class ApiClient:
    """Base of the pure (Dagster-free) clients. ``API`` names the family (its rate budgets and counters);
    clients are built from an :class:`Endpoint` (in product code: ``PolymarketApiResource.clients()``)."""

    API: ClassVar[str]
    DEFAULT_MAX_PAGES: ClassVar[int | None] = None

    def __init__(self, endpoint: Endpoint, *, max_pages: int | None = None):
        self.endpoint = endpoint
        self.max_pages = self.DEFAULT_MAX_PAGES if max_pages is None else max_pages

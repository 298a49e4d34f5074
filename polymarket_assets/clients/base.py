"""What every API client shares: an ``Endpoint`` on the shared transport, a page cap, ``from_settings``."""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from polymarket_assets import settings
from polymarket_assets.clients.http import Endpoint, HttpTransport

ClientT = TypeVar("ClientT", bound="ApiClient")


class ApiClient:
    """Base of the pure (Dagster-free) clients. Subclasses name their API family and base-URL setting."""

    API: ClassVar[str]
    SETTING: ClassVar[settings.Setting]
    DEFAULT_MAX_PAGES: ClassVar[int | None] = None

    def __init__(self, endpoint: Endpoint, *, max_pages: int | None = None):
        self.endpoint = endpoint
        self.max_pages = self.DEFAULT_MAX_PAGES if max_pages is None else max_pages

    @classmethod
    def from_settings(cls: type[ClientT], transport: HttpTransport, base_url: str | None = None, **kwargs: Any) -> ClientT:
        """A client whose base URL comes from ``base_url`` > the family's environment variable > the public default."""
        url = settings.resolve_base_url(cls.SETTING, base_url)
        return cls(Endpoint(transport, cls.API, url, cls.SETTING.env), **kwargs)

"""Limitless Exchange REST client (``https://api.limitless.exchange``): active markets, market, order book
(api_reference §5).

Quirks handled here:

* ``/markets/active`` pages with ``?page=N`` (from 1) at a **fixed 25 rows per page**. ``limit`` is never
  sent: ``limit=200`` is a 400 and ``limit=50/100`` silently return zero rows (§5.1, quirk 6). A page past
  the end is ``{"data": [], "totalMarketsCount": 0}``: the walk stops at the first empty ``data``. New
  listings appear on page 1 while we walk, shifting rows across pages, so ids already seen are skipped; a
  non-empty page with nothing new also ends the walk (a server ignoring ``page`` would otherwise loop).
* ``/markets/{slug}/orderbook`` exists only for CLOB markets; AMM markets answer **400** — returned as
  ``None`` immediately (4xx are never retried by the transport). Sizes in that body are **raw 6-decimal
  integers** (``100000000`` = 100 shares) and prices are JSON numbers; the body is returned unchanged —
  :func:`~polymarket_assets.clients.limitless.parsing.parse_limitless_book` rescales sizes and sorts the levels
  (bids arrive best-first, the opposite of Polymarket).
* A default ``Python-urllib`` User-Agent gets 403 from Cloudflare; the shared transport always sends the
  configured UA.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from polymarket_assets.clients.base import ApiClient
from polymarket_assets.clients.pagination import CursorGuard, Page, envelope_list

log = logging.getLogger(__name__)

#: Safety bound: ``/markets/active`` pages hold 25 rows (fixed by the server; §5.1) and ~550-860 open markets
#: were observed, i.e. ≤ 35 pages.
DEFAULT_MAX_PAGES = 400


class LimitlessClient(ApiClient):
    """Pure (Dagster-free) Limitless client over a shared :class:`~polymarket_assets.clients.http.Endpoint`."""

    API = "limitless"
    DEFAULT_MAX_PAGES = DEFAULT_MAX_PAGES

    def iter_active_market_pages(self, *, trade_type: str | None = None, category_id: int | str | None = None) -> Iterator[Page]:
        """``GET /markets/active[/{categoryId}]?page=N`` pages from 1 until an empty ``data`` (§5.1).

        ``trade_type``: ``"clob"`` or ``"amm"`` (``tradeType``); ``None`` = both. ``Page.items`` are the rows as
        received (duplicates included, so the raw body and items agree); ``Page.extra["new_ids"]`` counts rows
        not seen on earlier pages; ``Page.extra["total"]`` is ``totalMarketsCount``.
        """
        path = "/markets/active" if category_id is None else f"/markets/active/{quote(str(category_id), safe='')}"
        guard = CursorGuard(f"Limitless {path}", max_pages=self.max_pages, setting=self.endpoint.setting)
        seen: set[str] = set()
        page_number = 1
        while True:
            params: dict[str, Any] = {"page": page_number}
            if trade_type is not None:
                params["tradeType"] = trade_type
            response = self.endpoint.raw("GET", path, params=params)
            value = self.endpoint.decode(response, expect=dict)
            items = envelope_list(self.endpoint, response, value, "data", null_is_empty=True)
            new_ids = 0
            for item in items:
                key = _market_key(item)
                if key not in seen:
                    seen.add(key)
                    new_ids += 1
            done = not items or new_ids == 0
            if items and new_ids == 0:
                log.warning("Limitless %s page %s repeated only known markets; stopping", path, page_number)
            next_cursor = None if done else str(page_number + 1)
            guard.advance(next_cursor, response.url)
            extra = {"new_ids": new_ids, "total": value.get("totalMarketsCount"), "page": page_number}
            yield Page(items, next_cursor, response.url, response.body, cursor=str(page_number), extra=extra)
            if done:
                return
            page_number += 1

    def iter_active_markets(self, *, trade_type: str | None = None, category_id: int | str | None = None) -> Iterator[dict[str, Any]]:
        """Active market objects, each id once, in page order (§5.1)."""
        seen: set[str] = set()
        for page in self.iter_active_market_pages(trade_type=trade_type, category_id=category_id):
            for item in page.items:
                key = _market_key(item)
                if key in seen:
                    continue
                seen.add(key)
                yield item

    def market(self, slug: str) -> dict[str, Any] | None:
        """``GET /markets/{slug}`` (slug or address) → market object, ``None`` on 404 (§5.2)."""
        return self.endpoint.get_json(f"/markets/{quote(slug, safe='')}", expect=dict, none_on=(404,))

    def orderbook(self, slug: str) -> dict[str, Any] | None:
        """``GET /markets/{slug}/orderbook`` → raw book (YES token; sizes in raw 6-decimal units), or ``None``
        for an AMM market (HTTP 400) or an unknown slug (404), without retrying (§5.3)."""
        return self.endpoint.get_json(f"/markets/{quote(slug, safe='')}/orderbook", expect=dict, none_on=(400, 404))


def _market_key(item: Any) -> str:
    """Identity of a market row: ``id``, else ``slug``, else the row itself."""
    if isinstance(item, dict):
        for key in ("id", "slug", "address"):
            if item.get(key) is not None:
                return f"{key}:{item[key]}"
    return repr(item)

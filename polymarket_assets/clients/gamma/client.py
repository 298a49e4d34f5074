"""Gamma API client (``https://gamma-api.polymarket.com``): events, markets, tags (api_reference §1).

Paging (quirk 6, §1.1):

* **keyset first**: ``/events/keyset`` (≤ 500 per page) and ``/markets/keyset`` (≤ 100) return
  ``{"events"|"markets": [...], "next_cursor": "..."}``; ``next_cursor`` is **absent on the last page**;
  ``offset`` is rejected there and is never sent. The cursor goes back as ``after_cursor=`` — the spelling
  clients verified live in 2026 (valory-xyz/trader#931, sapiencexyz/sapience#1884). A plain ``cursor=`` is
  silently ignored by the server, which then serves page 1 forever (Polymarket/agents#227); the
  :class:`~polymarket_assets.clients.pagination.CursorGuard` turns that failure mode into an error instead of
  an endless loop. Filters are re-sent on every page (the cursor is bound to the originating query).
* **legacy fallback**: when the keyset route does not exist (404/405/410, or the 422 "id is invalid" an
  older router gives for ``/events/keyset`` read as ``/events/{id}``) the walk falls back to ``limit`` +
  ``offset`` on ``/events`` / ``/markets`` and stops at the first short page. When the server's offset cap
  answers 422 "offset too large…" the walk raises :class:`OffsetCapError` after yielding every page it got.

Repeatable filters (``id``, ``slug``, ``clob_token_ids``, ``condition_ids``, ``tag_id``…) are always sent as
repeated keys; comma-joined strings are split first (Gamma answers 422 "invalid clob token ids" otherwise).
Id lists longer than 100 are walked as separate queries of ≤ 100 ids (§1.3: ``condition_ids`` ≤ 100).

Gamma responses are CDN-cached for up to 300 s (quirk 8): two reads seconds apart may be identical.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

from polymarket_assets.clients.base import ApiClient
from polymarket_assets.clients.errors import ApiHttpError
from polymarket_assets.clients.http import RawResponse
from polymarket_assets.clients.pagination import (
    CursorGuard,
    OffsetCapError,
    Page,
    chunked,
    dedupe,
    encode_params,
    envelope_list,
    optional_cursor,
)

log = logging.getLogger(__name__)

#: Filters Gamma takes as repeated keys (never comma-joined).
REPEATABLE_PARAMS = frozenset(
    {"id", "slug", "clob_token_ids", "condition_ids", "question_ids", "tag_id", "exclude_tag_id", "series_id", "game_id"}
)
#: Repeatable id filters that are capped per request; longer lists are split into several walks.
CHUNKED_PARAMS = ("condition_ids", "clob_token_ids", "id", "slug", "question_ids")
MAX_IDS_PER_REQUEST = 100
#: Paging parameters the client owns; callers must not pass them in ``params``.
RESERVED_PARAMS = frozenset({"limit", "offset", "cursor", "after_cursor", "next_cursor"})
#: Statuses meaning "this keyset route does not exist here" on the first keyset request.
KEYSET_MISSING_STATUSES = (404, 405, 410)


class GammaClient(ApiClient):
    """Pure (Dagster-free) Gamma client over a shared :class:`~polymarket_assets.clients.http.Endpoint`."""

    EVENTS_KEYSET_MAX = 500
    MARKETS_KEYSET_MAX = 100
    KEYSET_CURSOR_PARAM = "after_cursor"

    API = "gamma"

    # -- listings --------------------------------------------------------------------------------
    def iter_event_pages(self, params: Mapping[str, Any] | None = None, page_size: int = 500) -> Iterator[Page]:
        """Pages of events (each with embedded ``markets[]``/``tags[]``/``series[]``), keyset first (§1.1).

        ``params`` are Gamma filters passed through (``closed``, ``tag_id``, ``order``, ``ascending``,
        ``start_date_min``/``start_date_max`` as ISO strings or datetimes…). ``page_size`` ≤ 500.
        """
        yield from self._iter_listing("events", params, page_size, self.EVENTS_KEYSET_MAX)

    def iter_events(self, params: Mapping[str, Any] | None = None, page_size: int = 500) -> Iterator[dict[str, Any]]:
        """Event objects (raw dicts) from :meth:`iter_event_pages`."""
        for page in self.iter_event_pages(params, page_size):
            yield from page.items

    def iter_market_pages(self, params: Mapping[str, Any] | None = None, page_size: int = 100) -> Iterator[Page]:
        """Pages of market objects, keyset first (``/markets/keyset``, ≤ 100 per page; §1.1, §1.3)."""
        yield from self._iter_listing("markets", params, page_size, self.MARKETS_KEYSET_MAX)

    def iter_markets(self, params: Mapping[str, Any] | None = None, page_size: int = 100) -> Iterator[dict[str, Any]]:
        """Market objects (raw dicts) from :meth:`iter_market_pages`."""
        for page in self.iter_market_pages(params, page_size):
            yield from page.items

    def iter_tag_pages(self, page_size: int = 100, params: Mapping[str, Any] | None = None) -> Iterator[Page]:
        """``/tags`` pages by ``limit``/``offset`` until a short page (§1.4)."""
        query = self._split_queries(params)
        for chunk in query:
            yield from self._offset_pages("tags", chunk, page_size)

    def iter_tags(self, page_size: int = 100, params: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Tag objects ``{id, label, slug, …}`` from :meth:`iter_tag_pages`."""
        for page in self.iter_tag_pages(page_size, params):
            yield from page.items

    # -- single objects --------------------------------------------------------------------------
    def event_by_slug(self, slug: str) -> dict[str, Any] | None:
        """``GET /events/slug/{slug}`` → one event object, ``None`` on 404 (§1.2)."""
        return self.endpoint.get_json(f"/events/slug/{quote(slug, safe='')}", expect=dict, none_on=(404,))

    def market_by_slug(self, slug: str) -> dict[str, Any] | None:
        """``GET /markets/slug/{slug}`` → one market object (with ``events[]``), ``None`` on 404 (§1.3)."""
        return self.endpoint.get_json(f"/markets/slug/{quote(slug, safe='')}", expect=dict, none_on=(404,))

    def event_by_id(self, event_id: str | int) -> dict[str, Any] | None:
        """``GET /events/{id}`` (numeric id only) → event object, ``None`` on 404."""
        return self.endpoint.get_json(f"/events/{_numeric_id(event_id)}", expect=dict, none_on=(404,))

    def market_by_id(self, market_id: str | int) -> dict[str, Any] | None:
        """``GET /markets/{id}`` (numeric Gamma id only; a slug/conditionId there is a 422) → market, ``None`` on 404."""
        return self.endpoint.get_json(f"/markets/{_numeric_id(market_id)}", expect=dict, none_on=(404,))

    # -- internals -------------------------------------------------------------------------------
    def _iter_listing(self, kind: str, params: Mapping[str, Any] | None, page_size: int, max_size: int) -> Iterator[Page]:
        if not 1 <= page_size <= max_size:
            raise ValueError(f"page_size for /{kind}/keyset must be between 1 and {max_size}, got {page_size}")
        for query in self._split_queries(params):
            yield from self._keyset_pages(kind, query, page_size)

    def _split_queries(self, params: Mapping[str, Any] | None) -> list[list[tuple[str, str]]]:
        """Validate/normalise filters; one encoded query per ≤ 100-id chunk of an oversized id list."""
        params = dict(params or {})
        reserved = RESERVED_PARAMS.intersection(params)
        if reserved:
            raise ValueError(
                f"Gamma paging parameters {sorted(reserved)} are managed by the client (keyset cursors, never offset); "
                f"remove them from params and use page_size instead."
            )
        for key in REPEATABLE_PARAMS.intersection(params):
            value = params[key]
            if isinstance(value, str):
                params[key] = [part.strip() for part in value.split(",") if part.strip()]
            elif isinstance(value, (list, tuple, set, frozenset)):
                params[key] = dedupe(str(v) for v in value if v is not None)
        oversized = [k for k in CHUNKED_PARAMS if isinstance(params.get(k), list) and len(params[k]) > MAX_IDS_PER_REQUEST]
        if len(oversized) > 1:
            raise ValueError(f"only one of {oversized} may list more than {MAX_IDS_PER_REQUEST} values per call")
        if not oversized:
            return [encode_params(params)]
        key = oversized[0]
        return [encode_params({**params, key: chunk}) for chunk in chunked(params[key], MAX_IDS_PER_REQUEST)]

    def _keyset_pages(self, kind: str, query: list[tuple[str, str]], page_size: int) -> Iterator[Page]:
        path = f"/{kind}/keyset"
        guard = CursorGuard(f"Gamma {path}", max_pages=self.max_pages, setting=self.endpoint.setting)
        cursor: str | None = None
        while True:
            request = query + [("limit", str(page_size))]
            if cursor is not None:
                request.append((self.KEYSET_CURSOR_PARAM, cursor))
            response = self.endpoint.raw("GET", path, params=request, ok_statuses=(*KEYSET_MISSING_STATUSES, 422))
            if response.status != 200 and self._keyset_missing(response):
                if cursor is None:
                    log.warning("Gamma %s unavailable (HTTP %s); falling back to legacy offset paging on /%s", path, response.status, kind)
                    yield from self._offset_pages(kind, query, page_size)
                    return
                raise self._http_error(response, f"Gamma {path} disappeared in the middle of a keyset walk")
            if response.status >= 300:
                raise self._http_error(response, f"Gamma {path} rejected the request")
            value = self.endpoint.decode(response, expect=dict)
            items = envelope_list(self.endpoint, response, value, kind)
            next_cursor = optional_cursor(self.endpoint, response, value.get("next_cursor"))
            if not items:
                next_cursor = None  # an empty page ends the walk even if a cursor came with it
            guard.advance(next_cursor, response.url)
            yield Page(items, next_cursor, response.url, response.body, cursor=cursor, status=response.status)
            if next_cursor is None:
                return
            cursor = next_cursor

    @staticmethod
    def _keyset_missing(response: RawResponse) -> bool:
        if response.status in KEYSET_MISSING_STATUSES:
            return True
        # An older router reads "/events/keyset" as "/events/{id}" and answers 422 "id is invalid".
        text = response.body[:500].decode("utf-8", "replace").lower()
        return response.status == 422 and "id is invalid" in text

    def _offset_pages(self, kind: str, query: list[tuple[str, str]], page_size: int) -> Iterator[Page]:
        path = f"/{kind}"
        guard = CursorGuard(f"Gamma {path}", max_pages=self.max_pages, setting=self.endpoint.setting)
        offset = 0
        while True:
            request = query + [("limit", str(page_size)), ("offset", str(offset))]
            response = self.endpoint.raw("GET", path, params=request, ok_statuses=(422,))
            if response.status == 422:
                text = response.body[:500].decode("utf-8", "replace")
                if "offset" in text.lower():
                    raise OffsetCapError(
                        f"Gamma {path} refused offset={offset} ({text.strip()}): the legacy listing is capped and the "
                        f"keyset endpoint is unavailable. The {offset} rows already yielded are complete; split the "
                        f"query into narrower windows (e.g. start_date_min/start_date_max) and re-run.",
                        offset=offset,
                        body=response.body,
                        url=response.url,
                        setting=self.endpoint.setting,
                    )
                raise self._http_error(response, f"Gamma {path} rejected the request")
            items = self.endpoint.decode(response, expect=list)
            full = len(items) >= page_size
            next_cursor = str(offset + len(items)) if full else None
            guard.advance(next_cursor, response.url)
            yield Page(items, next_cursor, response.url, response.body, cursor=str(offset) if offset else None)
            if not full:
                return
            offset += len(items)

    def _http_error(self, response: RawResponse, what: str) -> ApiHttpError:
        return ApiHttpError(
            f"{what}: HTTP {response.status} {response.body[:300]!r} ({response.url}). Base URL from {self.endpoint.setting}.",
            status=response.status,
            body=response.body,
            url=response.url,
            setting=self.endpoint.setting,
        )


def _numeric_id(value: str | int) -> str:
    text = str(value).strip()
    if not text.isdigit():
        raise ValueError(f"Gamma ids are numeric strings like '1066851'; got {value!r} (use *_by_slug for slugs)")
    return text


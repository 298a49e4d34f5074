"""Data API **v2** client (``https://data-api.polymarket.com/v2/...``): trades, leaderboard, prices history,
resolutions (api_reference §3.2, §7.2).

v2 conventions handled here:

* envelope ``{"data": [...] | null, "pagination": {"next_cursor", "has_more", …}}``; ``data: null`` is a
  documented miss (→ no rows), never an error;
* **cursor-only paging** (quirk 6): follow ``pagination.next_cursor`` until ``null`` (or ``has_more`` is
  false); ``offset`` is a 400 and is never sent. The cursor pins its query, so follow-up requests re-send
  the same filters plus ``cursor``; ``limit`` is a first-page-only parameter and is sent only there;
* ``/v2/trades`` and ``/v2/resolutions`` ``condition`` take ≤ 20 comma-separated condition ids: longer lists
  are split into batches of 20, each with its own cursor chain;
* ``/v2/prices-history`` takes exactly one of ``start`` (+ ``end``, exclusive) or ``interval``; explicit
  windows are capped at 15 days and are split client-side.

Rows are returned raw; parse with :func:`~polymarket_assets.clients.data_api.parsing.parse_trade_v2` etc.
(the parsers keep the v2 sentinels ``outcome_index: 999`` / ``event_slug: ""`` as sent; bronze maps them).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from polymarket_assets.clients.base import ApiClient
from polymarket_assets.clients.clob.client import MAX_HISTORY_WINDOW_SECONDS, TimeLike, split_window
from polymarket_assets.clients.pagination import (
    CursorGuard,
    Page,
    chunked,
    dedupe,
    envelope_list,
    malformed,
    optional_cursor,
    param_value,
)
from polymarket_assets.clients.wire import epoch_seconds, is_condition_id

MAX_CONDITIONS_PER_REQUEST = 20
#: Parameters the client manages; passing them as filters is an error.
RESERVED_FILTERS = frozenset({"offset", "cursor", "limit", "condition", "condition_id", "conditionId", "market"})


def _condition_ids(conditions: Sequence[str]) -> list[str]:
    """Distinct, stripped condition ids, each ``0x`` + 64 hex (a Gamma id or a token id is refused here, not by a 400)."""
    ids = dedupe(str(c).strip() for c in conditions)
    bad = [c for c in ids if not is_condition_id(c)]
    if bad:
        raise ValueError(f"condition ids must be 0x + 64 hex characters (not Gamma ids or token ids); got {bad[:3]}")
    return ids


def _v2_value(value: Any) -> str | None:
    """v2 query value: lists comma-joined (v2 multi-value filters are comma-separated), bools lowercase."""
    if value is None:
        return None
    if isinstance(value, (list, tuple, set, frozenset)):
        return ",".join(param_value(v) for v in value if v is not None)
    return param_value(value)


class DataApiClient(ApiClient):
    """Pure (Dagster-free) Data API v2 client over a shared :class:`~polymarket_assets.clients.http.Endpoint`."""

    API = "data"

    # -- generic cursor walk ---------------------------------------------------------------------
    def iter_pages(
        self, path: str, params: Mapping[str, Any] | None = None, *, limit: int | None = None, cursor: str | None = None
    ) -> Iterator[Page]:
        """Walk any v2 paged route: ``params`` on every request, ``limit`` on the first only, then ``cursor``.

        ``cursor`` resumes a walk at a ``next_cursor`` saved from an earlier one (the cursor pins its query, so
        ``params`` must be the ones it was issued for; ``limit`` is not sent then). ``Page.extra`` holds the
        response's ``pagination`` object.
        """
        if params and "offset" in params:
            raise ValueError("Data API v2 is cursor-only: sending offset is a 400 (api_reference §3.2)")
        base = {k: v for k, v in ((k, _v2_value(v)) for k, v in (params or {}).items()) if v is not None}
        guard = CursorGuard(f"Data API {path}", max_pages=self.max_pages, setting=self.endpoint.setting)
        while True:
            query = dict(base)
            if cursor is None:
                if limit is not None:
                    query["limit"] = str(int(limit))
            else:
                query["cursor"] = cursor
            response = self.endpoint.raw("GET", path, params=query)
            value = self.endpoint.decode(response, expect=dict)
            items = envelope_list(self.endpoint, response, value, "data", null_is_empty=True)
            pagination = value.get("pagination") or {}
            if not isinstance(pagination, Mapping):
                raise malformed(self.endpoint, response, "pagination is not an object")
            next_cursor = optional_cursor(self.endpoint, response, pagination.get("next_cursor"))
            if pagination.get("has_more") is False:
                next_cursor = None
            guard.advance(next_cursor, response.url)
            yield Page(items, next_cursor, response.url, response.body, cursor=cursor, extra=dict(pagination))
            if next_cursor is None:
                return
            cursor = next_cursor

    # -- trades ----------------------------------------------------------------------------------
    def iter_trade_pages(
        self,
        *,
        conditions: Sequence[str] | None = None,
        taker_only: bool = True,
        limit: int | None = None,
        cursor: str | None = None,
        **filters: Any,
    ) -> Iterator[Page]:
        """``GET /v2/trades`` pages, newest first (§3.2).

        ``conditions``: condition ids (``0x`` + 64 hex), sent as ``condition=`` in comma-joined batches of
        ≤ 20, each batch its own cursor chain (``Page.extra["conditions"]`` lists the batch). ``None`` = no
        condition filter (the global feed, rolling current + previous month). ``taker_only=True`` serves each
        fill once, on its taker side. ``limit`` is the first page's size. ``cursor`` resumes one chain at a
        saved ``next_cursor`` (same ``conditions`` and filters as the walk that issued it; at most one batch
        of 20). Other v2 filters pass through (``event_id``, ``user``, ``side``, ``filter_type``,
        ``filter_amount``, ``start``/``end``…).
        """
        reserved = RESERVED_FILTERS.intersection(filters)
        if reserved:
            raise ValueError(f"pass condition ids via conditions= and paging via limit/cursor; not {sorted(reserved)}")
        event_ids = filters.get("event_id")
        if isinstance(event_ids, (list, tuple, set)) and len(event_ids) > MAX_CONDITIONS_PER_REQUEST:
            raise ValueError(f"event_id takes at most {MAX_CONDITIONS_PER_REQUEST} ids per request")
        base = {"taker_only": taker_only, **filters}
        if conditions is None:
            yield from self.iter_pages("/v2/trades", base, limit=limit, cursor=cursor)
            return
        ids = _condition_ids(conditions)
        if cursor is not None and len(ids) > MAX_CONDITIONS_PER_REQUEST:
            raise ValueError(
                f"a cursor resumes one chain of at most {MAX_CONDITIONS_PER_REQUEST} condition ids; got {len(ids)} ids"
            )
        for batch in chunked(ids, MAX_CONDITIONS_PER_REQUEST):
            for page in self.iter_pages("/v2/trades", {**base, "condition": batch}, limit=limit, cursor=cursor):
                yield Page(page.items, page.next_cursor, page.url, page.body, page.cursor, page.status, {**page.extra, "conditions": batch})

    def iter_trades(
        self,
        *,
        conditions: Sequence[str] | None = None,
        taker_only: bool = True,
        limit: int | None = None,
        **filters: Any,
    ) -> Iterator[dict[str, Any]]:
        """Trade rows (raw v2 dicts) from :meth:`iter_trade_pages`."""
        for page in self.iter_trade_pages(conditions=conditions, taker_only=taker_only, limit=limit, **filters):
            yield from page.items

    # -- resolutions -----------------------------------------------------------------------------
    def iter_resolution_pages(self, conditions: Sequence[str]) -> Iterator[Page]:
        """``GET /v2/resolutions?condition=<≤ 20 ids>`` pages (§7.2): the UMA resolution state of each market.

        ``conditions`` (``0x`` + 64 hex) are sent in comma-joined batches of ≤ 20, one request (and, should the
        API page it, one cursor chain) per batch; ``Page.extra["conditions"]`` lists the batch. A condition the
        API does not know is simply absent from ``data`` (a miss is ``{"data": []}``, not an error). Parse the
        rows with :func:`~polymarket_assets.clients.data_api.parsing.parse_resolution_v2`.
        """
        ids = _condition_ids(conditions)
        for batch in chunked(ids, MAX_CONDITIONS_PER_REQUEST):
            for page in self.iter_pages("/v2/resolutions", {"condition": batch}):
                yield Page(page.items, page.next_cursor, page.url, page.body, page.cursor, page.status, {**page.extra, "conditions": batch})

    # -- leaderboard -----------------------------------------------------------------------------
    def iter_leaderboard_pages(
        self, *, time_period: str = "day", sort_by: str = "PNL", category: str = "overall", limit: int | None = None
    ) -> Iterator[Page]:
        """``GET /v2/leaderboard`` pages (§3.2). ``time_period`` day|week|month|all, ``sort_by`` PNL|VOLUME
        (``volume`` is in shares), ``category`` overall or a Gamma category."""
        params = {"time_period": time_period, "sort_by": sort_by, "category": category}
        yield from self.iter_pages("/v2/leaderboard", params, limit=limit)

    def iter_leaderboard(
        self, *, time_period: str = "day", sort_by: str = "PNL", category: str = "overall", limit: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Leaderboard rows ``{rank, user_id, pnl, volume, …}`` from :meth:`iter_leaderboard_pages`."""
        for page in self.iter_leaderboard_pages(time_period=time_period, sort_by=sort_by, category=category, limit=limit):
            yield from page.items

    # -- prices history --------------------------------------------------------------------------
    def iter_prices_history_pages(
        self,
        token_id: str,
        *,
        start: TimeLike | None = None,
        end: TimeLike | None = None,
        interval: str | None = None,
        bucket_seconds: int | None = None,
    ) -> Iterator[Page]:
        """``GET /v2/prices-history?token_id=`` pages (§3.2).

        Exactly one of ``start`` (+ optional ``end``, exclusive; default now) or ``interval`` (``max``,
        ``all``, ``1m``, ``1w``, ``1d``, ``6h``, ``1h``). Explicit windows longer than 15 days are split into
        consecutive ≤ 15-day windows (``end`` is exclusive, so they do not overlap), each walked by cursor.
        """
        if (start is None) == (interval is None):
            raise ValueError("give exactly one of start(+end) or interval (api_reference §3.2)")
        if end is not None and start is None:
            raise ValueError("end needs start")
        base: dict[str, Any] = {"token_id": str(token_id)}
        if bucket_seconds is not None:
            base["bucket_seconds"] = int(bucket_seconds)
        if interval is not None:
            yield from self.iter_pages("/v2/prices-history", {**base, "interval": interval})
            return
        assert start is not None
        lo = epoch_seconds(start)
        hi = epoch_seconds(end) if end is not None else int(time.time())
        for window_start, window_end in split_window(lo, hi, MAX_HISTORY_WINDOW_SECONDS):
            if window_end <= window_start:
                continue
            yield from self.iter_pages("/v2/prices-history", {**base, "start": window_start, "end": window_end})

    def iter_prices_history(
        self,
        token_id: str,
        *,
        start: TimeLike | None = None,
        end: TimeLike | None = None,
        interval: str | None = None,
        bucket_seconds: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Price points ``{timestamp, price, resolution_seconds}`` oldest first, without repeated timestamps
        across split windows."""
        seen: set[Any] = set()
        for page in self.iter_prices_history_pages(token_id, start=start, end=end, interval=interval, bucket_seconds=bucket_seconds):
            for point in page.items:
                key = point.get("timestamp") if isinstance(point, Mapping) else None
                if key is not None and key in seen:
                    continue
                seen.add(key)
                yield point

"""CLOB REST client (``https://clob.polymarket.com``): books, price history, CLOB markets (api_reference §2).

Quirks handled here (parsing of the bodies is in :mod:`polymarket_assets.clients.clob.parsing`):

* ``GET /book`` answers **404 for an unknown token and for a closed/resolved market alike** (§2.1, quirk 9):
  :meth:`ClobClient.book` returns ``None`` for both; callers who need to know which must look at the market.
* ``POST /books`` takes ``[{"token_id": …}]``; the per-call maximum is undocumented, so ids are sent in
  chunks (default 100, §2.2).
* ``/prices-history`` takes the **token id** as ``market`` and caps explicit windows at ~15 days
  (16 days → HTTP 400 "interval is too long", §2.4): longer windows are split client-side and the points
  merged (deduplicated on ``t``, oldest first). ``POST /batch-prices-history`` takes ≤ 20 token ids and
  returns a **map** ``{"history": {token_id: [{t, p}]}}``; ids are chunked by 20 and windows split too.
* ``GET /markets`` pages with base64 cursors: start ``MA==`` (``"0"``), follow ``next_cursor``, stop at
  ``LTE=`` (``"-1"``) (§2.5, quirk 6).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from polymarket_assets.clients.base import ApiClient
from polymarket_assets.clients.pagination import (
    CursorGuard,
    Page,
    chunked,
    dedupe,
    envelope_list,
    malformed,
    optional_cursor,
)
from polymarket_assets.clients.wire import epoch_seconds

TimeLike = int | float | datetime | date

#: Longest explicit ``startTs``..``endTs`` window one ``/prices-history`` request may ask for.
MAX_HISTORY_WINDOW_SECONDS = 15 * 24 * 3600
#: CLOB ``/markets`` cursors: first page and end marker (base64 of "0" and "-1").
FIRST_CURSOR = "MA=="
END_CURSOR = "LTE="
BATCH_HISTORY_MAX_TOKENS = 20


def split_window(start: int, end: int, max_seconds: int = MAX_HISTORY_WINDOW_SECONDS) -> list[tuple[int, int]]:
    """``[start, end]`` as consecutive sub-windows of at most ``max_seconds`` (shared boundaries)."""
    if end < start:
        raise ValueError(f"window end {end} is before start {start}")
    windows = []
    cursor = start
    while True:
        stop = min(cursor + max_seconds, end)
        windows.append((cursor, stop))
        if stop >= end:
            return windows
        cursor = stop


def _merge_points(points: list[dict[str, Any]], key: str = "t") -> list[dict[str, Any]]:
    """Points from overlapping windows: one per timestamp (last wins), sorted oldest first.

    A point whose timestamp is not a number is kept (after the numeric ones), never raised on here: the
    caller validates each point and quarantines the bad ones without losing the rest of the response.
    """
    by_ts: dict[Any, dict[str, Any]] = {}
    for point in points:
        by_ts[repr(point.get(key)) if isinstance(point.get(key), (list, dict)) else point.get(key)] = point

    def order(value: Any) -> tuple[bool, Any]:
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        return (not numeric, value if numeric else str(value))

    return [by_ts[k] for k in sorted(by_ts, key=order)]


class ClobClient(ApiClient):
    """Pure (Dagster-free) CLOB client over a shared :class:`~polymarket_assets.clients.http.Endpoint`."""

    API = "clob"

    # -- books -----------------------------------------------------------------------------------
    def book(self, token_id: str) -> dict[str, Any] | None:
        """``GET /book?token_id=`` → raw book dict, or ``None`` on 404 (unknown token **or** resolved market —
        the API does not distinguish them, §2.1). Parse with :func:`~polymarket_assets.clients.clob.parsing.parse_clob_book`."""
        return self.endpoint.get_json("/book", {"token_id": str(token_id)}, expect=dict, none_on=(404,))

    def books(self, token_ids: Sequence[str], chunk_size: int = 100) -> list[dict[str, Any]]:
        """``POST /books`` with ``[{"token_id": …}]`` in chunks → raw book dicts in response order (§2.2).

        Tokens without a book are simply absent from the answer. Duplicate ids are sent once.
        """
        results: list[dict[str, Any]] = []
        for chunk in chunked(dedupe(str(t) for t in token_ids), chunk_size):
            response = self.endpoint.raw("POST", "/books", json_body=[{"token_id": t} for t in chunk])
            value = self.endpoint.decode(response, expect=list)
            if not all(isinstance(item, dict) for item in value):
                raise malformed(self.endpoint, response, "POST /books returned an array with non-object elements")
            results.extend(value)
        return results

    # -- price history ---------------------------------------------------------------------------
    def prices_history(
        self,
        token_id: str,
        *,
        start_ts: TimeLike | None = None,
        end_ts: TimeLike | None = None,
        interval: str | None = None,
        fidelity: int | None = None,
    ) -> list[dict[str, Any]]:
        """``GET /prices-history?market=<token id>`` → ``[{"t": s, "p": price}]`` oldest first (§2.4).

        Either ``interval`` (``1m``, ``1h``, ``6h``, ``1d``, ``1w``, ``max``) or a ``start_ts``[..``end_ts``]
        window (unix seconds or datetimes; ``end_ts`` defaults to now). Windows longer than 15 days are split
        into ≤ 15-day requests; points are merged on ``t``. ``fidelity`` is the resolution in minutes.
        """
        if interval is not None and (start_ts is not None or end_ts is not None):
            raise ValueError("interval is mutually exclusive with start_ts/end_ts (api_reference §2.4)")
        if end_ts is not None and start_ts is None:
            raise ValueError("end_ts needs start_ts")
        base: dict[str, Any] = {"market": str(token_id)}
        if fidelity is not None:
            base["fidelity"] = int(fidelity)
        if start_ts is None:
            if interval is not None:
                base["interval"] = interval
            return self._history_request(base)
        start = epoch_seconds(start_ts)
        end = epoch_seconds(end_ts) if end_ts is not None else int(time.time())
        points: list[dict[str, Any]] = []
        for window_start, window_end in split_window(start, end):
            points.extend(self._history_request({**base, "startTs": window_start, "endTs": window_end}))
        return _merge_points(points)

    def _history_request(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        response = self.endpoint.raw("GET", "/prices-history", params=params)
        value = self.endpoint.decode(response, expect=dict)
        return envelope_list(self.endpoint, response, value, "history", null_is_empty=True)

    def batch_prices_history(
        self,
        token_ids: Sequence[str],
        *,
        start_ts: TimeLike,
        end_ts: TimeLike,
        fidelity: int | None = None,
    ) -> dict[str, list[dict[str, Any]]]:
        """``POST /batch-prices-history`` → ``{token_id: [{t, p}, …]}`` (§2.4).

        Ids are sent ≤ 20 per call and windows split to ≤ 15 days; every requested id is a key of the result
        (``[]`` when the server had no points for it).
        """
        ids = dedupe(str(t) for t in token_ids)
        start, end = epoch_seconds(start_ts), epoch_seconds(end_ts)
        merged: dict[str, list[dict[str, Any]]] = {token: [] for token in ids}
        for chunk in chunked(ids, BATCH_HISTORY_MAX_TOKENS):
            for window_start, window_end in split_window(start, end):
                history = self.batch_prices_history_window(chunk, start_ts=window_start, end_ts=window_end, fidelity=fidelity)
                for token, points in history.items():
                    merged.setdefault(token, []).extend(points)
        return {token: _merge_points(points) for token, points in merged.items()}

    def batch_prices_history_window(
        self, token_ids: Sequence[str], *, start_ts: int, end_ts: int, fidelity: int | None = None
    ) -> dict[str, list[Any]]:
        """One ``POST /batch-prices-history`` (≤ 20 tokens, a window of ≤ 15 days) → ``{token_id: [points]}``.

        The points are returned as sent, not merged nor sorted, so a caller can validate each one (and set a
        malformed one aside) without losing the rest of the response; the envelope is checked here.
        """
        if len(token_ids) > BATCH_HISTORY_MAX_TOKENS or end_ts - start_ts > MAX_HISTORY_WINDOW_SECONDS:
            raise ValueError(f"one batch request takes ≤ {BATCH_HISTORY_MAX_TOKENS} tokens and ≤ 15 days")
        body: dict[str, Any] = {"markets": list(token_ids), "start_ts": start_ts, "end_ts": end_ts}
        if fidelity is not None:
            body["fidelity"] = int(fidelity)
        response = self.endpoint.raw("POST", "/batch-prices-history", json_body=body)
        value = self.endpoint.decode(response, expect=dict)
        history = value.get("history")
        if not isinstance(history, dict):
            raise malformed(self.endpoint, response, "expected {'history': {token_id: [...]}}")
        for token, points in history.items():
            if not isinstance(points, list):
                raise malformed(self.endpoint, response, f"history[{token!r}] is not an array")
        return {str(token): points for token, points in history.items()}

    # -- markets ---------------------------------------------------------------------------------
    def iter_market_pages(self, cursor: str = FIRST_CURSOR) -> Iterator[Page]:
        """``GET /markets?next_cursor=…`` pages (100 markets each, oldest first) until ``LTE=`` (§2.5).

        ``Page.next_cursor`` is ``None`` on the last page; pass a saved ``next_cursor`` as ``cursor`` to resume.
        """
        guard = CursorGuard("CLOB /markets", max_pages=self.max_pages, setting=self.endpoint.setting)
        current = cursor or FIRST_CURSOR
        while True:
            response = self.endpoint.raw("GET", "/markets", params={"next_cursor": current})
            value = self.endpoint.decode(response, expect=dict)
            items = envelope_list(self.endpoint, response, value, "data", null_is_empty=True)
            next_cursor = optional_cursor(self.endpoint, response, value.get("next_cursor"))
            if next_cursor == END_CURSOR:
                next_cursor = None
            guard.advance(next_cursor, response.url)
            yield Page(items, next_cursor, response.url, response.body, cursor=current)
            if next_cursor is None:
                return
            current = next_cursor

    def iter_markets(self, cursor: str = FIRST_CURSOR) -> Iterator[dict[str, Any]]:
        """CLOB market objects from :meth:`iter_market_pages`."""
        for page in self.iter_market_pages(cursor):
            yield from page.items

    def market(self, condition_id: str) -> dict[str, Any] | None:
        """``GET /markets/{condition_id}`` → CLOB market object, ``None`` on 404."""
        return self.endpoint.get_json(f"/markets/{quote(condition_id, safe='')}", expect=dict, none_on=(404,))

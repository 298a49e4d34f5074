"""Paging primitives shared by the API clients (quirk 6 of api_reference §6: every host pages differently).

* :class:`Page` — one fetched page: decoded items, the cursor for the next page (``None`` at the end), the
  URL and the **raw body bytes** (bronze keeps the body exactly as received).
* :class:`CursorGuard` — stops a walk whose server echoes a cursor it already gave (the Gamma keyset bug,
  Polymarket/agents#227: "returns the same first page forever") or that exceeds a page budget.
* :func:`encode_params` — query-string encoding the APIs accept: lowercase booleans, repeated keys for
  lists, ISO-8601 ``Z`` datetimes, ``None`` dropped.
* :func:`envelope_list` / :func:`malformed` — shape checks that raise ``MalformedResponseError`` carrying
  the raw bytes, so nothing fetched is lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, TypeVar

from polymarket_assets.clients.errors import ApiError, MalformedResponseError
from polymarket_assets.clients.http import Endpoint, RawResponse

T = TypeVar("T")

__all__ = [
    "Page",
    "PaginationError",
    "OffsetCapError",
    "CursorGuard",
    "encode_params",
    "param_value",
    "chunked",
    "dedupe",
    "envelope_list",
    "malformed",
    "optional_cursor",
]


@dataclass(frozen=True)
class Page:
    """One page of a listing.

    ``items`` are the decoded rows of this page (raw dicts, unparsed); ``next_cursor`` is what to send for
    the following page, ``None`` when this is the last one (for offset/page-number paging it is the next
    offset/page number as text). ``url`` is the final request URL and ``body`` the raw response bytes.
    ``cursor`` is the cursor/offset/page this page was requested with (``None`` for the first page), so a
    walk can be resumed or audited.
    """

    items: list[Any]
    next_cursor: str | None
    url: str
    body: bytes
    cursor: str | None = None
    status: int = 200
    extra: Mapping[str, Any] = field(default_factory=dict)


class PaginationError(ApiError):
    """A listing cannot be walked further (server echoes cursors, page budget exceeded, paging cap hit).

    Pages already yielded are complete and can be kept; the message says what to change.
    """


class OffsetCapError(PaginationError):
    """Gamma's legacy offset listing refused a deep offset (HTTP 422 "offset too large, use /markets/keyset
    for deeper pagination" / "offset exceeds maximum allowed…", api_reference §1.1)."""

    def __init__(self, message: str, *, offset: int, body: bytes, url: str | None = None, setting: str | None = None):
        super().__init__(message, url=url, setting=setting)
        self.offset = offset
        self.body = body


class CursorGuard:
    """Refuses to follow a cursor twice and bounds the number of pages of one walk.

    A server that ignores the cursor returns the same ``next_cursor`` again (Polymarket/agents#227); without
    this guard the walk would loop forever re-reading page 1.
    """

    def __init__(self, what: str, *, max_pages: int | None = None, setting: str | None = None):
        self.what = what
        self.max_pages = max_pages
        self.setting = setting
        self.pages = 0
        self._seen: set[str] = set()

    def advance(self, next_cursor: str | None, url: str) -> None:
        """Record one fetched page and its ``next_cursor``; raise ``PaginationError`` on a repeat/budget."""
        self.pages += 1
        if next_cursor is not None:
            if next_cursor in self._seen:
                raise PaginationError(
                    f"{self.what}: the server returned cursor {next_cursor[:80]!r} a second time (after "
                    f"{self.pages} pages, last URL {url}); it is ignoring the cursor parameter, so paging would "
                    f"loop forever. Pages so far are complete; narrow the query (e.g. a date window) and re-run.",
                    url=url,
                    setting=self.setting,
                )
            self._seen.add(next_cursor)
        if self.max_pages is not None and self.pages >= self.max_pages and next_cursor is not None:
            raise PaginationError(
                f"{self.what}: stopped after max_pages={self.max_pages} pages with more available (last URL {url}). "
                f"Raise max_pages or narrow the query.",
                url=url,
                setting=self.setting,
            )


def param_value(value: Any) -> str:
    """One query value as the APIs expect it: ``true``/``false`` (not Python's ``True``), ISO-8601 ``Z``
    datetimes, plain decimals."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
        return moment.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def encode_params(params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None) -> list[tuple[str, str]]:
    """Encode query parameters as ordered pairs for ``requests``.

    Lists/tuples/sets become **repeated** keys (``clob_token_ids=A&clob_token_ids=B``: Gamma rejects the
    comma-joined form with 422 "invalid clob token ids", §1.3). ``None`` values are dropped.
    """
    if params is None:
        return []
    pairs = params.items() if isinstance(params, Mapping) else params
    encoded: list[tuple[str, str]] = []
    for key, value in pairs:
        if value is None:
            continue
        if isinstance(value, (list, tuple, set, frozenset)):
            encoded.extend((key, param_value(item)) for item in value if item is not None)
        else:
            encoded.append((key, param_value(value)))
    return encoded


def chunked(items: Sequence[T], size: int) -> Iterator[list[T]]:
    """Consecutive slices of at most ``size`` items."""
    if size < 1:
        raise ValueError(f"chunk size must be ≥ 1, got {size}")
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def dedupe(items: Iterable[T]) -> list[T]:
    """Items in first-seen order without repeats."""
    seen: set[Any] = set()
    result: list[T] = []
    for item in items:
        if item not in seen:
            seen.add(item)
            result.append(item)
    return result


def malformed(endpoint: Endpoint, response: RawResponse, reason: str) -> MalformedResponseError:
    """A ``MalformedResponseError`` for a 2xx body that decoded but has the wrong shape (keeps the bytes)."""
    return MalformedResponseError(
        f"{response.url} returned an unexpected body: {reason} ({len(response.body)} bytes: {response.body[:200]!r}).",
        body=response.body,
        url=response.url,
        reason=reason,
        setting=endpoint.setting,
    )


def envelope_list(endpoint: Endpoint, response: RawResponse, value: Any, key: str, *, null_is_empty: bool = False) -> list[Any]:
    """``value[key]`` as a list, or ``MalformedResponseError`` (e.g. Gamma keyset ``{"events": [...]}``,
    CLOB ``{"data": [...]}``, Data v2 ``{"data": [...] | null}``)."""
    if not isinstance(value, Mapping):
        raise malformed(endpoint, response, f"expected a JSON object with {key!r}, got {type(value).__name__}")
    if key not in value:
        raise malformed(endpoint, response, f"missing {key!r} (keys: {sorted(value)[:10]})")
    items = value[key]
    if items is None and null_is_empty:
        return []
    if not isinstance(items, list):
        raise malformed(endpoint, response, f"{key!r} is a {type(items).__name__}, expected an array")
    return items


def optional_cursor(endpoint: Endpoint, response: RawResponse, value: Any) -> str | None:
    """A ``next_cursor`` value: absent/``null``/``""`` → ``None``; anything but a string is malformed."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise malformed(endpoint, response, f"next_cursor is a {type(value).__name__}, expected a string")
    return value

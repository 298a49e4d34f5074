"""Published request budgets (api_reference §0.1) as data, and the request → budgets mapping.

Every budget is "``limit`` requests per sliding ``window_seconds``". A request spends *every* budget that
covers it, e.g. ``GET /events/keyset`` on Gamma spends ``gamma:/events`` (500), ``gamma:listing`` (900,
the combined ``/markets`` + ``/events`` listing) and ``gamma`` (4,000, the host-wide budget).

Naming: the host-wide budget is the API name itself (``gamma``, ``data``, ``clob``, ``limitless``); an
endpoint budget is ``<api>:<path prefix>``; ``gamma:listing`` is the one combined budget.

The cross-host "all: 15,000 / 10 s" line is not modelled: the host budgets sum to 14,000, so it can never
bind. The health check ``/ok`` is never called by the pipeline.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

__all__ = ["Budget", "DEFAULT_BUDGETS", "budgets_for", "merge_budgets"]


@dataclass(frozen=True)
class Budget:
    """``limit`` requests per sliding window of ``window_seconds`` (the server's window, without margin)."""

    name: str
    limit: int
    window_seconds: float = 10.0

    def __post_init__(self) -> None:
        if isinstance(self.limit, bool) or not isinstance(self.limit, int) or self.limit < 1:
            raise ValueError(f"Budget {self.name!r}: limit must be a positive integer, got {self.limit!r}.")
        if not isinstance(self.window_seconds, (int, float)) or not self.window_seconds > 0:
            raise ValueError(f"Budget {self.name!r}: window_seconds must be > 0, got {self.window_seconds!r}.")

    @property
    def per_second(self) -> float:
        """The sustained rate this budget allows."""
        return self.limit / self.window_seconds

    def describe(self) -> str:
        return f"{self.limit} requests / {self.window_seconds:g} s"


def _budgets(*items: tuple[str, int]) -> dict[str, Budget]:
    return {name: Budget(name, limit) for name, limit in items}


#: api_reference §0.1 (docs.polymarket.com/api-reference/rate-limits); Limitless publishes none, 10 req/s is ours.
DEFAULT_BUDGETS: Mapping[str, Budget] = _budgets(
    ("gamma", 4000),
    ("gamma:/events", 500),
    ("gamma:/markets", 300),
    ("gamma:listing", 900),
    ("gamma:/comments", 200),
    ("gamma:/tags", 200),
    ("gamma:/public-search", 350),
    ("data", 1000),
    ("data:/trades", 200),
    ("data:/positions", 150),
    ("data:/closed-positions", 150),
    ("clob", 9000),
    ("clob:/book", 1500),
    ("clob:/price", 1500),
    ("clob:/midpoint", 1500),
    ("clob:/books", 500),
    ("clob:/prices", 500),
    ("clob:/midpoints", 500),
    ("clob:/prices-history", 1000),
    ("clob:/tick-size", 200),
    ("limitless", 100),
)

# First path segment (after an optional Data API "/v2") → endpoint budget. Matching is on whole segments, so
# "/book" never matches "/books" and "/price" never matches "/prices-history".
_GAMMA_SEGMENTS = {
    "events": "gamma:/events",
    "markets": "gamma:/markets",
    "comments": "gamma:/comments",
    "tags": "gamma:/tags",
    "public-search": "gamma:/public-search",
}
_DATA_SEGMENTS = {
    "trades": "data:/trades",
    "positions": "data:/positions",
    "closed-positions": "data:/closed-positions",
}
_CLOB_SEGMENTS = {
    "book": "clob:/book",
    "books": "clob:/books",
    "price": "clob:/price",
    "prices": "clob:/prices",
    "midpoint": "clob:/midpoint",
    "midpoints": "clob:/midpoints",
    "prices-history": "clob:/prices-history",
    "batch-prices-history": "clob:/prices-history",
    "tick-size": "clob:/tick-size",
}
# Gamma list endpoints (offset list or keyset) that also spend the combined listing budget.
_GAMMA_LISTING = re.compile(r"^/(events|markets)(/keyset)?/?$")


def _segments(path: str) -> list[str]:
    path = path.split("?", 1)[0].split("#", 1)[0]
    return [part for part in path.split("/") if part]


def budgets_for(api: str, method: str, path: str) -> list[str]:
    """Every budget one request spends, most specific first, the host-wide budget (``api``) last.

    ``method`` is accepted for symmetry with the transport; the published budgets are per path, and the
    POST batch endpoints (``/books``, ``/prices``, ``/batch-prices-history``) have paths of their own.
    Paths may carry a query string; it is ignored. Unknown APIs get just ``[api]``.
    """
    del method  # budgets are keyed by path only (see docstring)
    parts = _segments(path)
    first = parts[0] if parts else ""
    names: list[str] = []
    if api == "gamma":
        if first in _GAMMA_SEGMENTS:
            names.append(_GAMMA_SEGMENTS[first])
        if _GAMMA_LISTING.match("/" + "/".join(parts)):
            names.append("gamma:listing")
    elif api == "data":
        if first == "v2" and len(parts) > 1:
            first = parts[1]
        if first in _DATA_SEGMENTS:
            names.append(_DATA_SEGMENTS[first])
    elif api == "clob":
        if first in _CLOB_SEGMENTS:
            names.append(_CLOB_SEGMENTS[first])
    names.append(api)
    return names


def merge_budgets(
    overrides: Mapping[str, int | Mapping[str, int | float]] | None = None,
    base: Mapping[str, Budget] = DEFAULT_BUDGETS,
) -> dict[str, Budget]:
    """``base`` (the published budgets) with config overrides applied.

    An override is either a limit (``{"data:/trades": 150}``) or a mapping with ``limit`` and/or
    ``window_seconds`` (``{"limitless": {"limit": 50, "window_seconds": 10}}``). Unknown names are rejected
    with the list of valid ones, so a typo in run config cannot silently leave a budget unenforced.
    """
    merged = dict(base)
    unknown = sorted(set(overrides or {}) - set(base))
    if unknown:
        raise ValueError(
            f"Unknown rate-limit budget name(s) {', '.join(map(repr, unknown))} in the rate_limiter budgets "
            f"config. Valid names: {', '.join(sorted(base))}."
        )
    for name, value in (overrides or {}).items():
        current = base[name]
        if isinstance(value, Mapping):
            extra = sorted(set(value) - {"limit", "window_seconds"})
            if extra:
                raise ValueError(
                    f"Budget override {name!r} has unknown key(s) {extra}; use 'limit' and/or 'window_seconds'."
                )
            merged[name] = replace(
                current,
                limit=value.get("limit", current.limit),  # type: ignore[arg-type]
                window_seconds=float(value.get("window_seconds", current.window_seconds)),
            )
        else:
            merged[name] = replace(current, limit=value)
    return merged

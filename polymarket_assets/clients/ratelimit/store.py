"""What a limiter store gives :class:`~polymarket_assets.clients.ratelimit.limiter.SharedRateLimiter`: one
:class:`Slot` per budget (a pyrate bucket in that store), and :func:`open_store` to pick the store from its URL.

A slot's operations are single, non-blocking steps on the shared state; all waiting is the limiter's:

* ``try_take(token)`` — one check-and-insert with a fresh timestamp from the store's clock; ``(granted, stamp)``;
* ``wait_seconds()`` — until the budget's oldest blocking permit leaves the window (0: room now, or the store
  was busy: try again);
* ``restamp(token, stamp)`` — move the permit to "now" on the store's clock (at completion); returns the new stamp;
* ``give_back(token, stamp)`` — remove it (a later budget of the same request timed out);
* ``in_window()`` and ``leak()`` (drop permits older than the window).

The clock of a store is the one its permits are compared on: the SQLite store's is the machine's, the
Postgres store's is the database server's, the Redis store's is the Redis server's — so machines sharing a
Postgres or Redis limiter need no clock synchronisation between them.
"""

from __future__ import annotations

import re
import zlib
from typing import Protocol

from polymarket_assets.clients.budgets import Budget
from polymarket_assets.redact import mask_url


class StoreError(RuntimeError):
    """The limiter's store cannot be used (unreachable, refused, no rights). Names the setting and the masked URL."""


class Slot(Protocol):
    budget: Budget
    interval_ms: int

    def try_take(self, token: str) -> tuple[bool, int]: ...

    def wait_seconds(self) -> float: ...

    def restamp(self, token: str, stamp: int) -> int: ...

    def give_back(self, token: str, stamp: int) -> None: ...

    def in_window(self) -> int: ...

    def leak(self) -> None: ...

    def close(self) -> None: ...


class Store(Protocol):
    url: str  # as configured (may hold a password: never print it; use describe())

    def describe(self) -> str: ...

    def check(self) -> None: ...

    def slot(self, budget: Budget, interval_ms: int) -> Slot: ...

    def close(self) -> None: ...


def table_name(budget_name: str, slug_chars: int = 40) -> str:
    """A safe, stable table/key name for a budget ("gamma:/events" → "rl_gamma_events_1a2b3c4d")."""
    slug = re.sub(r"[^A-Za-z0-9]+", "_", budget_name).strip("_")[:slug_chars]
    return f"rl_{slug}_{zlib.crc32(budget_name.encode()):08x}"


def wait_from(blocking_ms: int | None, now_ms: int, interval_ms: int) -> float:
    """Seconds until the permit stamped ``blocking_ms`` leaves an ``interval_ms`` window (the window start is
    inclusive, as in pyrate's ``SlidingWindowLog.retry_after``); 0 when there is no such permit."""
    if blocking_ms is None:
        return 0.0
    return max(0, blocking_ms + interval_ms + 1 - now_ms) / 1000


def scheme_of(url: str) -> str:
    head = url.split(":", 1)[0].lower()
    return head.split("+", 1)[0]


def _require(module: str, url: str, origin: str) -> None:
    """The client library a store needs is installed, or a message saying how to install it."""
    import importlib.util

    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise StoreError(
            f"{origin}: {mask_url(url)!r} needs the Python package {module!r}, which is not installed. Install the "
            "distributed extra: pip install -e '.[distributed]' (or pip install 'polymarket-assets[distributed]')."
        )


def open_store(url: str, *, origin: str = "POLYMARKET_RATELIMIT_URL") -> Store:
    """The store named by ``url`` (no connection is made yet: :meth:`Store.check` does that). ``origin`` names
    where the URL came from, for messages."""
    scheme = scheme_of(url)
    if scheme == "sqlite":
        from polymarket_assets.clients.ratelimit.sqlite_store import SqliteStore

        return SqliteStore(url, origin)
    if scheme in ("postgresql", "postgres"):
        _require("psycopg_pool", url, origin)
        from polymarket_assets.clients.ratelimit.postgres_store import PostgresStore

        return PostgresStore(url, origin)
    if scheme in ("redis", "rediss"):
        _require("redis", url, origin)
        from polymarket_assets.clients.ratelimit.redis_store import RedisStore

        return RedisStore(url, origin)
    raise StoreError(
        f"{origin}: {mask_url(url)!r} is not a limiter store; use sqlite:///<file>, postgresql://… or redis://…"
    )

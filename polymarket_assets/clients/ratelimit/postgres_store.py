"""The Postgres store (``postgresql://user:password@host:port/database``): every process on every machine.

One pyrate-limiter ``PostgresBucket`` per budget: its own table ``ratelimit___rl_<budget>_<crc>`` (created on
first use, so the role needs CREATE on the schema, or an administrator creates the tables once by running
``polymarket-assets doctor`` as a role that may), rows ``(name, weight, item_timestamp)``. A take is pyrate's
``put``: ``LOCK TABLE … IN EXCLUSIVE MODE NOWAIT``, count the window, insert — atomic across machines; a busy
lock answers "not now" at once and the limiter retries a few milliseconds later. Time comes from the Postgres
server (pyrate's ``PostgresClock``: ``clock_timestamp()``), and so does the completion re-stamp
(``UPDATE … SET item_timestamp = clock_timestamp() WHERE name = <token>``): every machine's permits are on one
clock. Every connection runs with ``TimeZone = 'UTC'``: pyrate stores ``timestamp without time zone``, which is
only comparable across sessions that agree on the zone.

Connections: one psycopg pool per process (``psycopg_pool``), shared by every budget. :meth:`PostgresStore.check`
connects once with a short timeout; an unreachable server or a refused login fails there, naming the setting
and the URL with its password masked.
"""

from __future__ import annotations

import threading
from typing import Any

from pyrate_limiter import PostgresBucket, Rate, RateItem

from polymarket_assets.clients.budgets import Budget
from polymarket_assets.clients.ratelimit.store import StoreError, table_name, wait_from
from polymarket_assets.redact import mask_url, scrub, url_secrets

CONNECT_TIMEOUT_S = 5
POOL_MAX = 8


def _conninfo(url: str) -> str:
    """psycopg takes ``postgresql://``/``postgres://`` URLs; drop a SQLAlchemy-style ``+driver``."""
    scheme, rest = url.split("://", 1)
    return scheme.split("+", 1)[0] + "://" + rest


class PostgresSlot:
    def __init__(self, store: PostgresStore, budget: Budget, interval_ms: int):
        from psycopg import sql

        self.store = store
        self.budget = budget
        self.interval_ms = interval_ms
        try:
            self.bucket = PostgresBucket(store.pool(), table_name(budget.name, 30), [Rate(budget.limit, interval_ms)])
        except Exception as exc:  # noqa: BLE001 - psycopg errors: insufficient privilege, connection lost
            raise store.error(exc, f"creating the limiter table of budget {budget.name!r}") from exc
        table = sql.Identifier(self.bucket._full_tbl)
        self._restamp = sql.SQL(
            "UPDATE {} SET item_timestamp = clock_timestamp() WHERE name = %s "
            "RETURNING (extract(epoch FROM item_timestamp::timestamptz) * 1000)::bigint"
        ).format(table)
        self._delete = sql.SQL("DELETE FROM {} WHERE name = %s").format(table)
        self._count = sql.SQL("SELECT count(*) FROM {} WHERE item_timestamp >= to_timestamp(%s / 1000.0)").format(table)

    def _now(self) -> int:
        with self.store.pool().connection() as conn:
            row = conn.execute("SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint").fetchone()
        return int(row[0])

    def try_take(self, token: str) -> tuple[bool, int]:
        import psycopg

        try:
            stamp = self._now()
            return bool(self.bucket.put(RateItem(token, stamp))), stamp
        except psycopg.Error as exc:
            raise self.store.error(exc, f"taking a permit of budget {self.budget.name!r}") from exc

    def wait_seconds(self) -> float:
        blocking: Any = self.bucket.peek(self.budget.limit - 1)  # a RateItem or None (the sync bucket)
        return wait_from(None if blocking is None else int(blocking.timestamp), self._now(), self.interval_ms)

    def restamp(self, token: str, stamp: int) -> int:
        import psycopg

        try:
            with self.store.pool().connection() as conn:
                row = conn.execute(self._restamp, (token,)).fetchone()
        except psycopg.Error as exc:
            raise self.store.error(exc, f"re-stamping a permit of budget {self.budget.name!r}") from exc
        return int(row[0]) if row else stamp

    def give_back(self, token: str, stamp: int) -> None:
        with self.store.pool().connection() as conn:
            conn.execute(self._delete, (token,))

    def in_window(self) -> int:
        since = self._now() - self.interval_ms
        with self.store.pool().connection() as conn:
            row = conn.execute(self._count, (since,)).fetchone()
        return int(row[0])

    def leak(self) -> None:
        self.bucket.leak(self._now())

    def close(self) -> None:
        pass  # the pool is the store's


def _utc(conn: Any) -> None:
    conn.execute("SET TimeZone = 'UTC'")
    conn.commit()


class PostgresStore:
    def __init__(self, url: str, origin: str = "POLYMARKET_RATELIMIT_URL"):
        self.url = url
        self.origin = origin
        self._pool: Any = None
        self._lock = threading.Lock()

    def describe(self) -> str:
        return mask_url(self.url)

    def error(self, exc: BaseException, doing: str) -> StoreError:
        text = scrub(str(exc).strip(), url_secrets(self.url)) or type(exc).__name__
        hint = ""
        if "password authentication failed" in text or "no password supplied" in text:
            hint = " Check the user and password in the URL."
        elif "permission denied" in text.lower():
            hint = " The role needs CREATE on the schema (GRANT CREATE ON SCHEMA public TO <role>), or create the tables once as an owner."
        elif "does not exist" in text and "database" in text:
            hint = " Create the database first (CREATE DATABASE …)."
        else:
            hint = " Is the server running and reachable from this machine?"
        return StoreError(f"{self.origin}: the rate limiter's Postgres store {self.describe()} failed while {doing}: {text}.{hint}")

    def check(self) -> None:
        """Connect once (short timeout): fails here, naming the setting, when the server is unreachable."""
        import psycopg

        try:
            with psycopg.connect(_conninfo(self.url), connect_timeout=CONNECT_TIMEOUT_S) as conn:
                conn.execute("SELECT 1")
        except psycopg.Error as exc:
            raise self.error(exc, "connecting") from exc

    def pool(self) -> Any:
        with self._lock:
            if self._pool is None:
                from psycopg_pool import ConnectionPool

                self._pool = ConnectionPool(
                    _conninfo(self.url), min_size=1, max_size=POOL_MAX, kwargs={"connect_timeout": CONNECT_TIMEOUT_S},
                    configure=_utc, open=True, timeout=30, name="polymarket-ratelimit",
                )
            return self._pool

    def slot(self, budget: Budget, interval_ms: int) -> PostgresSlot:
        return PostgresSlot(self, budget, interval_ms)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()

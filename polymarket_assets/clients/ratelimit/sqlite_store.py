"""The SQLite store (``sqlite:///<file>``, the default): every process on ONE machine.

One pyrate-limiter ``SQLiteBucket`` table per budget in one file, guarded by pyrate's cross-process file lock
(``<file>.lock``, filelock). A take is: file lock, read the clock, pyrate's check-and-insert (``put``), unlock
— so a permit's stamp is its grant time even under contention (the lock is held from the clock read to the
insert). The clock is this machine's wall clock. SQLite and file locks are not safe on network file systems:
for several machines use the Postgres or Redis store.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import cast

from filelock import FileLock
from pyrate_limiter import Rate, RateItem, SQLiteBucket

from polymarket_assets.clients.budgets import Budget
from polymarket_assets.clients.ratelimit.store import StoreError, table_name, wait_from

POLL_S = 0.002


def path_of(url: str) -> Path:
    """``sqlite:///abs/path`` (also ``sqlite:////abs/path``) -> the file; ``sqlite:rel`` is relative."""
    rest = url.split(":", 1)[1]
    if rest.startswith("//"):
        rest = "/" + rest[2:].lstrip("/")
    return Path(rest).expanduser().resolve()


class SqliteSlot:
    def __init__(self, path: Path, budget: Budget, interval_ms: int):
        self.budget = budget
        self.interval_ms = interval_ms
        self.bucket = SQLiteBucket.init_from_file(
            [Rate(budget.limit, interval_ms)], table=table_name(budget.name), db_path=str(path), use_file_lock=True
        )

    @property
    def file_lock(self) -> FileLock:
        """The bucket's cross-process file lock (``use_file_lock=True``; pyrate types it as an ``RLock``)."""
        return cast(FileLock, self.bucket.lock)

    def _locked(self) -> FileLock:
        return self.file_lock.acquire(poll_interval=POLL_S)  # type: ignore[return-value]

    def try_take(self, token: str) -> tuple[bool, int]:
        with self._locked():  # reentrant: pyrate's put takes the same lock
            stamp = int(self.bucket.now())
            return bool(self.bucket.put(RateItem(token, stamp))), stamp

    def wait_seconds(self) -> float:
        with self._locked():
            blocking = self.bucket.peek(self.budget.limit - 1)
            now_ms = int(self.bucket.now())
        return wait_from(None if blocking is None else int(blocking.timestamp), now_ms, self.interval_ms)

    def _execute(self, sql: str, params: tuple) -> None:
        with self._locked():
            conn: sqlite3.Connection = self.bucket.conn
            conn.execute(sql, params)
            conn.commit()

    def restamp(self, token: str, stamp: int) -> int:
        now_ms = int(self.bucket.now())
        self._execute(f"UPDATE '{self.bucket.table}' SET item_timestamp = ? WHERE name = ?", (now_ms, token))
        return now_ms

    def give_back(self, token: str, stamp: int) -> None:
        self._execute(f"DELETE FROM '{self.bucket.table}' WHERE name = ?", (token,))

    def in_window(self) -> int:
        with self._locked():
            since = int(self.bucket.now()) - self.interval_ms
            row = self.bucket.conn.execute(f"SELECT COUNT(*) FROM '{self.bucket.table}' WHERE item_timestamp >= ?", (since,)).fetchone()
        return int(row[0])

    def leak(self) -> None:
        self.bucket.leak(int(self.bucket.now()))

    def close(self) -> None:
        self.bucket.close()


class SqliteStore:
    def __init__(self, url: str, origin: str = "POLYMARKET_RATELIMIT_URL"):
        self.url = url
        self.origin = origin
        self.path = path_of(url)

    def describe(self) -> str:
        return f"sqlite:///{str(self.path).lstrip('/')}"

    def check(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            sqlite3.connect(str(self.path)).close()
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"{self.origin}: the limiter's SQLite file {self.path} cannot be opened ({exc}); point it at a writable file.") from exc

    def slot(self, budget: Budget, interval_ms: int) -> SqliteSlot:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteSlot(self.path, budget, interval_ms)

    def close(self) -> None:
        pass

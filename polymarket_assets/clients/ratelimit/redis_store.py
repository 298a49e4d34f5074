"""The Redis store (``redis://[:password@]host:port/db``, ``rediss://`` for TLS): every process on every machine.

One pyrate-limiter ``RedisBucket`` per budget: a sorted set ``polymarket-assets:ratelimit:<budget>`` of permits
scored by their time in ms, checked and inserted atomically by pyrate's Lua script. pyrate's bucket takes "now"
from each host's clock (``time_ns``), which would make the never-over guarantee depend on the machines' clock
sync; this store reads the time from the Redis server instead (``TIME``), for the grant and for the completion
re-stamp (a Lua script that moves the token's member to the server's ``TIME``), so every machine's permits are
on one clock, as with Postgres.

pyrate's check-and-insert script counts the window as ``ZCOUNT key <window start> <the taker's now>``. A permit
that another process re-stamped a moment after this taker read the clock has a *later* score and would not be
counted (the two-process test caught one request over budget). The store therefore loads pyrate's own script
with that upper bound at ``+inf`` — the only change; the SQLite and Postgres buckets count without an upper
bound already.

Connections: one redis-py client (with its connection pool) per process, shared by every budget.
:meth:`RedisStore.check` pings once without retries (redis-py retries an authentication failure for about 3 s
by default); an unreachable server or a wrong password fails there, naming the setting and the masked URL.
"""

from __future__ import annotations

import threading
from typing import Any, cast

from pyrate_limiter import Rate, RateItem, RedisBucket
from pyrate_limiter.buckets.redis_bucket import LuaScript

from polymarket_assets.clients.budgets import Budget
from polymarket_assets.clients.ratelimit.store import StoreError, wait_from
from polymarket_assets.redact import mask_url, scrub, url_secrets

KEY_PREFIX = "polymarket-assets:ratelimit:"
SOCKET_TIMEOUT_S = 5.0

_PYRATE_COUNT = "redis.call('ZCOUNT', bucket, window_start, now)"
if _PYRATE_COUNT not in LuaScript.PUT_ITEM:  # pragma: no cover - a pyrate upgrade changed its script: look again
    raise ImportError("pyrate-limiter's RedisBucket script changed; polymarket_assets/clients/ratelimit/redis_store.py must be reviewed")
#: pyrate's check-and-insert, counting every permit from the window start on (see the module docstring)
PUT_ITEM = LuaScript.PUT_ITEM.replace(_PYRATE_COUNT, "redis.call('ZCOUNT', bucket, window_start, '+inf')")

# KEYS[1] bucket; ARGV[1] the permit's current score; ARGV[2] the token; ARGV[3] "restamp" | "remove".
# pyrate names a permit "<token>:<random id>:<n>", so the token's member is found among the few with its score.
_MOVE = """
local members = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1])
local prefix = ARGV[2] .. ':'
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for _, member in ipairs(members) do
  if string.sub(member, 1, #prefix) == prefix then
    if ARGV[3] == 'remove' then redis.call('ZREM', KEYS[1], member) else redis.call('ZADD', KEYS[1], 'XX', now, member) end
  end
end
return now
"""


class ServerClockRedisBucket(RedisBucket):
    """pyrate's ``RedisBucket`` with "now" read from the Redis server (``TIME``) instead of this host's clock."""

    def now(self) -> int:
        seconds, micros = cast(tuple, self.redis.time())
        return int(seconds) * 1000 + int(micros) // 1000


class RedisSlot:
    def __init__(self, store: RedisStore, budget: Budget, interval_ms: int):
        self.store = store
        self.budget = budget
        self.interval_ms = interval_ms
        self.key = KEY_PREFIX + budget.name
        client = store.client()
        self.bucket = ServerClockRedisBucket([Rate(budget.limit, interval_ms)], client, self.key, client.script_load(PUT_ITEM))
        self._move = client.register_script(_MOVE)

    def _call(self, doing: str, fn: Any, *args: Any) -> Any:
        import redis

        try:
            return fn(*args)
        except redis.RedisError as exc:
            raise self.store.error(exc, f"{doing} (budget {self.budget.name!r})") from exc

    def try_take(self, token: str) -> tuple[bool, int]:
        def take() -> tuple[bool, int]:
            stamp = self.bucket.now()
            return bool(self.bucket.put(RateItem(token, stamp))), stamp

        return self._call("taking a permit", take)

    def wait_seconds(self) -> float:
        def wait() -> float:
            blocking: Any = self.bucket.peek(self.budget.limit - 1)  # a RateItem or None (the sync client)
            return wait_from(None if blocking is None else int(blocking.timestamp), self.bucket.now(), self.interval_ms)

        return self._call("reading the window", wait)

    def restamp(self, token: str, stamp: int) -> int:
        return int(self._call("re-stamping a permit", self._move, [self.key], [stamp, token, "restamp"]))

    def give_back(self, token: str, stamp: int) -> None:
        self._call("giving a permit back", self._move, [self.key], [stamp, token, "remove"])

    def in_window(self) -> int:
        return int(self._call("counting the window", lambda: self.store.client().zcount(self.key, self.bucket.now() - self.interval_ms, "+inf")))

    def leak(self) -> None:
        self._call("dropping old permits", lambda: self.bucket.leak(self.bucket.now()))

    def close(self) -> None:
        pass  # the client is the store's


class RedisStore:
    def __init__(self, url: str, origin: str = "POLYMARKET_RATELIMIT_URL"):
        self.url = url
        self.origin = origin
        self._client: Any = None
        self._lock = threading.Lock()

    def describe(self) -> str:
        return mask_url(self.url)

    def error(self, exc: BaseException, doing: str) -> StoreError:
        import redis

        text = scrub(str(exc).strip(), url_secrets(self.url)) or type(exc).__name__
        if isinstance(exc, redis.AuthenticationError) or "WRONGPASS" in text or "NOAUTH" in text:
            hint = " Check the password in the URL (redis://:<password>@host:port/db)."
        else:
            hint = " Is the server running and reachable from this machine?"
        return StoreError(f"{self.origin}: the rate limiter's Redis store {self.describe()} failed while {doing}: {text}.{hint}")

    def check(self) -> None:
        """One PING without retries (a short timeout): fails here, naming the setting, when unusable."""
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        probe = redis.Redis.from_url(self.url, socket_timeout=SOCKET_TIMEOUT_S, socket_connect_timeout=SOCKET_TIMEOUT_S,
                                     retry=Retry(NoBackoff(), 0))
        try:
            probe.ping()
            probe.time()
        except redis.RedisError as exc:
            raise self.error(exc, "connecting") from exc
        finally:
            probe.close()

    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                import redis

                self._client = redis.Redis.from_url(self.url, socket_timeout=SOCKET_TIMEOUT_S, socket_connect_timeout=SOCKET_TIMEOUT_S)
            return self._client

    def slot(self, budget: Budget, interval_ms: int) -> RedisSlot:
        import redis

        try:
            return RedisSlot(self, budget, interval_ms)
        except redis.RedisError as exc:
            raise self.error(exc, f"loading the limiter script for budget {budget.name!r}") from exc

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

"""One sliding-window rate limiter shared by every thread and process — on one machine or on many.

:class:`SharedRateLimiter` (``limiter.py``) takes permits from one pyrate-limiter bucket per budget in a store
named by a URL (``POLYMARKET_RATELIMIT_URL``):

* ``sqlite:///<file>`` (``sqlite_store.py``, the default): pyrate's ``SQLiteBucket`` + its file lock; every
  process on one machine;
* ``postgresql://user:password@host:port/db`` (``postgres_store.py``): pyrate's ``PostgresBucket`` (one table
  per budget, time from the Postgres server); every process on every machine;
* ``redis://[:password@]host:port/db`` (``redis_store.py``): pyrate's ``RedisBucket`` (one sorted set per
  budget, atomic Lua check-and-insert), with time from the Redis server; every process on every machine.

Every backend keeps the same guarantee: a permit is stamped when granted and re-stamped when its request
completes, on the store's one clock (see ``limiter.py``).
"""

from polymarket_assets.clients.ratelimit.limiter import SharedRateLimiter
from polymarket_assets.clients.ratelimit.store import StoreError, open_store

__all__ = ["SharedRateLimiter", "StoreError", "open_store"]

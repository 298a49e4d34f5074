"""Real service processes on 127.0.0.1 for tests: PostgreSQL, Redis and an S3 API (moto).

Each ``start_*`` function starts one server on a free port of 127.0.0.1 in its own temporary directory and
returns a handle whose ``stop()`` ends the process and removes the directory. When the tests run as root
(CI and this machine do), the database servers run as an unprivileged system account (``postgres``,
``redis``, else ``nobody``): PostgreSQL refuses to run as root, and neither server needs to. A server whose
program is missing raises ``ServiceUnavailable`` naming what is missing and the command that installs it; the
pytest fixtures (``polymarket_assets_tests.support.service_fixtures``) let that error the test, never skip it.

Programs: PostgreSQL from Debian's ``postgresql`` package (``/usr/lib/postgresql/<version>/bin``, or
``POLYMARKET_TEST_PG_BIN``), ``redis-server`` from Debian's ``redis-server`` (or
``POLYMARKET_TEST_REDIS_SERVER``), and moto's server module from ``pip install 'moto[server]'``.
"""

from polymarket_assets_tests.support.services.postgres_server import PostgresServer, postgres_bin_dir, start_postgres
from polymarket_assets_tests.support.services.processes import HOST, ServiceUnavailable, free_port, require_module
from polymarket_assets_tests.support.services.redis_server import RedisServer, redis_server_program, start_redis
from polymarket_assets_tests.support.services.s3_server import S3Server, start_s3

__all__ = [
    "HOST",
    "PostgresServer",
    "RedisServer",
    "S3Server",
    "ServiceUnavailable",
    "free_port",
    "postgres_bin_dir",
    "redis_server_program",
    "require_module",
    "start_postgres",
    "start_redis",
    "start_s3",
]

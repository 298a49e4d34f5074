"""A throwaway ``redis-server`` on a free port of 127.0.0.1: no persistence, a password, a temp dir."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from polymarket_assets_tests.support.services.processes import (
    HOST,
    PIP_DEV,
    require_module,
    require_program,
    service_account,
    service_dir,
    spawn,
    start_on_free_port,
    stop,
    write_private,
)

REDIS_APT = "apt-get update && apt-get install -y redis-server"


@dataclass
class RedisServer:
    """A running redis-server that requires ``password`` (the default user's)."""

    port: int
    password: str
    root: Path
    process: subprocess.Popen
    host: str = HOST

    def url_for(self, db: int = 0) -> str:
        return f"redis://:{self.password}@{self.host}:{self.port}/{db}"

    @property
    def url(self) -> str:
        return self.url_for(0)

    def client(self, db: int = 0):
        import redis

        return redis.Redis(host=self.host, port=self.port, password=self.password, db=db, socket_timeout=5)

    def stop(self) -> None:
        stop(self.process, signal.SIGTERM)
        shutil.rmtree(self.root, ignore_errors=True)


def redis_server_program() -> str:
    """``POLYMARKET_TEST_REDIS_SERVER``, else ``redis-server`` on PATH or in /usr/bin."""
    configured = os.environ.get("POLYMARKET_TEST_REDIS_SERVER")
    program = configured or shutil.which("redis-server") or "/usr/bin/redis-server"
    require_program(program, "redis-server", REDIS_APT)
    return program


def start_redis(program: str | None = None) -> RedisServer:
    """Run ``redis-server`` (as the ``redis`` user when root) with RDB and AOF off, in a temp dir."""
    if program is not None:
        require_program(program, "redis-server", REDIS_APT)
    program = program or redis_server_program()
    require_module("redis", PIP_DEV)
    import redis

    account = service_account("redis")
    root = service_dir("redis", account)
    log_path = root / "redis.log"
    password = secrets.token_hex(16)
    try:

        def launch(port: int) -> subprocess.Popen:
            conf = root / "redis.conf"
            write_private(
                conf,
                f"bind {HOST}\nport {port}\nprotected-mode yes\ndaemonize no\ndir {root}\n"
                f'save ""\nappendonly no\nlogfile ""\nrequirepass {password}\n',
                account,
            )
            return spawn([program, str(conf)], account, log_path, root, signal.SIGTERM)

        def probe(port: int) -> None:
            redis.Redis(host=HOST, port=port, password=password, socket_timeout=2).ping()

        port, process = start_on_free_port("redis-server", launch, probe, log_path, signal.SIGTERM, "Address already in use")
        return RedisServer(port=port, password=password, root=root, process=process)
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise

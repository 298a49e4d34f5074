"""A throwaway PostgreSQL cluster: ``initdb`` into a temp dir, ``postgres`` on a free port of 127.0.0.1."""

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
    START_TIMEOUT_S,
    ServiceUnavailable,
    log_tail,
    require_module,
    service_account,
    service_dir,
    spawn,
    start_on_free_port,
    stop,
    write_private,
)

PG_APT = "apt-get update && apt-get install -y postgresql"
SUPERUSER = "postgres"

# A throwaway cluster: speed over durability. Dagster opens a connection pool per process (webserver,
# daemon, code server, each run worker), hence the connection headroom.
SETTINGS = {
    "listen_addresses": HOST,
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "32MB",
    "max_connections": "200",
}


def postgres_bin_dir() -> Path:
    """The directory holding ``initdb`` and ``postgres``: ``POLYMARKET_TEST_PG_BIN`` or Debian's newest."""
    configured = os.environ.get("POLYMARKET_TEST_PG_BIN")
    if configured:
        candidates = [Path(configured)]
    else:
        found = Path("/usr/lib/postgresql").glob("*/bin")
        candidates = sorted(found, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0, reverse=True)
    for candidate in candidates:
        if (candidate / "initdb").is_file() and (candidate / "postgres").is_file():
            return candidate
    where = f"POLYMARKET_TEST_PG_BIN={configured}" if configured else "/usr/lib/postgresql/<version>/bin"
    raise ServiceUnavailable(f"PostgreSQL server programs (initdb, postgres) not found in {where}: run `{PG_APT}`")


@dataclass
class PostgresServer:
    """A running cluster with one login role (``user``/``password``, not a superuser) owning ``database``."""

    port: int
    user: str
    password: str
    database: str
    superuser_password: str
    root: Path
    process: subprocess.Popen
    host: str = HOST
    superuser: str = SUPERUSER

    def url_for(self, database: str) -> str:
        return f"postgresql://{self.user}:{self.password}@{self.host}:{self.port}/{database}"

    @property
    def url(self) -> str:
        return self.url_for(self.database)

    def connect(self, database: str | None = None, *, superuser: bool = False, autocommit: bool = True):
        import psycopg

        user, password = (self.superuser, self.superuser_password) if superuser else (self.user, self.password)
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=user,
            password=password,
            dbname=database or ("postgres" if superuser else self.database),
            autocommit=autocommit,
            connect_timeout=5,
        )

    def create_database(self, name: str) -> str:
        """Create database ``name`` owned by ``user``; return its URL."""
        from psycopg import sql

        with self.connect(superuser=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(self.user)))
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        from psycopg import sql

        with self.connect(superuser=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def stop(self) -> None:
        stop(self.process, signal.SIGINT)  # "fast" shutdown: roll back open transactions, end sessions
        shutil.rmtree(self.root, ignore_errors=True)


def start_postgres(bin_dir: Path | None = None) -> PostgresServer:
    """``initdb`` a cluster into a temp dir and run it on a free port of 127.0.0.1, never as root.

    Password (SCRAM) authentication for every connection; a login role ``polymarket`` with a random password
    owns the database ``polymarket``; the superuser ``postgres`` (random password) is for the fixtures."""
    bin_dir = bin_dir if bin_dir is not None else postgres_bin_dir()
    for program in ("initdb", "postgres"):
        if not (bin_dir / program).is_file():
            raise ServiceUnavailable(f"PostgreSQL server program {bin_dir / program} not found: run `{PG_APT}`")
    require_module("psycopg", PIP_DEV)
    import psycopg
    from psycopg import sql

    account = service_account("postgres")
    root = service_dir("postgres", account)
    log_path = root / "postgres.log"
    data = root / "data"
    superuser_password = secrets.token_hex(16)
    try:
        pwfile = root / "superuser.pw"
        write_private(pwfile, superuser_password + "\n", account)
        initdb = spawn(
            [
                str(bin_dir / "initdb"),
                f"--pgdata={data}",
                f"--username={SUPERUSER}",
                f"--pwfile={pwfile}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
            ],
            account,
            log_path,
            root,
            signal.SIGKILL,
        )
        if initdb.wait(timeout=START_TIMEOUT_S) != 0:
            raise ServiceUnavailable(f"initdb failed with code {initdb.returncode}; its log:\n{log_tail(log_path)}")

        def launch(port: int) -> subprocess.Popen:
            settings = {**SETTINGS, "port": str(port), "unix_socket_directories": str(root)}
            argv = [str(bin_dir / "postgres"), "-D", str(data)]
            for key, value in settings.items():
                argv += ["-c", f"{key}={value}"]
            return spawn(argv, account, log_path, root, signal.SIGQUIT)

        def probe(port: int) -> None:
            psycopg.connect(host=HOST, port=port, user=SUPERUSER, password=superuser_password, dbname="postgres", connect_timeout=2).close()

        port, process = start_on_free_port("PostgreSQL", launch, probe, log_path, signal.SIGQUIT, "could not bind")
        server = PostgresServer(
            port=port,
            user="polymarket",
            password=secrets.token_hex(16),
            database="polymarket",
            superuser_password=superuser_password,
            root=root,
            process=process,
        )
        try:
            with server.connect(superuser=True) as conn:
                create_role = sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}")
                conn.execute(create_role.format(sql.Identifier(server.user), sql.Literal(server.password)))
            server.create_database(server.database)
        except BaseException:
            stop(process, signal.SIGQUIT)
            raise
        return server
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise

"""The test services themselves: each one is real, reachable on 127.0.0.1 only, runs unprivileged, and takes
a write and gives it back. A missing program is an error that names the install command."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import psutil
import pytest

from polymarket_assets_tests.support.services import (
    HOST,
    PostgresServer,
    RedisServer,
    S3Server,
    ServiceUnavailable,
    require_module,
    start_postgres,
    start_redis,
)


def _process_user_ids(pid: int) -> set[int]:
    """Real uid of the server process and of every process it started."""
    process = psutil.Process(pid)
    uids = {process.uids().real}
    for child in process.children(recursive=True):
        try:
            uids.add(child.uids().real)
        except psutil.NoSuchProcess:  # e.g. the backend of a session that just closed
            pass
    return uids


def _assert_not_root_when_root(pid: int) -> None:
    if os.geteuid() == 0:
        assert 0 not in _process_user_ids(pid), "a test server runs as root"


# --- Postgres --------------------------------------------------------------------------------------------


def test_postgres_takes_a_write_and_reads_it_back(postgres_server: PostgresServer, postgres_url: str) -> None:
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (id int PRIMARY KEY, v text)")
        conn.execute("INSERT INTO t VALUES (1, 'one'), (2, 'two')")
    with psycopg.connect(postgres_url) as conn:  # a second session sees the committed rows
        assert conn.execute("SELECT id, v FROM t ORDER BY id").fetchall() == [(1, "one"), (2, "two")]
        assert conn.execute("SELECT current_user").fetchone() == (postgres_server.user,)
        assert conn.execute("SHOW listen_addresses").fetchone() == (HOST,)
        assert conn.execute("SELECT inet_server_addr()::text").fetchone() == (f"{HOST}/32",)
    _assert_not_root_when_root(postgres_server.process.pid)


def test_postgres_requires_the_password(postgres_server: PostgresServer, postgres_database: str) -> None:
    import psycopg

    wrong = f"postgresql://{postgres_server.user}:not-the-password@{HOST}:{postgres_server.port}/{postgres_database}"
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(wrong, connect_timeout=5)


def test_postgres_databases_are_fresh_per_test(postgres_server: PostgresServer, postgres_database: str) -> None:
    with postgres_server.connect(postgres_database) as conn:
        tables = conn.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'").fetchone()
    assert tables == (0,)


def test_missing_postgres_programs_name_the_package(tmp_path: Path) -> None:
    with pytest.raises(ServiceUnavailable, match=r"initdb.*not found.*apt-get install -y postgresql"):
        start_postgres(bin_dir=tmp_path / "no-postgres-here")


# --- Redis -----------------------------------------------------------------------------------------------


def test_redis_takes_a_write_and_reads_it_back(redis_server: RedisServer, redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url, socket_timeout=5)
    client.set("k", "v")
    client.zadd("z", {"a": 1, "b": 2})
    fresh = redis.Redis.from_url(redis_url, socket_timeout=5)
    assert fresh.get("k") == b"v"
    assert fresh.zrange("z", 0, -1) == [b"a", b"b"]
    assert client.config_get("save") == {"save": ""}
    assert client.config_get("appendonly") == {"appendonly": "no"}
    assert client.config_get("bind") == {"bind": HOST}
    _assert_not_root_when_root(redis_server.process.pid)


def test_redis_requires_the_password(redis_server: RedisServer) -> None:
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    no_retry = Retry(NoBackoff(), 0)  # redis-py retries an auth failure for ~3 s by default
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(host=HOST, port=redis_server.port, password="not-the-password", socket_timeout=5, retry=no_retry).ping()
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(host=HOST, port=redis_server.port, socket_timeout=5, retry=no_retry).get("k")


def test_missing_redis_server_names_the_package(tmp_path: Path) -> None:
    with pytest.raises(ServiceUnavailable, match=r"redis-server not found.*apt-get install -y redis-server"):
        start_redis(program=str(tmp_path / "redis-server"))


# --- S3 --------------------------------------------------------------------------------------------------


def test_s3_takes_a_write_and_reads_it_back(s3_server: S3Server, s3_bucket: str) -> None:
    client = s3_server.client()
    client.put_object(Bucket=s3_bucket, Key="bronze/day=2026-01-01/part-0.parquet", Body=b"PAR1 bytes")
    got = client.get_object(Bucket=s3_bucket, Key="bronze/day=2026-01-01/part-0.parquet")["Body"].read()
    assert got == b"PAR1 bytes"
    listed = client.list_objects_v2(Bucket=s3_bucket, Prefix="bronze/")
    assert [o["Key"] for o in listed["Contents"]] == ["bronze/day=2026-01-01/part-0.parquet"]


def test_s3_buckets_are_not_created_by_writes(s3_server: S3Server) -> None:
    """The server answers NoSuchBucket for a bucket nobody created, so a test of "never creates a bucket"
    can fail."""
    import botocore.exceptions

    missing = f"missing-{uuid.uuid4().hex[:12]}"
    with pytest.raises(botocore.exceptions.ClientError, match="NoSuchBucket"):
        s3_server.client().put_object(Bucket=missing, Key="k", Body=b"x")
    names = [b["Name"] for b in s3_server.client().list_buckets()["Buckets"]]
    assert missing not in names


def test_s3_env_is_what_pyarrow_and_duckdb_need(s3_env: dict[str, str], s3_bucket: str) -> None:
    """The standard AWS variables alone point pyarrow.fs at the local server, and DuckDB reads the lake through
    that filesystem registered as fsspec (fsspec's ArrowFSWrapper), so neither s3fs nor DuckDB's httpfs
    extension (not downloadable here) is needed.

    pyarrow honours AWS_ENDPOINT_URL in ``FileSystem.from_uri`` only: a bare ``S3FileSystem()`` ignores it
    (pyarrow 26) and goes to amazonaws.com."""
    import duckdb
    import pyarrow as pa
    import pyarrow.fs as pafs
    import pyarrow.parquet as pq
    from fsspec.implementations.arrow import ArrowFSWrapper

    fs, _ = pafs.FileSystem.from_uri(f"s3://{s3_bucket}/bronze")  # region, keys, AWS_ENDPOINT_URL from the env
    table = pa.table({"day": ["2026-01-01", "2026-01-02"], "n": [1, 2]})
    pq.write_table(table, f"{s3_bucket}/bronze/t/part-0.parquet", filesystem=fs)
    assert pq.read_table(f"{s3_bucket}/bronze/t/part-0.parquet", filesystem=fs).equals(table)

    with pytest.raises(OSError, match="(?i)bucket"):  # pyarrow never creates a bucket unless told to
        pq.write_table(table, f"missing-{uuid.uuid4().hex[:12]}/t.parquet", filesystem=fs)

    con = duckdb.connect()
    wrapped = ArrowFSWrapper(fs)
    con.register_filesystem(wrapped)
    rows = con.sql(f"SELECT day, n FROM read_parquet('s3://{s3_bucket}/bronze/t/*.parquet') ORDER BY n").fetchall()
    assert rows == [("2026-01-01", 1), ("2026-01-02", 2)]


def test_missing_python_module_names_the_install_command() -> None:
    with pytest.raises(ServiceUnavailable, match=r"'moto_not_installed_here\.server'.*pip install 'moto\[server\]'"):
        require_module("moto_not_installed_here.server", "pip install 'moto[server]'")


def test_a_port_taken_while_starting_is_retried_on_another(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    from polymarket_assets_tests.support.services.processes import spawn, start_on_free_port

    log_path = tmp_path / "server.log"
    launched: list[int] = []

    def launch(port: int) -> subprocess.Popen:
        launched.append(port)
        script = "print('Address already in use', flush=True)" if len(launched) == 1 else "import time; time.sleep(30)"
        return spawn([sys.executable, "-c", script], None, log_path, tmp_path, signal.SIGKILL)

    def probe(port: int) -> None:
        if len(launched) == 1:
            raise ConnectionRefusedError(port)

    port, process = start_on_free_port("fake", launch, probe, log_path, signal.SIGTERM, "Address already in use")
    try:
        assert len(launched) == 2 and port == launched[1]
        assert process.poll() is None
    finally:
        process.kill()
        process.wait()


def test_a_server_that_exits_while_starting_shows_its_log(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    from polymarket_assets_tests.support.services.processes import spawn, start_on_free_port

    log_path = tmp_path / "server.log"

    def launch(port: int) -> subprocess.Popen:
        script = "import sys; print('FATAL: data directory has wrong ownership', flush=True); sys.exit(3)"
        return spawn([sys.executable, "-c", script], None, log_path, tmp_path, signal.SIGKILL)

    def probe(port: int) -> None:
        raise ConnectionRefusedError(port)

    with pytest.raises(ServiceUnavailable, match=r"(?s)fake on 127\.0\.0\.1:\d+ exited with code 3.*wrong ownership"):
        start_on_free_port("fake", launch, probe, log_path, signal.SIGTERM, "Address already in use")

"""pytest fixtures for the real services of ``support/services.py``, loaded for the whole suite by
``polymarket_assets_tests/conftest.py``.

The servers are session-scoped: the first test that asks for one starts it (a second or two), the rest reuse
it, and it stops at the end of the session. Tests stay apart through what the function-scoped fixtures hand
out: a fresh Postgres database, a flushed Redis database, a new S3 bucket. A missing server program errors
the test with the install command (``ServiceUnavailable``); it is never skipped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from polymarket_assets_tests.support.services import (
    PostgresServer,
    RedisServer,
    S3Server,
    start_postgres,
    start_redis,
    start_s3,
)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = start_postgres()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_database(postgres_server: PostgresServer) -> Iterator[str]:
    """The name of a new, empty database owned by ``postgres_server.user``; dropped after the test."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    postgres_server.create_database(name)
    try:
        yield name
    finally:
        postgres_server.drop_database(name)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer, postgres_database: str) -> str:
    """``postgresql://user:password@127.0.0.1:port/<fresh database>``."""
    return postgres_server.url_for(postgres_database)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = start_redis()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """``redis://:password@127.0.0.1:port/0``, emptied before the test."""
    redis_server.client().flushall()
    return redis_server.url


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    server = start_s3()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_bucket(s3_server: S3Server) -> str:
    """A new, empty bucket, created here by the test (the code under test must never create buckets)."""
    return s3_server.create_bucket(f"test-{uuid.uuid4().hex[:12]}")


@pytest.fixture
def s3_env(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Set the standard AWS variables (incl. ``AWS_ENDPOINT_URL``) to the local S3 server for this test."""
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    env = s3_server.env()
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture
def s3_lake(s3_env: dict[str, str], s3_bucket: str, tmp_path) -> Any:
    """A ``LakeResource`` with the lake on the local S3 server (``s3://<fresh bucket>/lake``) and this machine's
    own files under ``tmp_path/local``."""
    from polymarket_assets.resources import LakeResource

    return LakeResource(data_dir=f"s3://{s3_bucket}/lake", local_dir=str(tmp_path / "local"))

"""``polymarket-assets doctor``: every check passes on a working deployment (lake on S3, limiter on Redis,
instance on Postgres); an unreachable instance database is named by its variables and its URL, the password
masked — what Dagster's own "too many retries for DB connection" does not say."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from polymarket_assets import doctor
from polymarket_assets_tests.support.services import PostgresServer, free_port

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def deployment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, s3_env, s3_bucket: str, redis_url: str,
               postgres_server: PostgresServer, postgres_database: str) -> Path:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "deploy" / "dagster.postgres.yaml", home / "dagster.yaml")
    for key, value in {
        "DAGSTER_HOME": str(home), "DAGSTER_PG_HOST": postgres_server.host, "DAGSTER_PG_PORT": str(postgres_server.port),
        "DAGSTER_PG_USER": postgres_server.user, "DAGSTER_PG_PASSWORD": postgres_server.password, "DAGSTER_PG_DB": postgres_database,
        "POLYMARKET_DATA_DIR": f"s3://{s3_bucket}/lake", "POLYMARKET_LOCAL_DIR": str(tmp_path / "local"),
        "POLYMARKET_RATELIMIT_URL": redis_url,
    }.items():
        monkeypatch.setenv(key, value)
    for key in ("POLYMARKET_DUCKDB_PATH", "POLYMARKET_RATELIMIT_DB", "POLYMARKET_RATELIMIT_BUDGETS"):
        monkeypatch.delenv(key, raising=False)
    return home


def _run(skip: list[str] | None = None) -> tuple[int, str]:
    out = io.StringIO()
    return doctor.main(skip=skip, out=out), out.getvalue()


def test_every_check_passes_on_a_working_deployment(deployment: Path, s3_server, s3_bucket: str, redis_server) -> None:
    code, text = _run()
    assert code == 0, text
    assert "5 of 5 checks passed" in text
    assert f"s3://{s3_bucket}/lake at http://127.0.0.1:" in text and "probe object ok" in text
    assert "redis://:***@127.0.0.1" in text and redis_server.password not in text
    assert "Postgres storage at postgresql://" in text and ":***@" in text
    assert [k for k in s3_server.keys(s3_bucket) if not k.endswith("/")] == []  # the probe object was removed (pyarrow keeps a "dir/" marker)


def test_an_unreachable_instance_database_is_named_with_its_variables(deployment: Path, monkeypatch: pytest.MonkeyPatch,
                                                                     postgres_server: PostgresServer) -> None:
    port = free_port()
    monkeypatch.setenv("DAGSTER_PG_PORT", str(port))
    code, text = _run(skip=["lake", "rate limiter"])
    assert code == 1
    line = next(line for line in text.splitlines() if "dagster instance" in line)
    assert line.startswith("FAIL")
    assert f"postgresql://{postgres_server.user}:***@127.0.0.1:{port}/" in line
    assert "port=DAGSTER_PG_PORT" in line and "hostname=DAGSTER_PG_HOST" in line and "too many retries" in line
    assert postgres_server.password not in text


def test_a_missing_instance_variable_is_named(deployment: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DAGSTER_PG_PASSWORD")
    code, text = _run(skip=["lake", "rate limiter"])
    assert code == 1 and "DAGSTER_PG_PASSWORD (postgres_db.password)" in text


def test_a_broken_lake_and_limiter_fail_with_their_settings(deployment: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYMARKET_DATA_DIR", "s3://no-such-bucket-here/lake")
    monkeypatch.setenv("POLYMARKET_RATELIMIT_URL", f"redis://:pw-123@127.0.0.1:{free_port()}/0")
    code, text = _run(skip=["dagster instance"])
    assert code == 1
    assert "bucket 'no-such-bucket-here'" in text and "never creates buckets" in text
    assert "POLYMARKET_RATELIMIT_URL" in text and "redis://:***@127.0.0.1" in text and "pw-123" not in text


def test_a_bad_start_date_and_a_data_dir_that_is_a_file_are_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What would stop every dagster command from loading (a bad start date) is reported by the settings check."""
    monkeypatch.setenv("POLYMARKET_BRONZE_START_DATE", "yesterday")
    results = {r.name: r for r in doctor.run_checks(skip=["dagster instance", "lake", "local", "rate limiter"])}
    assert not results["settings"].ok and "POLYMARKET_BRONZE_START_DATE must be a date like 2025-01-01" in results["settings"].detail
    # every malformed setting at once, not only the first; a start date in the future is one
    monkeypatch.setenv("POLYMARKET_BRONZE_START_DATE", "2999-01-01")
    monkeypatch.setenv("POLYMARKET_GAMMA_URL", "gamma")
    monkeypatch.setenv("POLYMARKET_CLOB_URL", "clob")
    detail = {r.name: r for r in doctor.run_checks(skip=["dagster instance", "lake", "local", "rate limiter"])}["settings"].detail
    assert "3 setting(s) malformed" in detail and "POLYMARKET_GAMMA_URL" in detail and "POLYMARKET_CLOB_URL" in detail, detail
    assert "2999-01-01, after today" in detail
    for name in ("POLYMARKET_BRONZE_START_DATE", "POLYMARKET_GAMMA_URL", "POLYMARKET_CLOB_URL"):
        monkeypatch.delenv(name)
    afile = tmp_path / "afile"
    afile.write_text("x")
    from polymarket_assets import settings

    with pytest.raises(settings.SettingError, match="which is a file, not a directory"):
        settings.data_dir(str(afile))

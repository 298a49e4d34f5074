"""deploy/dagster.postgres.yaml against a real Postgres on 127.0.0.1: the instance it configures stores runs,
events and schedules in Postgres, queues runs, keeps the single-machine limits, and says what is wrong when
the database is unreachable or a variable is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from polymarket_assets_tests.infra.pool_job import POOL
from polymarket_assets_tests.support.services import PostgresServer, free_port

REPO = Path(__file__).resolve().parents[2]
DEPLOY_YAML = REPO / "deploy" / "dagster.postgres.yaml"
LOCAL_YAML = REPO / "dagster.yaml"
POOL_JOB = Path(__file__).with_name("pool_job.py")
PG_VARS = ("DAGSTER_PG_HOST", "DAGSTER_PG_PORT", "DAGSTER_PG_USER", "DAGSTER_PG_PASSWORD", "DAGSTER_PG_DB")


@pytest.fixture
def pg_instance_env(
    postgres_server: PostgresServer, postgres_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    """DAGSTER_HOME holding deploy/dagster.postgres.yaml, and DAGSTER_PG_* naming a fresh database."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(DEPLOY_YAML, home / "dagster.yaml")
    env = {
        "DAGSTER_HOME": str(home),
        "DAGSTER_PG_HOST": postgres_server.host,
        "DAGSTER_PG_PORT": str(postgres_server.port),
        "DAGSTER_PG_USER": postgres_server.user,
        "DAGSTER_PG_PASSWORD": postgres_server.password,
        "DAGSTER_PG_DB": postgres_database,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    yield env


def _instance():
    import dagster as dg

    return dg.DagsterInstance.get()


def test_deploy_yaml_keeps_every_single_machine_setting() -> None:
    """Same limits, monitoring, automation and telemetry as ../dagster.yaml; only storage and the (explicit)
    run coordinator are added."""
    local = yaml.safe_load(LOCAL_YAML.read_text())
    deploy = yaml.safe_load(DEPLOY_YAML.read_text())
    assert {key: deploy.get(key) for key in local} == local
    assert set(deploy) - set(local) == {"storage", "run_coordinator"}


def test_instance_stores_in_postgres_and_keeps_the_limits(pg_instance_env: dict[str, str], postgres_server: PostgresServer) -> None:
    from dagster._core.run_coordinator import QueuedRunCoordinator
    from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

    local = yaml.safe_load(LOCAL_YAML.read_text())
    with _instance() as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
        assert isinstance(instance.run_coordinator, QueuedRunCoordinator)

        concurrency = instance.get_concurrency_config()
        assert concurrency.pool_config.default_pool_limit == local["concurrency"]["pools"]["default_limit"] == 1
        assert concurrency.pool_config.pool_granularity.value == local["concurrency"]["pools"]["granularity"]
        assert concurrency.run_queue_config.max_concurrent_runs == local["concurrency"]["runs"]["max_concurrent_runs"]

        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_settings == local["run_monitoring"]
        assert instance.auto_materialize_enabled and instance.auto_materialize_use_sensors

    with postgres_server.connect(pg_instance_env["DAGSTER_PG_DB"]) as conn:
        tables = {row[0] for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert {"runs", "event_logs", "jobs", "job_ticks", "concurrency_limits", "concurrency_slots"} <= tables


@pytest.mark.slow
def test_a_job_run_is_recorded_in_postgres(pg_instance_env: dict[str, str], postgres_server: PostgresServer) -> None:
    """`dagster job execute` in its own process, configured only through DAGSTER_HOME and DAGSTER_PG_*: the run,
    its events and the pool slot its op took are rows in Postgres."""
    dagster_cli = Path(sys.executable).with_name("dagster")
    result = subprocess.run(
        [str(dagster_cli), "job", "execute", "-f", str(POOL_JOB), "-j", "pool_job"],
        env={**os.environ, **pg_instance_env},
        capture_output=True,
        text=True,
        timeout=180,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr[-3000:]

    with postgres_server.connect(pg_instance_env["DAGSTER_PG_DB"]) as conn:
        runs = conn.execute("SELECT run_id, pipeline_name, status FROM runs").fetchall()
        assert [(name, status) for _, name, status in runs] == [("pool_job", "SUCCESS")]
        run_id = runs[0][0]
        events = {kind for (kind,) in conn.execute("SELECT DISTINCT dagster_event_type FROM event_logs WHERE run_id = %s", (run_id,))}
        assert {"PIPELINE_START", "STEP_SUCCESS", "PIPELINE_SUCCESS"} <= events
        # The op's pool got the instance's default limit (1), in Postgres, and its slot was given back.
        limits = conn.execute('SELECT concurrency_key, "limit", using_default_limit FROM concurrency_limits').fetchall()
        assert limits == [(POOL, 1, True)]
        slots = conn.execute("SELECT concurrency_key, run_id FROM concurrency_slots").fetchall()
        assert slots == [(POOL, None)]


@pytest.mark.slow
def test_an_unreachable_postgres_fails_at_start_naming_host_and_port(
    pg_instance_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """dagster-postgres retries for ~10 s, then raises "too many retries for DB connection"; the host and port
    are only in the chained psycopg error (and in the retry warnings it logs), never the variable names."""
    from dagster_postgres.utils import DagsterPostgresException

    port = free_port()  # nothing listens there
    monkeypatch.setenv("DAGSTER_PG_PORT", str(port))
    with pytest.raises(DagsterPostgresException, match="too many retries for DB connection") as raised:
        _instance()
    cause = str(raised.value.__cause__)
    assert f'"127.0.0.1", port {port} failed' in cause
    assert "Connection refused" in cause


def test_a_missing_password_variable_is_named(pg_instance_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from dagster._core.errors import DagsterInvalidConfigError

    monkeypatch.delenv("DAGSTER_PG_PASSWORD")
    with pytest.raises(DagsterInvalidConfigError) as raised:
        _instance()
    message = str(raised.value)
    assert 'environment variable "DAGSTER_PG_PASSWORD" which is not set' in message
    assert "postgres_db:password" in message


@pytest.mark.parametrize("variable", [v for v in PG_VARS if v != "DAGSTER_PG_PASSWORD"])
def test_every_other_missing_variable_is_named(variable: str, pg_instance_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from dagster._core.errors import DagsterInvalidConfigError

    monkeypatch.delenv(variable)
    with pytest.raises(DagsterInvalidConfigError, match=f'environment variable "{variable}" which is not set'):
        _instance()

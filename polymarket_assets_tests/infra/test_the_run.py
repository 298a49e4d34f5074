"""THE run: a 3-day bronze range backfill plus silver, beyond one machine, every component real on 127.0.0.1.

* Dagster's instance on Postgres (``deploy/dagster.postgres.yaml``, the QueuedRunCoordinator), driven by
  ``dagster dev`` (webserver + daemon + code server): the backfill is launched the way the UI launches it
  (GraphQL ``launchPartitionBackfill``), the daemon turns it into queued runs and launches them;
* the lake on S3 (moto), bronze and silver reading and writing it through ``polymarket_assets.lake``;
* the rate limiter on Postgres, shared by the run worker and by a second process (``neighbour.py``) that spends
  the same ``data:/trades`` budget meanwhile; the budgets are scaled down (every process reads them from
  ``POLYMARKET_RATELIMIT_BUDGETS``) and the fake server enforces them too. (The runs execute their steps in
  the run worker's process — run config ``execution: in_process`` — because a process per step costs ~20 s of
  start-up each on a busy 2-core machine; the multiprocess executor shares the limiter the same way.)

It must give the same bronze rows and the same silver tables as a local run over the same world, and the
server's arrival log must never show more than a budget in any window.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest
import requests
from dagster_duckdb import DuckDBResource

from polymarket_assets.bronze.parquet_io import read_partition
from polymarket_assets.defs.bronze.gamma_categories import gamma_categories
from polymarket_assets.defs.bronze.gamma_events import gamma_events
from polymarket_assets.defs.bronze.market_tokens import market_tokens
from polymarket_assets.defs.bronze.markets import markets
from polymarket_assets.defs.bronze.prices import prices
from polymarket_assets.defs.bronze.trades import trades
from polymarket_assets.defs.silver.assets import silver_assets as SILVER_ASSETS
from polymarket_assets.lake import open_lake
from polymarket_assets.replay.fake_api import FakeApi
from polymarket_assets.replay.gamma_world import build_world, install
from polymarket_assets.replay.trades_world import TradesWorld
from polymarket_assets.silver.models import MODELS
from polymarket_assets_tests.bronze.conftest import make_resources
from polymarket_assets_tests.bronze.range_helpers import range_tags, table_content
from polymarket_assets_tests.infra.neighbour import USER_AGENT as NEIGHBOUR
from polymarket_assets_tests.support.services import PostgresServer, S3Server, free_port

REPO = Path(__file__).resolve().parents[2]
DAYS = [dt.date(2026, 11, 1), dt.date(2026, 11, 2), dt.date(2026, 11, 3)]
BRONZE = {"gamma_events": gamma_events, "gamma_categories": gamma_categories, "markets": markets,
          "market_tokens": market_tokens, "trades": trades, "prices": prices}
SILVER = [a.key.path[-1] for a in SILVER_ASSETS]
# Scaled budgets (the published windows are 10 s): small enough that the limiter binds while the run and the
# neighbour share them; the fake server answers 429 past the same figures.
BUDGETS = {"data:/trades": {"limit": 3, "window_seconds": 1.0}, "gamma:/markets": {"limit": 2, "window_seconds": 1.0}}
LAUNCH = """
mutation($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message stack }
    ... on InvalidSubsetError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}"""
BACKFILL = """
mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message stack }
    ... on InvalidSubsetError { message }
    ... on UnauthorizedError { message }
  }
}"""


def silver_rows(db: Path) -> dict[str, list[tuple]]:
    """Every silver table's rows, without the columns that record when bronze fetched a row (two runs fetch
    the same world at different times)."""
    out = {}
    with duckdb.connect(str(db), read_only=True) as con:
        for table in SILVER:
            columns = [c.name for c in MODELS[table].columns
                       if not any(ref.endswith(".fetched_at") for ref in c.lineage) and c.name not in ("fetched_at", "first_seen_at", "last_seen_at")]
            out[table] = sorted(con.execute(f"SELECT {', '.join(columns)} FROM silver.{table}").fetchall(), key=repr)
    return out


@pytest.fixture
def api() -> Iterator[tuple[FakeApi, TradesWorld]]:
    world = TradesWorld(DAYS)
    with FakeApi() as server:
        install(server, build_world())  # Gamma events, tags (and markets, replaced by the trades world's below)
        world.install(server)
        yield server, world


def local_reference(tmp_path: Path, base_url: str) -> tuple[dict[tuple[str, dt.date], Any], dict[str, list[tuple]]]:
    """The same world on one machine: local lake, SQLite limiter, in-process runs."""
    root = tmp_path / "reference"
    resources = make_resources(root, base_url)
    assert dg.materialize(list(BRONZE.values()), resources=resources, tags=range_tags(DAYS[0], DAYS[-1])).success
    resources["duckdb"] = DuckDBResource(database=str(root / "polymarket.duckdb"))
    assert dg.materialize(SILVER_ASSETS, resources=resources).success  # the tables (their cross-table checks change nothing)
    bronze = {(a, d): table_content(read_partition(root / "bronze", a, d)) for a in BRONZE for d in DAYS}
    return bronze, silver_rows(root / "polymarket.duckdb")


def graphql_call(url: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    reply = requests.post(url, json={"query": query, "variables": variables}, timeout=60)
    reply.raise_for_status()
    body = reply.json()
    assert "errors" not in body, body
    return body["data"]


def wait_for(what: str, predicate: Any, timeout: float, proc: subprocess.Popen, log: Path) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if proc.poll() is not None:
            raise AssertionError(f"dagster dev exited ({proc.returncode}) while waiting for {what}:\n{log.read_text()[-4000:]}")
        time.sleep(1.0)
    raise AssertionError(f"timed out waiting for {what}; dagster dev log:\n{log.read_text()[-4000:]}")


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_run(api, tmp_path: Path, postgres_server: PostgresServer, s3_server: S3Server, s3_bucket: str,
                 monkeypatch: pytest.MonkeyPatch) -> None:
    server, world = api
    reference_bronze, reference_silver = local_reference(tmp_path, server.base_url)
    server.reset_stats()
    for group, budget in BUDGETS.items():
        server.add_budget(group, int(budget["limit"]), float(budget["window_seconds"]))

    dagster_db, limiter_db = "the_run_dagster", "the_run_ratelimit"
    for name in (dagster_db, limiter_db):
        postgres_server.drop_database(name)
        postgres_server.create_database(name)
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "deploy" / "dagster.postgres.yaml", home / "dagster.yaml")
    (tmp_path / "workspace.yaml").write_text((REPO / "workspace.yaml").read_text())
    limiter_url = postgres_server.url_for(limiter_db)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POLYMARKET_", "DAGSTER_"))},
        **s3_server.env(),
        "PYTHONPATH": str(REPO),
        "DAGSTER_HOME": str(home),
        "DAGSTER_PG_HOST": postgres_server.host, "DAGSTER_PG_PORT": str(postgres_server.port),
        "DAGSTER_PG_USER": postgres_server.user, "DAGSTER_PG_PASSWORD": postgres_server.password, "DAGSTER_PG_DB": dagster_db,
        "POLYMARKET_DATA_DIR": f"s3://{s3_bucket}/lake",
        "POLYMARKET_LOCAL_DIR": str(tmp_path / "local"),
        "POLYMARKET_DUCKDB_PATH": str(tmp_path / "polymarket.duckdb"),
        "POLYMARKET_RATELIMIT_URL": limiter_url,
        "POLYMARKET_RATELIMIT_BUDGETS": json.dumps(BUDGETS),
        "POLYMARKET_GAMMA_URL": server.base_url, "POLYMARKET_DATA_URL": server.base_url, "POLYMARKET_CLOB_URL": server.base_url,
    }
    bin_dir = Path(sys.executable).parent
    port = free_port()
    log = tmp_path / "dagster-dev.log"
    stop_file = tmp_path / "neighbour.stop"
    condition = world.markets[0]["conditionId"]
    with open(log, "wb") as out:
        dev = subprocess.Popen([str(bin_dir / "dagster"), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
                               env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    neighbour = subprocess.Popen(
        [sys.executable, "-m", "polymarket_assets_tests.infra.neighbour", limiter_url, server.base_url, json.dumps(BUDGETS), condition,
         str(stop_file), "600"], env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    graphql = f"http://127.0.0.1:{port}/graphql"
    try:
        def location_loaded() -> bool:
            try:
                reply = requests.post(graphql, json={"query": "{ repositoriesOrError { __typename ... on RepositoryConnection { nodes { name } } } }"}, timeout=10)
                return reply.ok and bool(reply.json()["data"]["repositoriesOrError"].get("nodes"))
            except (requests.RequestException, KeyError, TypeError, ValueError):
                return False

        wait_for("the webserver and the code location", location_loaded, 180, dev, log)
        # the runs' steps execute in the run worker's own process (no process per step: much faster on 2 cores)
        in_process = {"execution": {"config": {"in_process": {}}}}
        whole_range = {"range": {"start": DAYS[0].isoformat(), "end": DAYS[-1].isoformat()}}
        params = {"partitionsByAssets": [{"assetKey": {"path": ["bronze", a]}, "partitions": whole_range} for a in BRONZE],
                  "title": "the run", "runConfigData": in_process}
        launched = graphql_call(graphql, BACKFILL, {"params": params})["launchPartitionBackfill"]
        assert launched["__typename"] == "LaunchBackfillSuccess", launched
        backfill_id = launched["backfillId"]

        for key in ("DAGSTER_PG_HOST", "DAGSTER_PG_PORT", "DAGSTER_PG_USER", "DAGSTER_PG_PASSWORD", "DAGSTER_PG_DB"):
            monkeypatch.setenv(key, env[key])  # the test reads the same instance
        with dg.DagsterInstance.from_config(str(home)) as instance:
            def bronze_landed() -> bool:
                runs = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/backfill": backfill_id}))
                return bool(runs) and all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs) and all(
                    instance.get_latest_materialization_event(dg.AssetKey(["bronze", a])) is not None for a in BRONZE)

            wait_for("the bronze runs of the backfill", bronze_landed, 600, dev, log)
            stop_file.write_text("stop")
            # silver as one more queued run (the daemon's backfill loop ticks only every 30 s)
            selector = {"repositoryLocationName": "polymarket_assets", "repositoryName": "__repository__", "jobName": "__ASSET_JOB",
                        "assetSelection": [{"path": ["silver", t]} for t in SILVER]}
            silver_run = graphql_call(graphql, LAUNCH, {"params": {"selector": selector, "runConfigData": in_process}})["launchRun"]
            assert silver_run["__typename"] == "LaunchRunSuccess", silver_run

            def backfill_done() -> Any:
                backfill = instance.get_backfill(backfill_id)
                return backfill if backfill is not None and backfill.status.value not in ("REQUESTED", "CANCELING") else None

            finished = wait_for("the backfill to complete", backfill_done, 300, dev, log)

            def quiet() -> bool:  # no run queued or running (the silver automation may add one)
                return not instance.get_runs(filters=dg.RunsFilter(statuses=[s for s in dg.DagsterRunStatus if s not in (
                    dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)]))

            wait_for("every run to finish", quiet, 300, dev, log)
            runs = instance.get_runs()
            statuses = {r.run_id: r.status.value for r in runs}
            backfill_runs = [r for r in runs if r.tags.get("dagster/backfill") == backfill_id]
            enqueued = {r.run_id for r in runs for e in instance.all_logs(r.run_id, of_type=dg.DagsterEventType.PIPELINE_ENQUEUED)}
        assert finished.status.value == "COMPLETED_SUCCESS", (finished.status, statuses, log.read_text()[-3000:])
        assert all(s == "SUCCESS" for s in statuses.values()), statuses
        assert len(backfill_runs) == 1  # a range backfill of single-run assets: one run for the whole range
        assert {r.run_id for r in runs} <= enqueued  # every run went through the queue (QueuedRunCoordinator)
    finally:
        stop_file.write_text("stop")
        try:
            neighbour_out, _ = neighbour.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            neighbour.kill()
            neighbour_out = ""
        os.killpg(dev.pid, 2)  # SIGINT: dagster dev stops its webserver, daemon and code server
        try:
            dev.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(dev.pid, 9)
            dev.wait(timeout=30)
    assert neighbour.returncode == 0, neighbour_out

    # the same rows as the local run: bronze on S3, silver from S3
    for key, value in s3_server.env().items():
        monkeypatch.setenv(key, value)
    lake = open_lake(f"s3://{s3_bucket}/lake", local_dir=str(tmp_path / "local-check"))
    for (asset, day), expected in reference_bronze.items():
        assert table_content(read_partition(lake.root / "bronze", asset, day)) == expected, (asset, day)
    assert silver_rows(tmp_path / "polymarket.duckdb") == reference_silver
    assert all(reference_silver[t] for t in ("trade_fact", "price_history_fact", "market_dim", "event_dim"))

    # never over budget, as the server saw it; and the budget really was shared by two processes
    for group, budget in BUDGETS.items():
        assert server.count_429(group) == 0, group
        assert server.max_in_window(group, float(budget["window_seconds"])) <= int(budget["limit"]), group
    by_neighbour = [r.at for r in server.records("data:/trades") if r.headers.get("User-Agent") == NEIGHBOUR]
    by_pipeline = [r.at for r in server.records("data:/trades") if r.headers.get("User-Agent") != NEIGHBOUR]
    assert by_neighbour and by_pipeline
    assert min(by_neighbour) < max(by_pipeline) and min(by_pipeline) < max(by_neighbour)  # at the same time

"""Range backfills of bronze/trades: resume from the checkpoint after a failure halfway, ``fresh: true``,
a killed process, and the real CLI (``dagster asset materialize --partition-range``)."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import dagster as dg
import pytest

from polymarket_assets.bronze.engine.checkpoint import checkpoint_path
from polymarket_assets.bronze.parquet_io import partition_exists, partition_file, read_partition
from polymarket_assets.defs.bronze.trades import trades
from polymarket_assets.replay.fake_api import FakeApi
from polymarket_assets.replay.trades_world import TradesWorld
from polymarket_assets_tests.bronze.conftest import make_resources
from polymarket_assets_tests.bronze.helpers import dagster_materialize_cli
from polymarket_assets_tests.bronze.range_helpers import (
    RANGE,
    asset_config,
    materialization_by_partition,
    range_tags,
    table_content,
)

OP = "bronze__trades"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def world() -> TradesWorld:
    return TradesWorld(RANGE)


@pytest.fixture
def api(world: TradesWorld) -> Iterator[FakeApi]:
    with world.serving() as server:
        yield server


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, world: TradesWorld) -> dict[Any, list[dict[str, Any]]]:
    """A clean full-range run: the content every other run must end up with, and its request count."""
    root = tmp_path_factory.mktemp("reference")
    with world.serving() as server:
        assert run_range(root, server).success
        requests = server.count("data:/trades")
    content: dict[Any, Any] = {day: table_content(read_partition(root / "bronze", "trades", day)) for day in RANGE}
    content["requests"] = requests
    return content


def run_range(root: Path, api: FakeApi, *, raise_on_error: bool = True, **config: Any) -> dg.ExecuteInProcessResult:
    config.setdefault("page_size", 40)
    return dg.materialize(
        [trades],
        resources=make_resources(root, api.base_url),
        run_config=asset_config(OP, **config),
        tags=range_tags(RANGE[0], RANGE[-1]),
        raise_on_error=raise_on_error,
    )


def stamps(root: Path) -> dict[Any, int]:
    return {d: partition_file(root / "bronze", "trades", d).stat().st_mtime_ns for d in RANGE if partition_exists(root / "bronze", "trades", d)}


def test_a_range_failing_halfway_resumes_from_the_days_not_written(tmp_path: Path, api: FakeApi, world: TradesWorld, reference: dict[Any, Any]) -> None:
    failing_day = RANGE[4]
    world.fail_days.add(failing_day)
    failed = run_range(tmp_path, api, raise_on_error=False)
    assert not failed.success
    error = next(e for e in failed.all_events if e.event_type_value == "STEP_FAILURE").event_specific_data.error
    assert "Re-running the same range resumes" in str(error)
    checkpoint = json.loads(checkpoint_path(tmp_path / "_state", "trades", RANGE[0], RANGE[-1]).read_text())
    committed = sorted(checkpoint["days"])
    assert checkpoint["status"] == "failed"
    # rows come newest first: the days after the failing one were finished (and committed) before it broke
    assert committed and all(day > failing_day.isoformat() for day in committed)
    for day in RANGE:
        assert partition_exists(tmp_path / "bronze", "trades", day) == (day.isoformat() in committed)
    for day in committed:
        assert table_content(read_partition(tmp_path / "bronze", "trades", day)) == reference[dt.date.fromisoformat(day)]
    kept_stamps = stamps(tmp_path)

    world.fail_days.clear()
    api.reset_stats()
    resumed = run_range(tmp_path, api)
    assert resumed.success
    resumed_requests = api.count("data:/trades")
    # every chain restarts from the cursor saved with the oldest kept day: the kept days are not paged again
    assert resumed_requests < reference["requests"]
    assert all("cursor=" in r.query for r in api.records("data:/trades"))
    run_meta = resumed.get_asset_materialization_events()[0].materialization.metadata
    assert run_meta["chains_resumed_from_saved_cursor"].value >= 1 and run_meta["saved_cursors_refused"].value == 0
    for day in RANGE:
        assert table_content(read_partition(tmp_path / "bronze", "trades", day)) == reference[day]
    now = stamps(tmp_path)
    for day, stamp in kept_stamps.items():
        assert now[day] == stamp  # kept days were not rewritten
    events = materialization_by_partition(resumed)
    assert sorted(events) == [d.isoformat() for d in RANGE]
    for day in committed:
        assert events[day].metadata["partition_status"].value.startswith("kept")
        assert events[day].metadata["dagster/row_count"].value == len(reference[dt.date.fromisoformat(day)])
    assert resumed.get_asset_materialization_events()[0].materialization.metadata["partitions_kept_from_checkpoint"].value == len(committed)
    assert not checkpoint_path(tmp_path / "_state", "trades", RANGE[0], RANGE[-1]).exists()


def test_resume_cost_shrinks_with_the_days_already_kept(tmp_path: Path, api: FakeApi, world: TradesWorld, reference: dict[Any, Any]) -> None:
    """Failing on the first day keeps the six newest: the resumed attempt pages little more than two days."""
    world.fail_days.add(RANGE[0])
    assert not run_range(tmp_path, api, raise_on_error=False).success
    checkpoint = json.loads(checkpoint_path(tmp_path / "_state", "trades", RANGE[0], RANGE[-1]).read_text())
    assert checkpoint["resume"]["day"] == min(checkpoint["days"])
    world.fail_days.clear()
    api.reset_stats()
    assert run_range(tmp_path, api).success
    share = api.count("data:/trades") / reference["requests"]
    kept_share = len(checkpoint["days"]) / len(RANGE)
    assert share < 1 - kept_share + 0.15, (share, kept_share)
    for day in RANGE:
        assert table_content(read_partition(tmp_path / "bronze", "trades", day)) == reference[day]


def test_a_refused_saved_cursor_falls_back_to_the_newest_page(tmp_path: Path, api: FakeApi, world: TradesWorld, reference: dict[Any, Any]) -> None:
    world.fail_days.add(RANGE[1])
    assert not run_range(tmp_path, api, raise_on_error=False).success
    path = checkpoint_path(tmp_path / "_state", "trades", RANGE[0], RANGE[-1])
    state = json.loads(path.read_text())
    for record in state["resume"]["chains"].values():
        if "cursor" in record:
            record["cursor"] = "expired-cursor"
    path.write_text(json.dumps(state))
    world.fail_days.clear()
    resumed = run_range(tmp_path, api)
    assert resumed.success
    assert resumed.get_asset_materialization_events()[0].materialization.metadata["saved_cursors_refused"].value >= 1
    for day in RANGE:
        assert table_content(read_partition(tmp_path / "bronze", "trades", day)) == reference[day]


def test_fresh_refetches_every_day(tmp_path: Path, api: FakeApi, world: TradesWorld, reference: dict[Any, Any]) -> None:
    world.fail_days.add(RANGE[3])
    assert not run_range(tmp_path, api, raise_on_error=False).success
    kept = stamps(tmp_path)
    assert kept
    world.fail_days.clear()
    api.reset_stats()
    assert run_range(tmp_path, api, fresh=True).success
    assert api.count("data:/trades") == reference["requests"]
    now = stamps(tmp_path)
    assert all(now[d] != s for d, s in kept.items())
    for day in RANGE:
        assert table_content(read_partition(tmp_path / "bronze", "trades", day)) == reference[day]


def test_a_finished_range_is_refreshed_when_run_again(tmp_path: Path, api: FakeApi, reference: dict[Any, Any]) -> None:
    assert run_range(tmp_path, api).success
    first = stamps(tmp_path)
    api.reset_stats()
    assert run_range(tmp_path, api).success
    assert api.count("data:/trades") == reference["requests"]
    assert all(stamps(tmp_path)[d] != s for d, s in first.items())


KILL_SCRIPT = """
import sys, dagster as dg
from polymarket_assets.defs.bronze.trades import trades
from polymarket_assets_tests.bronze.conftest import make_resources
from polymarket_assets_tests.bronze.range_helpers import asset_config, range_tags
from pathlib import Path
root, url = Path(sys.argv[1]), sys.argv[2]
dg.materialize([trades], resources=make_resources(root, url), run_config=asset_config("bronze__trades", page_size=40, workers=1),
               tags=range_tags("2026-11-01", "2026-11-07"))
"""


def test_a_killed_range_run_leaves_only_complete_partitions_and_resumes(tmp_path: Path, api: FakeApi, world: TradesWorld, reference: dict[Any, Any]) -> None:
    original = world._trades

    def slow(request):  # type: ignore[no-untyped-def]
        time.sleep(0.05)
        return original(request)

    api.route("GET", "/v2/trades", slow, group=("data:/trades", "data"))
    script = tmp_path / "kill_me.py"
    script.write_text(textwrap.dedent(KILL_SCRIPT))
    env = {**os.environ, "PYTHONPATH": str(REPO), "DAGSTER_HOME": str(tmp_path / "dh")}
    (tmp_path / "dh").mkdir()
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path), api.base_url], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not any(partition_exists(tmp_path / "bronze", "trades", d) for d in RANGE):
            if proc.poll() is not None:
                pytest.fail("the run ended before it could be killed")
            time.sleep(0.02)
        time.sleep(0.1)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    visible = [d for d in RANGE if partition_exists(tmp_path / "bronze", "trades", d)]
    assert visible and len(visible) < len(RANGE), "kill the run between its first and last commit"
    for day in visible:  # every visible partition is complete
        assert table_content(read_partition(tmp_path / "bronze", "trades", day)) == reference[day]
    for day in RANGE:  # and nothing partial sits next to them
        directory = partition_file(tmp_path / "bronze", "trades", day).parent
        if directory.exists():
            assert [p.name for p in directory.iterdir()] == ["part-0.parquet"]
    api.route("GET", "/v2/trades", original, group=("data:/trades", "data"))
    api.reset_stats()
    assert run_range(tmp_path, api).success
    assert api.count("data:/trades") <= reference["requests"]
    for day in RANGE:
        assert table_content(read_partition(tmp_path / "bronze", "trades", day)) == reference[day]
    assert not list((tmp_path / "bronze" / "_staging").rglob("*.tmp"))  # the killed writer's orphan was removed


CLI_DEFS = """
import dagster as dg
from polymarket_assets.defs.bronze.prices import prices
from polymarket_assets.defs.bronze.trades import trades
from polymarket_assets.resources import default_resources

defs = dg.Definitions(assets=[trades, prices], resources=default_resources())
"""


@pytest.mark.slow
def test_cli_materializes_a_partition_range_in_one_run(tmp_path: Path, api: FakeApi, world: TradesWorld, reference: dict[Any, Any]) -> None:
    """The command of the issue against a code location holding exactly the production assets + resources."""
    defs_file = tmp_path / "cli_defs.py"
    defs_file.write_text(textwrap.dedent(CLI_DEFS))
    done = dagster_materialize_cli(["-f", str(defs_file), "--select", "bronze/trades", "--partition-range", "2026-11-01...2026-11-07"], tmp_path, api.base_url)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "RUN_SUCCESS" in done.stdout + done.stderr
    for day in RANGE:
        assert table_content(read_partition(tmp_path / "data" / "bronze", "trades", day)) == reference[day]
    # one run and one pass: every condition id starts exactly one cursor chain (not one walk per day)
    first_pages = [parse_qs(r.query) for r in api.records("data:/trades") if "cursor=" not in r.query]
    conditions = [c for q in first_pages for c in q["condition"][0].split(",")]
    assert conditions and len(conditions) == len(set(conditions))


@pytest.mark.slow
def test_cli_with_the_project_code_location(tmp_path: Path, api: FakeApi, reference: dict[Any, Any]) -> None:
    """``dagster asset materialize -m polymarket_assets ...`` exactly as the issue writes it."""
    done = dagster_materialize_cli(["-m", "polymarket_assets", "--select", "bronze/trades", "--partition-range", "2026-11-01...2026-11-07"], tmp_path, api.base_url)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for day in RANGE:
        assert table_content(read_partition(tmp_path / "data" / "bronze", "trades", day)) == reference[day]

"""The issue's scenario through the real CLI: ``dagster asset materialize`` of bronze/trades is killed with
kill -9 while it holds the polymarket_data slot; the next run in the pool heals the slot and proceeds
(no daemon), and ``polymarket-assets slots`` / ``heal`` report it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.dagster_run import DagsterRunStatus

from polymarket_assets.replay.fake_api import FakeApi
from polymarket_assets.replay.trades_world import TradesWorld
from polymarket_assets_tests.bronze.range_helpers import RANGE

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _env(tmp_path: Path, base_url: str) -> dict[str, str]:
    home = tmp_path / "dagster_home"
    home.mkdir(exist_ok=True)
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")  # the pools: polymarket_data admits one step
    return {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "DAGSTER_HOME": str(home),
        "POLYMARKET_GAMMA_URL": base_url,
        "POLYMARKET_DATA_URL": base_url,
        "POLYMARKET_CLOB_URL": base_url,
        "POLYMARKET_DATA_DIR": str(tmp_path / "data"),
        "POLYMARKET_RATELIMIT_DB": str(tmp_path / "rl.sqlite"),
    }


def _materialize(env: dict[str, str], day: str, log: Path) -> subprocess.Popen[bytes]:
    args = [str(BIN / "dagster"), "asset", "materialize", "-m", "polymarket_assets", "--select", "key:bronze/trades", "--partition", day]
    return subprocess.Popen(args, env=env, cwd=log.parent, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)


@pytest.mark.slow
def test_kill_9_of_a_run_holding_the_pool_slot_does_not_block_the_next_run(tmp_path: Path) -> None:
    world = TradesWorld(RANGE)
    with FakeApi(latency=0.2) as api:  # slow enough to kill the run mid-step
        world.install(api)
        env = _env(tmp_path, api.base_url)
        first_log = tmp_path / "first.log"
        first = _materialize(env, str(RANGE[0]), first_log)
        deadline = time.monotonic() + 180
        while b"STEP_START" not in first_log.read_bytes():
            assert first.poll() is None and time.monotonic() < deadline, first_log.read_text()[-3000:]
            time.sleep(0.1)
        os.killpg(first.pid, signal.SIGKILL)  # the run worker and its step process, as a restart or OOM kill would
        first.wait()

        with _instance(env) as instance:
            (killed,) = instance.get_runs()
            assert killed.status == DagsterRunStatus.STARTED
            holders = [s.run_id for s in instance.event_log_storage.get_concurrency_info("polymarket_data").claimed_slots]
            assert holders == [killed.run_id]  # what the issue saw: the dead run holds the only slot

        slots = subprocess.run([str(BIN / "polymarket-assets"), "slots"], env=env, capture_output=True, text=True, timeout=120)
        assert slots.returncode == 0 and f"{killed.run_id} bronze__trades: STARTED, process DEAD" in slots.stdout, slots.stdout + slots.stderr

        second_log = tmp_path / "second.log"
        second = _materialize(env, str(RANGE[1]), second_log)
        assert second.wait(timeout=240) == 0, second_log.read_text()[-3000:]
        out = second_log.read_text()
        assert f"run {killed.run_id} (__ASSET_JOB) was STARTED but no process of it is left" in out
        assert "freed 1 pool slot (polymarket_data: 1)" in out and "RUN_SUCCESS" in out

        with _instance(env) as instance:
            after = instance.get_run_by_id(killed.run_id)
            assert after is not None and after.status == DagsterRunStatus.FAILURE
            assert instance.event_log_storage.get_concurrency_info("polymarket_data").claimed_slots == []


def _instance(env: dict[str, str]) -> dg.DagsterInstance:
    from dagster._core.instance.ref import InstanceRef

    return dg.DagsterInstance.from_ref(InstanceRef.from_dir(env["DAGSTER_HOME"]))

"""The offline replay: its world serves what bronze asks for, and the README's "Try it offline" commands work."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from polymarket_assets.bronze.datasets import orderbook_snapshots
from polymarket_assets.defs.bronze.resolutions import resolutions
from polymarket_assets.replay import world as offline
from polymarket_assets.replay.__main__ import env_line
from polymarket_assets.replay.fake_api import FakeApi
from polymarket_assets_tests.bronze.conftest import make_resources
from polymarket_assets_tests.bronze.helpers import materialize, table
from polymarket_assets_tests.silver.helpers import scalar
from polymarket_assets_tests.support.browser import chromium, free_port, wait_http

REPO = Path(__file__).resolve().parents[2]
DAY = dt.date(2026, 11, 2)


def test_the_world_serves_the_resolutions_of_its_closed_markets(tmp_path):
    world = offline.build(DAY, 2, btc_windows_per_day=4)
    second = DAY + dt.timedelta(days=1)
    with FakeApi() as api:
        world.install(api)
        result = materialize([resolutions], make_resources(tmp_path, api.base_url), partition=second.isoformat())
    assert result.success
    rows = table(tmp_path, "resolutions", second).to_pylist()
    expected = {m["conditionId"] for m in world.closed_on(second)}
    assert {r["condition_id"] for r in rows} == expected and len(expected) > 8
    btc = [r for r in rows if r["slug"].startswith("btc-updown-15m-")]
    assert len(btc) == 4
    assert all(r["resolution_status"] == "resolved" and r["outcome_prices"] in ([1, 0], [0, 1]) for r in btc)


def test_the_logger_captures_of_the_btc_windows_compact_like_real_ones(tmp_path):
    world = offline.build(DAY, 1, btc_windows_per_day=2)
    files = world.write_stream(tmp_path / "stream", cadence_seconds=60)
    assert sum(files.values()) == 2 * 2 * 15  # 2 windows × 2 tokens × one book a minute
    stats, path, _ = orderbook_snapshots.write_partition(tmp_path / "stream", tmp_path / "bronze", DAY.isoformat())
    assert stats.rows == 60 and stats.torn_lines_skipped == 0 and stats.corrupt_lines_skipped == 0
    rows = table(tmp_path, "orderbook_snapshots", DAY).to_pylist()
    assert {r["source"] for r in rows} == {"polymarket_btc15m"} and {r["outcome"] for r in rows} == {"Up", "Down"}
    up = [r for r in rows if r["outcome"] == "Up"]
    assert all(r["best_bid"] < r["best_ask"] and r["mid"] == (r["best_bid"] + r["best_ask"]) / 2 for r in up)


def test_print_env_points_every_base_url_at_the_replay():
    out = subprocess.run([sys.executable, "-m", "polymarket_assets.replay", "--print-env", "--port", "9999"], capture_output=True,
                         text=True, timeout=60, check=True).stdout.strip()
    assert out == env_line("127.0.0.1", 9999)
    assert dict(kv.split("=", 1) for kv in out.split()) == {k: "http://127.0.0.1:9999" for k in
                                                            ("POLYMARKET_GAMMA_URL", "POLYMARKET_CLOB_URL", "POLYMARKET_DATA_URL", "LIMITLESS_API_URL")}


def readme_offline_commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    section = text.split("## Try it offline", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "README 'Try it offline' has no bash block"
    commands = [line for line in block.group(1).splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert len(commands) <= 3, commands
    return commands


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_the_readme_try_it_offline_commands(tmp_path):
    """The README's three commands, as written, typed into one shell in a fresh directory after the Quick start's
    set-up (a venv, and .dagster_home holding dagster.yaml). What a test must change is changed: ``.venv/bin/`` is
    this test's environment, and the replay and the UI listen on free ports; between the first two commands the
    script waits for the replay to answer, as a user would."""
    commands = readme_offline_commands()
    assert len(commands) == 3
    bin_dir = Path(sys.executable).parent
    replay_port, ui_port = free_port(), free_port()
    (tmp_path / ".dagster_home").mkdir()
    shutil.copy(REPO / "dagster.yaml", tmp_path / ".dagster_home" / "dagster.yaml")

    def local(cmd: str) -> str:
        cmd = cmd.replace(".venv/bin/", f"{bin_dir}/")
        cmd = cmd.replace("-m polymarket_assets.replay", f"-m polymarket_assets.replay --port {replay_port}")
        return cmd.replace("dagster dev", f"dagster dev -p {ui_port}")  # `dagster dev -p N -m polymarket_assets`

    wait = (f"{bin_dir}/python -c \"import time, urllib.request, urllib.error\n"
            f"for _ in range(240):\n    try: urllib.request.urlopen('http://127.0.0.1:{replay_port}/tags?limit=1', timeout=1); break\n"
            f"    except OSError: time.sleep(0.5)\""  )
    script = "\n".join(["set -e", local(commands[0]), wait, local(commands[1]), "echo BUILD-DONE", local(commands[2])]) + "\n"
    (tmp_path / "offline.sh").write_text(script)
    env = {**os.environ, "NO_COLOR": "1"}
    for key in ("POLYMARKET_DATA_DIR", "POLYMARKET_DUCKDB_PATH", "POLYMARKET_RATELIMIT_DB", "DAGSTER_HOME", "POLYMARKET_GAMMA_URL",
                "POLYMARKET_CLOB_URL", "POLYMARKET_DATA_URL", "LIMITLESS_API_URL"):
        env.pop(key, None)
    log = (tmp_path / "offline.log").open("w")
    shell = subprocess.Popen(["bash", str(tmp_path / "offline.sh")], cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True)
    try:
        wait_http(f"http://127.0.0.1:{ui_port}/server_info", 1500, shell)
        output = (tmp_path / "offline.log").read_text()
        assert "BUILD-DONE" in output, output[-5000:]
        db = tmp_path / "data" / "polymarket.duckdb"
        for table_name in ("gold.token_ohlcv", "gold.market_daily_volume", "gold.calibration_points", "gold.btc15m_windows"):
            assert scalar(db, f"SELECT count(*) FROM {table_name}") > 0, table_name
        assert scalar(db, "SELECT count(*) FROM gold.btc15m_windows WHERE outcome IS NOT NULL AND mid_t1 IS NOT NULL") > 200
        plots = sorted(p.name for p in (tmp_path / "data" / "gold" / "plots").glob("*.png"))
        assert plots == ["btc15m_mid_vs_outcome.png", "price_path.png", "reliability_diagram.png", "top_markets_daily_volume.png"]
        from polymarket_assets_tests.gold.test_cli_ui import show_plot

        with chromium(tmp_path / "profile") as driver:
            images = show_plot(driver, f"http://127.0.0.1:{ui_port}", "btc15m_windows", timeout=180)
            assert images and images[0][0] == 900, images
    finally:
        os.killpg(shell.pid, signal.SIGTERM)
        try:
            shell.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(shell.pid, signal.SIGKILL)
        log.close()


def test_an_object_storage_data_dir_is_refused_saying_what_to_pass(tmp_path, capsys, monkeypatch):
    from polymarket_assets.replay.__main__ import main

    monkeypatch.setenv("POLYMARKET_DATA_DIR", "s3://some-bucket/lake")
    assert main(["--days", "1", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert "s3://some-bucket/lake" in err and "--data-dir" in err and "--no-stream" in err

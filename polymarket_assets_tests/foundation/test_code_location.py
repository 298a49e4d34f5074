"""The code location loads, and the API clients stay importable without Dagster."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

EXPECTED_ASSETS = {
    *(f"bronze/{name}" for name in ("gamma_events", "gamma_categories", "markets", "market_tokens", "trades", "prices", "leaderboard",
                                    "resolutions", "orderbook_snapshots", "orderbook_ws_events")),
    *(
        f"silver/{name}"
        for name in (
            "event_dim", "category_dim", "event_category", "market_dim", "market_token_dim", "trader_dim",
            "trade_fact", "price_history_fact", "leaderboard_fact", "market_resolution_dim", "orderbook_snapshot_fact",
            "orderbook_top_of_book_1m",
            "orderbook_bbo", "orderbook_gaps",
        )
    ),
    *(
        f"gold/{name}"
        for name in ("token_ohlcv", "market_daily_volume", "calibration_points", "calibration_summary", "calibration_reliability",
                     "btc15m_windows", "btc15m_calibration")
    ),
}


def _python(code: str, **env: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120, env={**os.environ, **env}
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_clients_import_without_dagster() -> None:
    out = _python("import sys, polymarket_assets.clients, polymarket_assets.clients.http; print('dagster' in sys.modules)")
    assert out.strip() == "False"


def test_loading_the_code_location_prints_no_warnings(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-W", "default", "-c", "import polymarket_assets as p; p.code_location().resolve_asset_graph()"],
        cwd=REPO, capture_output=True, text=True, timeout=120, env={**os.environ, "POLYMARKET_DATA_DIR": str(tmp_path)},
    )
    assert result.returncode == 0 and "Warning" not in result.stderr, result.stderr


def test_defs_exposed_lazily_on_the_package(tmp_path: Path) -> None:
    out = _python(
        "import dagster as dg, polymarket_assets as p; print(isinstance(p.code_location(), dg.Definitions)); "
        "print('code_location' in dir(p))",
        POLYMARKET_DATA_DIR=str(tmp_path),
    )
    assert out.split() == ["True", "True"]


def test_every_asset_is_tagged(tmp_path: Path) -> None:
    code = (
        "import json, polymarket_assets as p\n"
        "g = p.code_location().resolve_asset_graph()\n"
        "out = []\n"
        "for key in g.get_all_asset_keys():\n"
        "    n = g.get(key)\n"
        "    if n.is_external: continue\n"
        "    out.append({'key': key.to_user_string(), 'group': n.group_name, 'kinds': sorted(n.kinds), 'owners': list(n.owners)})\n"
        "print(json.dumps(out))\n"
    )
    assets = json.loads(_python(code, POLYMARKET_DATA_DIR=str(tmp_path)))
    assert {a["key"] for a in assets} == EXPECTED_ASSETS
    for asset in assets:
        layer = asset["key"].split("/")[0]
        assert layer in {"bronze", "silver", "gold"}, asset
        assert asset["group"] == layer, asset
        assert asset["kinds"], asset
        assert asset["owners"], asset


@pytest.mark.slow
@pytest.mark.parametrize("target", [["-m", "polymarket_assets"], ["-w", "workspace.yaml"]], ids=["module", "workspace"])
def test_dagster_definitions_validate_cli(tmp_path: Path, target: list[str]) -> None:
    """``-m polymarket_assets`` is what the CLI examples use; ``workspace.yaml`` is what ``dagster dev`` loads."""
    env = {**os.environ, "POLYMARKET_DATA_DIR": str(tmp_path), "DAGSTER_HOME": str(tmp_path)}
    dagster = Path(sys.executable).with_name("dagster")
    result = subprocess.run(
        [str(dagster), "definitions", "validate", *target], cwd=REPO, capture_output=True, text=True, timeout=300, env=env
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All code locations passed validation" in result.stdout + result.stderr


@pytest.mark.parametrize("layer", ["silver", "gold"])
def test_the_automation_sensor_of_a_layer_covers_every_asset_of_it(tmp_path: Path, layer: str) -> None:
    code = (
        "import polymarket_assets as p\n"
        "d = p.code_location()\n"
        f"sensor = d.resolve_sensor_def('{layer}_automation_sensor')\n"
        "graph = d.resolve_asset_graph()\n"
        "print(' '.join(sorted(k.to_user_string() for k in sensor.asset_selection.resolve(graph))))\n"
    )
    targeted = set(_python(code, POLYMARKET_DATA_DIR=str(tmp_path)).split())
    assert targeted == {key for key in EXPECTED_ASSETS if key.startswith(f"{layer}/")}


IMPORTS_DEFS = re.compile(r"^\s*(from\s+polymarket_assets\.defs\b|import\s+polymarket_assets\.defs\b|from\s+polymarket_assets\s+import\s+defs\b)", re.M)


def test_nothing_outside_defs_imports_from_defs() -> None:
    """``defs/`` holds only definitions; the machinery in the plain packages never imports from it."""
    package = REPO / "polymarket_assets"
    offenders = [
        str(path.relative_to(REPO))
        for path in package.rglob("*.py")
        if "defs" not in path.relative_to(package).parts[:1]
        and path.name != "definitions.py"
        and IMPORTS_DEFS.search(path.read_text())
    ]
    assert offenders == []


@pytest.mark.slow
def test_dg_check_defs(tmp_path: Path) -> None:
    """``dg check defs`` loads and validates the autoloaded defs/ folder."""
    result = _dg(tmp_path, "check", "defs")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All definitions loaded successfully" in result.stdout + result.stderr


@pytest.mark.slow
def test_dg_list_defs_shows_every_definition(tmp_path: Path) -> None:
    """``dg list defs`` shows every asset, check, job, schedule, sensor and resource of the snapshot."""
    from polymarket_assets_tests.definitions_snapshot import SNAPSHOT

    result = _dg(tmp_path, "list", "defs", "--json")
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    expected = json.loads(SNAPSHOT.read_text())
    assert {a["asset_key"] for a in listed["assets"]} == set(expected["assets"])
    assert {c["key"] for c in listed["asset_checks"]} == set(expected["asset_checks"])
    assert {j["name"] for j in listed["jobs"]} == set(expected["jobs"])
    assert {s["name"] for s in listed["schedules"]} == set(expected["schedules"])
    assert {s["name"] for s in listed["sensors"]} == set(expected["sensors"])
    assert {r["name"] for r in listed["resources"]} == set(expected["resources"])


def _dg(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "POLYMARKET_DATA_DIR": str(tmp_path), "DAGSTER_HOME": str(tmp_path), "NO_COLOR": "1"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # dg runs the venv's python
    dg_cli = Path(sys.executable).with_name("dg")
    return subprocess.run([str(dg_cli), *args], cwd=REPO, capture_output=True, text=True, timeout=300, env=env)

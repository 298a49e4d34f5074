"""Gold as a user runs it: the real CLI (``--select 'key:gold/*'``), then the plot on the asset's page of the Dagster
UI in a real headless browser."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from polymarket_assets_tests.gold.gold_fixtures import N_CAL, write_gold_lake
from polymarket_assets_tests.silver.helpers import build_direct, scalar
from polymarket_assets_tests.support.browser import chromium, dagster_webserver, rendered_images

REPO = Path(__file__).resolve().parents[2]
SCREENSHOT = REPO / "docs" / "gold_reliability_diagram_in_the_ui.png"
PLOTS = ("reliability_diagram", "price_path", "top_markets_daily_volume", "btc15m_mid_vs_outcome")


def _cli(env: dict[str, str], cwd: Path, *args: str) -> str:
    dagster = Path(sys.executable).with_name("dagster")
    done = subprocess.run([str(dagster), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=600, check=False)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-4000:]
    return out


def show_plot(driver, base_url: str, asset: str, timeout: float = 90.0) -> list[tuple[int, int, bool]]:
    """Open the asset's page, open its ``plot`` metadata (``[Show Markdown]``: long markdown sits behind it) and
    return the inline PNGs the page then holds."""
    from selenium.webdriver.common.by import By

    driver.get(f"{base_url}/assets/gold/{asset}")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        images = [i for i in rendered_images(driver) if i[2]]
        if images:
            return images
        for link in driver.find_elements(By.XPATH, "//*[normalize-space(text())='[Show Markdown]']"):
            # a JavaScript click: the UI may open a welcome dialog over the page on a first visit
            driver.execute_script("arguments[0].click()", link)
        time.sleep(1.0)
    return rendered_images(driver)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_cli_materializes_gold_and_the_ui_shows_the_plot(tmp_path):
    lake = write_gold_lake(tmp_path / "lake")
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    env = {**os.environ, "PYTHONPATH": str(REPO), "DAGSTER_HOME": str(home), "POLYMARKET_DATA_DIR": str(lake),
           "POLYMARKET_DUCKDB_PATH": str(tmp_path / "polymarket.duckdb"), "NO_COLOR": "1"}
    build_direct(lake, tmp_path / "polymarket.duckdb")  # silver, in process (its own CLI test is silver/test_cli.py)
    out = _cli(env, tmp_path, "asset", "materialize", "-m", "polymarket_assets", "--select", "key:gold/*")
    assert "RUN_SUCCESS" in out
    db = tmp_path / "polymarket.duckdb"
    assert scalar(db, "SELECT count(*) FROM gold.calibration_points") == N_CAL * 3
    assert scalar(db, "SELECT count(*) FROM gold.btc15m_windows") == 6
    assert scalar(db, "SELECT count(*) FROM gold.market_daily_volume") > 0
    for plot in PLOTS:
        assert (lake / "gold" / "plots" / f"{plot}.png").stat().st_size > 5000, plot

    with dagster_webserver(env, tmp_path) as url, chromium(tmp_path / "chromium-profile") as driver:
        images = show_plot(driver, url, "calibration_reliability")
        assert images and all(w == 900 and h == 460 for w, h, _ in images), (
            f"no rendered inline PNG on the asset page (found {images}); page text: {driver.find_element('tag name', 'body').text[:1500]}")
        driver.save_screenshot(str(tmp_path / "ui.png"))
        if os.environ.get("POLYMARKET_WRITE_SCREENSHOT") == "1":  # refresh the README's screenshot
            shutil.copy(tmp_path / "ui.png", SCREENSHOT)

"""A real browser for UI tests: Debian's headless chromium driven through /usr/bin/chromedriver (selenium), and the
Dagster webserver as a user runs it (``dagster-webserver -m polymarket_assets`` on 127.0.0.1).

``.ci/run`` installs ``chromium`` and ``chromium-driver`` when missing. Nothing is downloaded: the driver path is
given, so selenium's driver manager is never asked for one."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

CHROMIUM = os.environ.get("POLYMARKET_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("POLYMARKET_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-dev-shm-usage", "--window-size=1400,1000")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def chromium(profile: Path) -> Iterator[Any]:
    """A headless chromium with a fresh profile directory; quits on exit."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for program in (CHROMIUM, CHROMEDRIVER):
        if not (Path(program).is_file() or shutil.which(program)):
            raise RuntimeError(f"{program} is missing: install Debian's chromium and chromium-driver (.ci/run does) to run the UI tests")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@contextlib.contextmanager
def dagster_webserver(env: Mapping[str, str], cwd: Path, *, timeout: float = 120.0, args: tuple[str, ...] = ("-m", "polymarket_assets")) -> Iterator[str]:
    """``dagster-webserver <args>`` on a free port of 127.0.0.1; yields its base URL once it answers."""
    port = free_port()
    exe = Path(sys.executable).with_name("dagster-webserver")
    log = (cwd / f"webserver-{port}.log").open("wb")
    proc = subprocess.Popen([str(exe), *args, "-h", "127.0.0.1", "-p", str(port)], env=dict(env), cwd=cwd, stdout=log,
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/server_info", timeout, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def wait_http(url: str, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


def rendered_images(driver: Any, prefix: str = "data:image/png") -> list[tuple[int, int, bool]]:
    """(naturalWidth, naturalHeight, complete) of every <img> on the page whose src starts with ``prefix``."""
    return driver.execute_script(
        "return Array.from(document.images).filter(i => (i.getAttribute('src') || '').startsWith(arguments[0]))"
        ".map(i => [i.naturalWidth, i.naturalHeight, i.complete]);", prefix)

"""The UI binds 127.0.0.1 unless told otherwise, and no command the README gives a user tells it otherwise."""

from __future__ import annotations

import re
from pathlib import Path

import dagster_webserver.cli

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_webserver_default_host_is_loopback() -> None:
    assert dagster_webserver.cli.DEFAULT_WEBSERVER_HOST == "127.0.0.1"


def test_no_readme_command_binds_the_ui_to_another_address() -> None:
    commands = [line for line in README.read_text().splitlines() if re.search(r"\bdagster(-webserver)? dev\b|\bdagster-webserver\b", line)]
    assert commands  # the README does start the UI
    for line in commands:
        assert not re.search(r"dagster(-webserver)?\b[^`]*\s(-h|--host)\s", line), line

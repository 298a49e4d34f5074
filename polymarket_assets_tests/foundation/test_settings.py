"""Settings: environment variables, overrides, and error messages that name the setting."""

from __future__ import annotations

import pytest

from polymarket_assets import settings


def test_base_url_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POLYMARKET_GAMMA_URL", raising=False)
    assert settings.resolve_base_url(settings.GAMMA_URL) == "https://gamma-api.polymarket.com"
    monkeypatch.setenv("POLYMARKET_GAMMA_URL", "http://127.0.0.1:8123/")
    assert settings.resolve_base_url(settings.GAMMA_URL) == "http://127.0.0.1:8123"
    assert settings.resolve_base_url(settings.GAMMA_URL, "http://localhost:9") == "http://localhost:9"


@pytest.mark.parametrize("bad", ["gamma-api.polymarket.com", "ftp://x", "http://", "http://127.0.0.1:99999", "http://exa mple.com", "http://host:port"])
def test_bad_base_url_names_the_setting(monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    monkeypatch.setenv("POLYMARKET_CLOB_URL", bad)
    with pytest.raises(settings.SettingError) as info:
        settings.resolve_base_url(settings.CLOB_URL)
    message = str(info.value)
    assert "POLYMARKET_CLOB_URL" in message and repr(bad) in message and "environment variable" in message


def test_data_dir_and_duckdb_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("POLYMARKET_DATA_DIR", str(tmp_path / "lake"))
    monkeypatch.delenv("POLYMARKET_DUCKDB_PATH", raising=False)
    monkeypatch.delenv("POLYMARKET_RATELIMIT_DB", raising=False)
    assert settings.data_dir() == (tmp_path / "lake").resolve()
    assert settings.duckdb_path() == (tmp_path / "lake" / "polymarket.duckdb").resolve()
    assert settings.ratelimit_db_path() == (tmp_path / "lake" / "_state" / "ratelimit.sqlite").resolve()
    monkeypatch.setenv("POLYMARKET_DUCKDB_PATH", str(tmp_path / "elsewhere" / "x.duckdb"))
    assert settings.duckdb_path() == (tmp_path / "elsewhere" / "x.duckdb").resolve()


def test_unusable_data_dir_names_the_setting(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("POLYMARKET_DATA_DIR", str(blocker / "sub"))
    with pytest.raises(settings.SettingError, match="POLYMARKET_DATA_DIR"):
        settings.data_dir()


def test_user_agent_is_explicit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POLYMARKET_USER_AGENT", raising=False)
    assert settings.user_agent().startswith("polymarket-assets/")
    assert "python" not in settings.user_agent().lower()


def test_readme_lists_every_setting_and_budget() -> None:
    from pathlib import Path

    from polymarket_assets.clients.budgets import DEFAULT_BUDGETS

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for setting in settings.SETTINGS:
        assert f"`{setting.env}`" in readme, setting.env
    for budget in DEFAULT_BUDGETS.values():
        assert f"| `{budget.name}` | {budget.limit} / {budget.window_seconds:g} s |" in readme, budget.name


@pytest.mark.parametrize("setting", ["POLYMARKET_DUCKDB_PATH", "POLYMARKET_RATELIMIT_DB"])
def test_unusable_file_settings_name_the_setting(monkeypatch: pytest.MonkeyPatch, tmp_path, setting: str) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("POLYMARKET_DATA_DIR", str(tmp_path))
    monkeypatch.setenv(setting, str(blocker / "x.db"))
    with pytest.raises(settings.SettingError, match=setting):
        settings.duckdb_path() if setting == "POLYMARKET_DUCKDB_PATH" else settings.ratelimit_db_path()

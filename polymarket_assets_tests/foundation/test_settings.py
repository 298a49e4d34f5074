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


# -- beyond one machine: the lake's location, the local directory, the limiter's store ----------------------


@pytest.mark.parametrize(
    "value, expected",
    [("s3://my-lake/polymarket/", "s3://my-lake/polymarket"), ("s3://my-lake", "s3://my-lake"), ("s3://a.b-c/x/y", "s3://a.b-c/x/y")],
)
def test_an_s3_lake_location_is_kept_as_given(monkeypatch: pytest.MonkeyPatch, value: str, expected: str) -> None:
    monkeypatch.setenv("POLYMARKET_DATA_DIR", value)
    assert settings.lake_location() == expected and settings.is_remote(expected)


@pytest.mark.parametrize("bad", ["s3://", "s3://Upper_Case/x", "s3://b/x?versionId=1", "gs://bucket/x", "http://host/x"])
def test_a_bad_lake_location_names_the_setting(monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    monkeypatch.setenv("POLYMARKET_DATA_DIR", bad)
    with pytest.raises(settings.SettingError, match="POLYMARKET_DATA_DIR"):
        settings.lake_location()


def test_the_local_directory_follows_the_lake(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.delenv("POLYMARKET_LOCAL_DIR", raising=False)
    monkeypatch.delenv("POLYMARKET_DUCKDB_PATH", raising=False)
    monkeypatch.setenv("POLYMARKET_DATA_DIR", str(tmp_path / "lake"))
    assert settings.local_dir() == (tmp_path / "lake").resolve()  # a local lake: its own root
    monkeypatch.setenv("POLYMARKET_DATA_DIR", "s3://my-lake/polymarket")
    monkeypatch.chdir(tmp_path)
    assert settings.local_dir(create=False) == (tmp_path / "data").resolve()  # S3: ./data
    monkeypatch.setenv("POLYMARKET_LOCAL_DIR", str(tmp_path / "mine"))
    assert settings.duckdb_path(create=False) == (tmp_path / "mine" / "polymarket.duckdb").resolve()
    url, origin = settings.ratelimit_url()
    assert url == settings.sqlite_url(tmp_path / "mine" / "_state" / "ratelimit.sqlite") and "default" in origin
    with pytest.raises(settings.SettingError, match="POLYMARKET_DATA_DIR.*object storage"):
        settings.data_dir()
    monkeypatch.setenv("POLYMARKET_DUCKDB_PATH", "s3://my-lake/silver.duckdb")
    with pytest.raises(settings.SettingError, match="POLYMARKET_DUCKDB_PATH.*local disk"):
        settings.duckdb_path()
    monkeypatch.setenv("POLYMARKET_LOCAL_DIR", "s3://my-lake/local")
    with pytest.raises(settings.SettingError, match="POLYMARKET_LOCAL_DIR"):
        settings.local_dir()


def test_the_limiter_url_and_its_deprecated_file_setting(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("POLYMARKET_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("POLYMARKET_LOCAL_DIR", raising=False)
    monkeypatch.setenv("POLYMARKET_RATELIMIT_URL", "postgresql://rl:pw@db.internal:5432/ratelimit")
    monkeypatch.delenv("POLYMARKET_RATELIMIT_DB", raising=False)
    assert settings.ratelimit_url() == ("postgresql://rl:pw@db.internal:5432/ratelimit", "environment variable POLYMARKET_RATELIMIT_URL")
    monkeypatch.setenv("POLYMARKET_RATELIMIT_URL", "redis://:pw@cache:6379/2")
    assert settings.ratelimit_url()[0] == "redis://:pw@cache:6379/2"
    monkeypatch.setenv("POLYMARKET_RATELIMIT_URL", f"sqlite:///{str(tmp_path / 'x.sqlite').lstrip('/')}")
    assert settings.ratelimit_db_path() == (tmp_path / "x.sqlite").resolve()
    monkeypatch.setenv("POLYMARKET_RATELIMIT_URL", "mysql://rl:topsecret@db/rl")
    with pytest.raises(settings.SettingError, match="POLYMARKET_RATELIMIT_URL") as info:
        settings.ratelimit_url()
    assert "topsecret" not in str(info.value) and "mysql://rl:***@db/rl" in str(info.value)
    # the deprecated file setting still works alone, and must agree with the URL when both are set
    monkeypatch.delenv("POLYMARKET_RATELIMIT_URL")
    monkeypatch.setenv("POLYMARKET_RATELIMIT_DB", str(tmp_path / "old.sqlite"))
    url, origin = settings.ratelimit_url()
    assert url == settings.sqlite_url(tmp_path / "old.sqlite") and "deprecated" in origin
    monkeypatch.setenv("POLYMARKET_RATELIMIT_URL", "redis://cache:6379/0")
    with pytest.raises(settings.SettingError, match="POLYMARKET_RATELIMIT_DB"):
        settings.ratelimit_url()


def test_budget_overrides_for_every_process(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from polymarket_assets.resources import RateLimiterResource

    monkeypatch.setenv("POLYMARKET_RATELIMIT_BUDGETS", '{"data:/trades": 100, "limitless": {"limit": 50, "window_seconds": 5}}')
    resource = RateLimiterResource(db_path=str(tmp_path / "rl.sqlite"), budgets={"data:/trades": 60})
    budgets = resource.get_limiter().budgets
    assert budgets["data:/trades"].limit == 60  # resource config wins
    assert (budgets["limitless"].limit, budgets["limitless"].window_seconds) == (50, 5.0)
    for bad, match in (('{"data:/trade": 1}', "POLYMARKET_RATELIMIT_BUDGETS.*Valid names"), ("[1, 2]", "POLYMARKET_RATELIMIT_BUDGETS must map"),
                       ("{nope", "not valid JSON")):
        monkeypatch.setenv("POLYMARKET_RATELIMIT_BUDGETS", bad)
        with pytest.raises(settings.SettingError, match=match):
            RateLimiterResource(db_path=str(tmp_path / "rl.sqlite")).get_limiter()

"""Resources: run-config budgets reach the shared limiter; base URLs resolve with the setting's name."""

from __future__ import annotations

from pathlib import Path

import pytest

from polymarket_assets.resources import PolymarketApiResource, RateLimiterResource
from polymarket_assets.settings import SettingError


def test_budget_and_window_overrides_reach_the_limiter(tmp_path: Path) -> None:
    resource = RateLimiterResource(
        db_path=str(tmp_path / "rl.sqlite"), budgets={"data:/trades": 40, "limitless": 30}, window_seconds={"data:/trades": 2.0}
    )
    budgets = resource.get_limiter().budgets
    assert (budgets["data:/trades"].limit, budgets["data:/trades"].window_seconds) == (40, 2.0)
    assert (budgets["limitless"].limit, budgets["limitless"].window_seconds) == (30, 10.0)
    assert budgets["gamma:/events"].limit == 500  # untouched published budget


def test_unknown_budget_name_is_rejected_with_the_valid_names(tmp_path: Path) -> None:
    resource = RateLimiterResource(db_path=str(tmp_path / "rl.sqlite"), budgets={"data:/trade": 40})
    with pytest.raises(ValueError, match=r"'data:/trade'.*Valid names:.*data:/trades"):
        resource.get_limiter()


def test_api_resource_resolves_urls_and_names_the_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYMARKET_DATA_URL", "http://127.0.0.1:5999/")
    api = PolymarketApiResource(rate_limiter=RateLimiterResource(db_path=str(tmp_path / "rl.sqlite")), gamma_url="http://127.0.0.1:6000")
    assert api.endpoint("gamma").base_url == "http://127.0.0.1:6000"
    assert (api.endpoint("data").base_url, api.endpoint("data").setting) == ("http://127.0.0.1:5999", "POLYMARKET_DATA_URL")
    bad = PolymarketApiResource(rate_limiter=RateLimiterResource(db_path=str(tmp_path / "rl.sqlite")), clob_url="clob.example")
    with pytest.raises(SettingError, match="POLYMARKET_CLOB_URL"):
        bad.clob()

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
    clients = api.clients()
    assert clients.gamma.endpoint.base_url == "http://127.0.0.1:6000"
    assert (clients.data.endpoint.base_url, clients.data.endpoint.setting) == ("http://127.0.0.1:5999", "environment variable POLYMARKET_DATA_URL")
    assert clients.gamma.endpoint.setting == "resource config polymarket_api.gamma_url"
    assert (clients.gamma.endpoint.api, clients.data.endpoint.api, clients.limitless.endpoint.api) == ("gamma", "data", "limitless")
    monkeypatch.delenv("POLYMARKET_CLOB_URL", raising=False)
    assert clients.clob.endpoint.setting == "the default (set POLYMARKET_CLOB_URL to change it)"
    assert clients.clob.endpoint.base_url == "https://clob.polymarket.com"
    bad = PolymarketApiResource(rate_limiter=RateLimiterResource(db_path=str(tmp_path / "rl.sqlite")), clob_url="clob.example")
    bad_clients = bad.clients()  # an unusable URL fails when its family is first used, naming the setting
    assert bad_clients.gamma.endpoint.api == "gamma"
    with pytest.raises(SettingError, match="POLYMARKET_CLOB_URL.*resource config polymarket_api.clob_url"):
        _ = bad_clients.clob


def test_every_client_variant_shares_the_limiter_and_the_counters(tmp_path: Path) -> None:
    from polymarket_assets.clients.guarded_endpoint import GuardedEndpoint
    from polymarket_assets.clients.http import NoRateLimit

    api = PolymarketApiResource(
        rate_limiter=RateLimiterResource(db_path=str(tmp_path / "rl.sqlite")), connect_timeout=5.0, read_timeout=30.0, max_retries=5
    )
    plain = api.clients()
    assert plain.transport is api.transport and plain.stats is api.stats
    run = api.clients(timeout=2.0)
    assert (run.transport.options.read_timeout, run.transport.options.connect_timeout, run.transport.options.max_retries) == (2.0, 2.0, 5)
    hot = api.clients(timeout=7.0, retries=0, limiter_timeout=1.0)
    assert (hot.transport.options.read_timeout, hot.transport.options.connect_timeout) == (7.0, 5.0)
    assert (hot.transport.options.max_retries, hot.transport.options.limiter_timeout) == (0, 1.0)
    for variant in (run, hot):
        assert variant.transport.limiter is api.transport.limiter and variant.stats is api.stats
    assert isinstance(api.clients(rate_limited=False).transport.limiter, NoRateLimit)
    assert api.clients(timeout=2.0).transport is run.transport  # one transport (and its sessions) per variant
    assert api.transport.options.read_timeout == 30.0  # the resource's own transport is unchanged
    seen: list[str] = []
    guarded = api.clients(timeout=2.0, on_bad_body=lambda body, reason, url: seen.append(reason))
    assert isinstance(guarded.data.endpoint, GuardedEndpoint) and guarded.data.endpoint.on_bad_body is not None
    assert not isinstance(run.data.endpoint, GuardedEndpoint)


def test_loading_the_default_resources_creates_no_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from polymarket_assets.resources import default_resources

    monkeypatch.setenv("POLYMARKET_DATA_DIR", str(tmp_path / "not-yet"))
    monkeypatch.delenv("POLYMARKET_DUCKDB_PATH", raising=False)
    resources = default_resources()
    assert resources["duckdb"].database == str((tmp_path / "not-yet" / "polymarket.duckdb").resolve())
    assert not (tmp_path / "not-yet").exists()


def test_an_unsendable_url_is_a_configuration_error_and_not_retried(tmp_path: Path) -> None:
    from polymarket_assets.clients.errors import ApiError, ApiUnreachableError
    from polymarket_assets.clients.http import Endpoint, HttpOptions, HttpTransport

    transport = HttpTransport(HttpOptions(user_agent="t", max_retries=5))
    endpoint = Endpoint(transport, "gamma", "http://127.0.0.1:99999", "environment variable POLYMARKET_GAMMA_URL")
    with pytest.raises(ApiError, match="not a valid URL.*environment variable POLYMARKET_GAMMA_URL") as info:
        endpoint.get_json("/markets")
    assert not isinstance(info.value, ApiUnreachableError)
    assert transport.stats.snapshot()["retries"] == 0

"""The published budgets (api_reference §0.1) and which budgets each request spends."""

from __future__ import annotations

import pytest

from polymarket_assets.clients.budgets import DEFAULT_BUDGETS, Budget, budgets_for, merge_budgets


@pytest.mark.parametrize(
    ("name", "limit"),
    [
        ("gamma", 4000),
        ("gamma:/events", 500),
        ("gamma:/markets", 300),
        ("gamma:listing", 900),
        ("gamma:/tags", 200),
        ("gamma:/public-search", 350),
        ("data", 1000),
        ("data:/trades", 200),
        ("data:/positions", 150),
        ("data:/closed-positions", 150),
        ("clob", 9000),
        ("clob:/book", 1500),
        ("clob:/price", 1500),
        ("clob:/midpoint", 1500),
        ("clob:/books", 500),
        ("clob:/prices", 500),
        ("clob:/midpoints", 500),
        ("clob:/prices-history", 1000),
        ("clob:/tick-size", 200),
        ("limitless", 100),
    ],
)
def test_published_budgets(name: str, limit: int) -> None:
    budget = DEFAULT_BUDGETS[name]
    assert (budget.name, budget.limit, budget.window_seconds) == (name, limit, 10.0)


@pytest.mark.parametrize(
    ("api", "method", "path", "expected"),
    [
        ("gamma", "GET", "/events", ["gamma:/events", "gamma:listing", "gamma"]),
        ("gamma", "GET", "/events/keyset", ["gamma:/events", "gamma:listing", "gamma"]),
        ("gamma", "GET", "/events/keyset?limit=500&cursor=abc", ["gamma:/events", "gamma:listing", "gamma"]),
        ("gamma", "GET", "/events/slug/btc-updown-15m-1767200400", ["gamma:/events", "gamma"]),
        ("gamma", "GET", "/events/123", ["gamma:/events", "gamma"]),
        ("gamma", "GET", "/markets", ["gamma:/markets", "gamma:listing", "gamma"]),
        ("gamma", "GET", "/markets/keyset", ["gamma:/markets", "gamma:listing", "gamma"]),
        ("gamma", "GET", "/markets/1066851", ["gamma:/markets", "gamma"]),
        ("gamma", "GET", "/markets/slug/will-x-happen", ["gamma:/markets", "gamma"]),
        ("gamma", "GET", "/tags", ["gamma:/tags", "gamma"]),
        ("gamma", "GET", "/public-search", ["gamma:/public-search", "gamma"]),
        ("gamma", "GET", "/series", ["gamma"]),
        ("gamma", "GET", "/eventsx", ["gamma"]),
        ("data", "GET", "/v2/trades", ["data:/trades", "data"]),
        ("data", "GET", "/trades", ["data:/trades", "data"]),
        ("data", "GET", "/v2/positions", ["data:/positions", "data"]),
        ("data", "GET", "/closed-positions", ["data:/closed-positions", "data"]),
        ("data", "GET", "/v2/leaderboard", ["data"]),
        ("data", "GET", "/v2/prices-history", ["data"]),
        ("clob", "GET", "/book", ["clob:/book", "clob"]),
        ("clob", "POST", "/books", ["clob:/books", "clob"]),
        ("clob", "GET", "/price", ["clob:/price", "clob"]),
        ("clob", "POST", "/prices", ["clob:/prices", "clob"]),
        ("clob", "GET", "/midpoint", ["clob:/midpoint", "clob"]),
        ("clob", "POST", "/midpoints", ["clob:/midpoints", "clob"]),
        ("clob", "GET", "/prices-history", ["clob:/prices-history", "clob"]),
        ("clob", "POST", "/batch-prices-history", ["clob:/prices-history", "clob"]),
        ("clob", "GET", "/tick-size", ["clob:/tick-size", "clob"]),
        ("clob", "GET", "/markets", ["clob"]),
        ("limitless", "GET", "/markets/active", ["limitless"]),
        ("limitless", "GET", "/markets/some-slug/orderbook", ["limitless"]),
    ],
)
def test_budgets_for(api: str, method: str, path: str, expected: list[str]) -> None:
    names = budgets_for(api, method, path)
    assert names == expected
    assert all(name in DEFAULT_BUDGETS for name in names)


def test_specific_budgets_are_never_looser_than_their_host_budget() -> None:
    for name, budget in DEFAULT_BUDGETS.items():
        host = name.split(":", 1)[0]
        assert budget.limit <= DEFAULT_BUDGETS[host].limit, name


def test_merge_budgets_applies_int_and_mapping_overrides_without_touching_defaults() -> None:
    merged = merge_budgets({"data:/trades": 150, "limitless": {"limit": 50, "window_seconds": 5}})
    assert merged["data:/trades"] == Budget("data:/trades", 150, 10.0)
    assert merged["limitless"] == Budget("limitless", 50, 5.0)
    assert merged["gamma"] == DEFAULT_BUDGETS["gamma"]
    assert DEFAULT_BUDGETS["data:/trades"].limit == 200
    assert merge_budgets({}) == dict(DEFAULT_BUDGETS)
    assert merge_budgets(None) == dict(DEFAULT_BUDGETS)


def test_merge_budgets_rejects_unknown_names_listing_valid_ones() -> None:
    with pytest.raises(ValueError) as info:
        merge_budgets({"data:/trade": 100, "gama": 5})
    message = str(info.value)
    assert "'data:/trade'" in message and "'gama'" in message
    assert "data:/trades" in message and "gamma:/events" in message and "limitless" in message


@pytest.mark.parametrize("bad", [0, -5, 1.5, True, "100"])
def test_merge_budgets_rejects_bad_limits(bad: object) -> None:
    with pytest.raises(ValueError, match="limit must be a positive integer"):
        merge_budgets({"gamma": bad})  # type: ignore[dict-item]


def test_merge_budgets_rejects_unknown_override_keys() -> None:
    with pytest.raises(ValueError, match="window_seconds"):
        merge_budgets({"gamma": {"limt": 5}})


def test_budget_describe_and_rate() -> None:
    budget = DEFAULT_BUDGETS["gamma:/events"]
    assert budget.describe() == "500 requests / 10 s"
    assert budget.per_second == 50.0

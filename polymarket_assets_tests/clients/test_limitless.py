"""LimitlessClient: ?page=N from 1 without limit, stop on empty data, skip duplicates, AMM 400 → None."""

from __future__ import annotations

from decimal import Decimal

import pytest

from polymarket_assets.clients import Endpoint, HttpOptions, HttpTransport, LimitlessClient, MalformedResponseError, parse_limitless_book
from polymarket_assets_tests.clients.conftest import Seen, real_json

ETH_DAILY_SLUG = "eth-up-or-down-daily-1788105600"


@pytest.fixture
def limitless(transport) -> LimitlessClient:
    return LimitlessClient(Endpoint(transport, LimitlessClient.API, "https://api.limitless.exchange", "LIMITLESS_API_URL"))


# --------------------------------------------------------------------------- recorded (vcrpy) tests


def test_active_markets_and_orderbook(limitless, cassette):
    # the cassette matches queries exactly: an extra `limit` parameter would fail to replay
    with cassette("limitless.yaml"):
        markets = list(limitless.iter_active_markets())
        book = limitless.orderbook(ETH_DAILY_SLUG)
    assert [m["slug"] for m in markets] == [ETH_DAILY_SLUG, "btc-up-or-down-5-min-1788267900"]
    snapshot = parse_limitless_book(book, ETH_DAILY_SLUG)
    assert (snapshot["best_bid"], snapshot["best_ask"]) == (Decimal("0.012"), Decimal("0.219"))
    assert book["bids"][0]["size"] == 83334000  # returned raw: 6-decimal units


# --------------------------------------------------------------------------- local-server edge cases


def _pages(pages: list[list[int]]):
    def handler(seen: Seen):
        assert seen.one("limit") is None and seen.one("pageSize") is None, "never send limit (§5.1)"
        number = int(seen.one("page"))
        ids = pages[number - 1] if number <= len(pages) else []
        total = 0 if not ids else 60
        return 200, {"data": [{"id": i, "slug": f"m-{i}", "tradeType": "clob"} for i in ids], "totalMarketsCount": total}

    return handler


def test_pages_from_1_until_empty_with_duplicates_skipped(fake_http, transport):
    # a new listing on page 1 pushes market 25 onto page 2 while we walk (§5.1)
    fake_http.route("GET", "/markets/active", _pages([list(range(1, 26)), list(range(25, 50)), list(range(50, 60))]))
    client = LimitlessClient(fake_http.endpoint(transport, "limitless"))
    markets = list(client.iter_active_markets(trade_type="clob"))
    assert [m["id"] for m in markets] == list(range(1, 60))
    seen = fake_http.requests_to("/markets/active")
    assert [s.one("page") for s in seen] == ["1", "2", "3", "4"]
    assert all(s.one("tradeType") == "clob" for s in seen)
    assert all(set(s.query) <= {"page", "tradeType"} for s in seen)


def test_page_of_only_known_ids_stops_the_walk(fake_http, transport):
    fake_http.route("GET", "/markets/active", _pages([[1, 2, 3], [1, 2, 3], [4]]))  # server ignoring `page`
    client = LimitlessClient(fake_http.endpoint(transport, "limitless"))
    pages = list(client.iter_active_market_pages())
    assert [p.extra["new_ids"] for p in pages] == [3, 0]
    assert [p.next_cursor for p in pages] == ["2", None]
    assert [m["id"] for m in client.iter_active_markets()] == [1, 2, 3]


def test_category_path(fake_http, transport):
    fake_http.route("GET", "/markets/active/5", _pages([[7]]))
    client = LimitlessClient(fake_http.endpoint(transport, "limitless"))
    assert [m["id"] for m in client.iter_active_markets(category_id=5)] == [7]


def test_amm_orderbook_400_is_none_without_retry(fake_http):
    fake_http.route("GET", f"/markets/{ETH_DAILY_SLUG}/orderbook", lambda s: (400, {"message": "SYNTHETIC: AMM market has no orderbook"}))
    # even with retries enabled, a 400 is answered once
    transport = HttpTransport(HttpOptions(user_agent="t", max_retries=3, backoff_factor=0))
    client = LimitlessClient(fake_http.endpoint(transport, "limitless"))
    assert client.orderbook(ETH_DAILY_SLUG) is None
    assert len(fake_http.requests_to(f"/markets/{ETH_DAILY_SLUG}/orderbook")) == 1
    assert client.market("unknown-slug") is None  # unrouted → 404


def test_market_by_slug(fake_http, transport):
    market = real_json("limitless", "constructed_markets_active_page1.json")["data"][0]
    fake_http.route("GET", f"/markets/{ETH_DAILY_SLUG}", lambda s: (200, market))
    client = LimitlessClient(fake_http.endpoint(transport, "limitless"))
    assert client.market(ETH_DAILY_SLUG)["tokens"]["yes"] == market["tokens"]["yes"]


def test_malformed_page(fake_http, transport):
    fake_http.route("GET", "/markets/active", lambda s: (200, b"<html>Access denied</html>", "text/html"))
    client = LimitlessClient(fake_http.endpoint(transport, "limitless"))
    with pytest.raises(MalformedResponseError) as info:
        list(client.iter_active_markets())
    assert info.value.body == b"<html>Access denied</html>"

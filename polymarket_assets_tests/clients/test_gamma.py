"""GammaClient: keyset walk to the end, legacy offset fallback + 422 cap, repeated params, 404 → None."""

from __future__ import annotations

import pytest

from polymarket_assets.clients import (
    ApiHttpError,
    Endpoint,
    GammaClient,
    MalformedResponseError,
    OffsetCapError,
    PaginationError,
    parse_gamma_event,
    parse_gamma_market,
)
from polymarket_assets_tests.clients.conftest import Seen, real_bytes, real_json

MARKET_FILES = [
    "market_btc_updown_5m_1773307200.json",
    "market_newsom_2028_negrisk_open.json",
    "market_btc_updown_5m_1784850900_resolved_up.json",
    "market_btc_updown_5m_1784851200_resolved_down.json",
    "market_closed_legacy_id12.json",
]


@pytest.fixture
def gamma(transport) -> GammaClient:
    return GammaClient(Endpoint(transport, GammaClient.API, "https://gamma-api.polymarket.com", "POLYMARKET_GAMMA_URL"))


# --------------------------------------------------------------------------- recorded (vcrpy) tests


def test_market_and_event_by_slug(gamma, cassette):
    with cassette("gamma_single_objects.yaml"):
        market = gamma.market_by_slug("btc-updown-5m-1773307200")
        assert gamma.market_by_slug("no-such-market") is None
        event = gamma.event_by_slug("democratic-presidential-nominee-2028")
        assert gamma.event_by_slug("no-such-event") is None
    assert market["id"] == "1557558"
    assert parse_gamma_market(market)["clob_token_ids"][0] == (
        "104239898038807136052399800151408521467737075933964991162589336683346093173875"
    )
    assert parse_gamma_event(event)["market_ids"] == ["559657", "559659"]


def test_events_keyset_walks_to_absent_cursor(gamma, cassette):
    with cassette("gamma_events_keyset.yaml"):
        pages = list(gamma.iter_event_pages({"closed": False}))
    assert [p.next_cursor for p in pages] == ["constructed-events-cursor-1", None]
    assert [p.cursor for p in pages] == [None, "constructed-events-cursor-1"]
    assert [e["id"] for p in pages for e in p.items] == ["30829", "246060"]
    assert pages[0].body == real_bytes("gamma", "constructed_events_keyset_page1.json")
    assert "closed=false" in pages[0].url and "offset" not in pages[0].url


def test_markets_keyset_iter_markets(gamma, cassette):
    with cassette("gamma_markets_keyset.yaml"):
        ids = [m["id"] for m in gamma.iter_markets(page_size=2)]
    assert ids == ["1557558", "559652", "3047949", "3047973"]


def test_tags_offset_paging_until_short_page(gamma, cassette):
    with cassette("gamma_tags.yaml"):
        tags = list(gamma.iter_tags(page_size=5))
    assert [t["slug"] for t in tags] == ["health-and-human-services", "sweeden", "attorney-general", "madrid-open", "crypto-summit"]


# --------------------------------------------------------------------------- local-server paging edge cases


def _market_objects() -> list[dict]:
    return [real_json("gamma", name) for name in MARKET_FILES]


def _keyset_from(objects: list[dict], key: str):
    """A keyset handler serving ``objects`` in pages of ``limit`` with cursors "c<offset>"."""

    def handler(seen: Seen):
        assert seen.one("offset") is None and seen.one("cursor") is None, "keyset requests never send offset/cursor"
        limit = int(seen.one("limit"))
        start = int((seen.one("after_cursor") or "c0")[1:])
        body = {key: objects[start : start + limit]}
        if start + limit < len(objects):
            body["next_cursor"] = f"c{start + limit}"
        return 200, body

    return handler


def _offset_from(objects: list[dict], cap: int | None = None):
    def handler(seen: Seen):
        offset, limit = int(seen.one("offset")), int(seen.one("limit"))
        if cap is not None and offset > cap:
            return 422, real_json("gamma", "constructed_error_422_offset_too_large.json")
        return 200, objects[offset : offset + limit]

    return handler


def test_keyset_many_pages_sends_after_cursor_and_filters_every_page(fake_http, transport):
    markets = _market_objects()
    fake_http.route("GET", "/markets/keyset", _keyset_from(markets, "markets"))
    gamma = GammaClient(fake_http.endpoint(transport, "gamma"))
    pages = list(gamma.iter_market_pages({"closed": True, "start_date_min": "2020-01-01T00:00:00Z"}, page_size=2))
    assert [len(p.items) for p in pages] == [2, 2, 1]
    assert [p.next_cursor for p in pages] == ["c2", "c4", None]
    seen = fake_http.requests_to("/markets/keyset")
    assert [s.one("after_cursor") for s in seen] == [None, "c2", "c4"]
    assert all(s.one("closed") == "true" and s.one("start_date_min") == "2020-01-01T00:00:00Z" for s in seen)
    assert fake_http.requests_to("/markets") == []


def test_keyset_404_falls_back_to_offset_paging(fake_http, transport):
    markets = _market_objects()
    fake_http.route("GET", "/markets", _offset_from(markets))  # /markets/keyset is unrouted → 404
    gamma = GammaClient(fake_http.endpoint(transport, "gamma"))
    pages = list(gamma.iter_market_pages(page_size=2))
    assert [m["id"] for p in pages for m in p.items] == ["1557558", "559652", "3047949", "3047973", "12"]
    assert [(s.one("limit"), s.one("offset")) for s in fake_http.requests_to("/markets")] == [("2", "0"), ("2", "2"), ("2", "4")]
    assert [p.next_cursor for p in pages] == ["2", "4", None]


def test_keyset_422_id_is_invalid_means_missing_route(fake_http, transport):
    events = real_json("gamma", "events_by_slug_democratic_nominee_2028.json")
    fake_http.route("GET", "/events/keyset", lambda s: (422, {"type": "validation error", "error": "id is invalid"}))
    fake_http.route("GET", "/events", _offset_from(events))
    gamma = GammaClient(fake_http.endpoint(transport, "gamma"))
    assert [e["id"] for e in gamma.iter_events()] == ["30829"]


def test_offset_cap_422_stops_with_clear_error_after_yielding(fake_http, transport):
    markets = _market_objects()
    fake_http.route("GET", "/markets", _offset_from(markets, cap=2))
    gamma = GammaClient(fake_http.endpoint(transport, "gamma"))
    got = []
    with pytest.raises(OffsetCapError) as info:
        for page in gamma.iter_market_pages(page_size=2):
            got.extend(m["id"] for m in page.items)
    assert got == ["1557558", "559652", "3047949", "3047973"]
    assert info.value.offset == 4
    assert "offset too large" in str(info.value) and "start_date_min" in str(info.value)
    assert b"offset too large" in info.value.body


def test_keyset_other_422_is_an_http_error(fake_http, transport):
    body = {"type": "validation error", "error": "offset is not allowed on keyset endpoints"}
    fake_http.route("GET", "/events/keyset", lambda s: (422, body))
    gamma = GammaClient(fake_http.endpoint(transport, "gamma"))
    with pytest.raises(ApiHttpError) as info:
        list(gamma.iter_events())
    assert info.value.status == 422
    assert fake_http.requests_to("/events") == []


def test_echoed_cursor_is_detected(fake_http, transport):
    event = real_json("gamma", "events_by_slug_democratic_nominee_2028.json")[0]
    fake_http.route("GET", "/events/keyset", lambda s: (200, {"events": [event], "next_cursor": "same"}))
    gamma = GammaClient(fake_http.endpoint(transport, "gamma"))
    pages = []
    with pytest.raises(PaginationError, match="a second time"):
        for page in gamma.iter_event_pages():
            pages.append(page)
    assert len(pages) == 1 and len(fake_http.requests_to("/events/keyset")) == 2


def test_repeatable_params_are_repeated_never_comma_joined(fake_http, transport):
    fake_http.route("GET", "/markets/keyset", lambda s: (200, {"markets": []}))
    gamma = GammaClient(fake_http.endpoint(transport, "gamma"))
    list(gamma.iter_markets({"clob_token_ids": ["111", "222"], "slug": "a,b", "id": [5]}))
    seen = fake_http.requests_to("/markets/keyset")[0]
    assert seen.query["clob_token_ids"] == ["111", "222"]
    assert seen.query["slug"] == ["a", "b"]
    assert seen.query["id"] == ["5"]


def test_more_than_100_condition_ids_become_separate_walks(fake_http, transport):
    fake_http.route("GET", "/markets/keyset", lambda s: (200, {"markets": [{"id": str(len(s.query["condition_ids"]))}]}))
    gamma = GammaClient(fake_http.endpoint(transport, "gamma"))
    ids = [f"0x{i:064x}" for i in range(250)]
    assert [m["id"] for m in gamma.iter_markets({"condition_ids": ids})] == ["100", "100", "50"]
    seen = fake_http.requests_to("/markets/keyset")
    assert seen[2].query["condition_ids"] == ids[200:]


def test_argument_validation(transport):
    gamma = GammaClient(Endpoint(transport, GammaClient.API, "http://127.0.0.1:9", "POLYMARKET_GAMMA_URL"))
    with pytest.raises(ValueError, match="offset"):
        list(gamma.iter_events({"offset": 100}))
    with pytest.raises(ValueError, match="between 1 and 100"):
        list(gamma.iter_markets(page_size=500))
    with pytest.raises(ValueError, match="numeric"):
        gamma.market_by_id("btc-updown-5m-1773307200")


@pytest.mark.parametrize(
    ("payload", "ctype", "reason"),
    [
        (b"<html><body>Cloudflare</body></html>", "text/html", "HTML"),
        (b'{"data": []}', "application/json", "'events'"),
        (b'{"events": {"not": "a list"}}', "application/json", "expected an array"),
        (b'{"events": [], "next_cursor": 5}', "application/json", "next_cursor"),
    ],
)
def test_malformed_keyset_body_keeps_raw_bytes(fake_http, transport, payload, ctype, reason):
    fake_http.route("GET", "/events/keyset", lambda s: (200, payload, ctype))
    gamma = GammaClient(fake_http.endpoint(transport, "gamma"))
    with pytest.raises(MalformedResponseError) as info:
        list(gamma.iter_events())
    assert info.value.body == payload
    assert reason.lower() in str(info.value).lower()

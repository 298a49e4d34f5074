"""ClobClient: /book (404 → None), POST /books chunks, prices-history window split, /markets to LTE=."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from polymarket_assets.clients import ClobClient, Endpoint, MalformedResponseError, PaginationError, parse_clob_book, parse_clob_market
from polymarket_assets.clients.clob.client import split_window
from polymarket_assets_tests.clients.conftest import Seen, real_bytes

BOOK_TOKEN = "23360939988679364027624185518382759743328544433592111535569478055890815567848"
WS_BOOK_TOKEN = "350977769852917329387037893294763093471844346281449484439085576212613048126"
TRUMP_YES = "21742633143463906290569050155826241533067272736897614950488156847949938836455"
TRUMP_NO = "48331043336612883890938759509493159234755048973500640148014422747788308965732"
DAY = 86400


@pytest.fixture
def clob(transport) -> ClobClient:
    return ClobClient(Endpoint(transport, ClobClient.API, "https://clob.polymarket.com", "POLYMARKET_CLOB_URL"))


# --------------------------------------------------------------------------- recorded (vcrpy) tests


def test_book_and_404_is_none(clob, cassette):
    with cassette("clob_books.yaml"):
        body = clob.book(BOOK_TOKEN)
        assert clob.book("1") is None  # "No orderbook exists…": unknown OR resolved, indistinguishable
    snapshot = parse_clob_book(body)
    assert (snapshot["best_bid"], snapshot["best_ask"]) == (Decimal("0.1"), Decimal("0.14"))
    assert snapshot["exchange_ts"] == datetime(2024, 10, 13, 6, 3, 38, 260000, tzinfo=timezone.utc)


def test_post_books(clob, cassette):
    with cassette("clob_books.yaml"):
        books = clob.books([BOOK_TOKEN, WS_BOOK_TOKEN, BOOK_TOKEN])  # duplicate sent once (body is matched)
    snapshots = [parse_clob_book(b) for b in books]
    assert [s["asset_id"] for s in snapshots] == [BOOK_TOKEN, WS_BOOK_TOKEN]
    assert [s["best_bid"] for s in snapshots] == [Decimal("0.1"), Decimal("0.07")]
    assert snapshots[1]["tick_size"] == Decimal("0.01")


def test_markets_walk_until_lte(clob, cassette):
    with cassette("clob_markets.yaml"):
        pages = list(clob.iter_market_pages())
        market = clob.market("0xdd22472e552920b8438158ea7238bfadfa4f736aa4cee91a6b86c39ead110917")
    assert [len(p.items) for p in pages] == [100, 3]
    assert [p.cursor for p in pages] == ["MA==", "MTAw"]
    assert [p.next_cursor for p in pages] == ["MTAw", None]  # "LTE=" ends the walk
    assert pages[0].body == real_bytes("clob", "markets_page_first_cursor_MA.json")
    assert parse_clob_market(pages[0].items[0])["condition_id"] == (
        "0x12a0cb60174abc437bf1178367c72d11f069e1a3add20b148fb0ab4279b772b2"
    )
    assert market["question"] == "Will Donald Trump win the 2024 US Presidential Election?"


def test_prices_history_and_batch(clob, cassette):
    with cassette("clob_prices_history.yaml"):
        history = clob.prices_history(TRUMP_YES, start_ts=1788800000, end_ts=1788801000, fidelity=1)
        batch = clob.batch_prices_history([TRUMP_YES, TRUMP_NO], start_ts=1788800000, end_ts=1788801000)
    assert history == [{"t": 1788800640, "p": 0.955}, {"t": 1788800700, "p": 0.955}]
    assert batch[TRUMP_YES] == history and batch[TRUMP_NO] == [{"t": 1788800640, "p": 0.955}]


# --------------------------------------------------------------------------- local-server edge cases


def test_split_window():
    assert split_window(0, 40 * DAY) == [(0, 15 * DAY), (15 * DAY, 30 * DAY), (30 * DAY, 40 * DAY)]
    assert split_window(5, 5) == [(5, 5)]
    with pytest.raises(ValueError):
        split_window(10, 0)


def test_prices_history_splits_windows_over_15_days(fake_http, transport):
    def handler(seen: Seen):
        start, end = int(seen.one("startTs")), int(seen.one("endTs"))
        assert end - start <= 15 * DAY and seen.one("market") == TRUMP_YES and seen.one("interval") is None
        return 200, {"history": [{"t": start, "p": 0.5}, {"t": end, "p": 0.6}]}

    fake_http.route("GET", "/prices-history", handler)
    clob = ClobClient(fake_http.endpoint(transport, "clob"))
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    points = clob.prices_history(TRUMP_YES, start_ts=start, end_ts=int(start.timestamp()) + 40 * DAY, fidelity=60)
    seen = fake_http.requests_to("/prices-history")
    base = int(start.timestamp())
    assert [(int(s.one("startTs")) - base, int(s.one("endTs")) - base) for s in seen] == [
        (0, 15 * DAY),
        (15 * DAY, 30 * DAY),
        (30 * DAY, 40 * DAY),
    ]
    assert all(s.one("fidelity") == "60" for s in seen)
    assert [p["t"] - base for p in points] == [0, 15 * DAY, 30 * DAY, 40 * DAY]  # shared boundaries once


def test_prices_history_argument_rules(transport):
    clob = ClobClient(Endpoint(transport, ClobClient.API, "http://127.0.0.1:9", "POLYMARKET_CLOB_URL"))
    with pytest.raises(ValueError, match="mutually exclusive"):
        clob.prices_history("1", start_ts=1, interval="1d")
    with pytest.raises(ValueError, match="needs start_ts"):
        clob.prices_history("1", end_ts=5)


def test_prices_history_interval_only(fake_http, transport):
    fake_http.route("GET", "/prices-history", lambda s: (200, {"history": [{"t": 1, "p": 0.1}]}))
    clob = ClobClient(fake_http.endpoint(transport, "clob"))
    assert clob.prices_history("7", interval="max") == [{"t": 1, "p": 0.1}]
    seen = fake_http.requests_to("/prices-history")[0]
    assert seen.one("interval") == "max" and seen.one("startTs") is None


def test_batch_prices_history_chunks_of_20(fake_http, transport):
    def handler(seen: Seen):
        assert len(seen.body["markets"]) <= 20
        return 200, {"history": {m: [{"t": seen.body["start_ts"], "p": 0.5}] for m in seen.body["markets"][:-1]}}

    fake_http.route("POST", "/batch-prices-history", handler)
    clob = ClobClient(fake_http.endpoint(transport, "clob"))
    tokens = [str(10**70 + i) for i in range(45)]
    result = clob.batch_prices_history(tokens, start_ts=0, end_ts=20 * DAY, fidelity=5)
    bodies = [s.body for s in fake_http.requests_to("/batch-prices-history")]
    assert [len(b["markets"]) for b in bodies] == [20, 20, 20, 20, 5, 5]  # 3 id chunks × 2 windows
    assert [(b["start_ts"], b["end_ts"]) for b in bodies[:2]] == [(0, 15 * DAY), (15 * DAY, 20 * DAY)]
    assert all(b["fidelity"] == 5 for b in bodies)
    assert list(result) == tokens  # every requested id is a key
    assert result[tokens[0]] == [{"t": 0, "p": 0.5}, {"t": 15 * DAY, "p": 0.5}]
    assert result[tokens[19]] == []  # the server returned nothing for it


def test_one_batch_window_returns_the_points_as_sent(fake_http, transport):
    points = [{"t": 300, "p": 0.5}, {"t": 100, "p": "bad"}, {"t": 300, "p": 0.6}]
    fake_http.route("POST", "/batch-prices-history", lambda s: (200, {"history": {s.body["markets"][0]: points}}))
    clob = ClobClient(fake_http.endpoint(transport, "clob"))
    assert clob.batch_prices_history_window(["7", "8"], start_ts=0, end_ts=DAY, fidelity=1) == {"7": points}  # not merged/sorted
    (seen,) = fake_http.requests_to("/batch-prices-history")
    assert seen.body == {"markets": ["7", "8"], "start_ts": 0, "end_ts": DAY, "fidelity": 1}
    with pytest.raises(ValueError, match="20 tokens and ≤ 15 days"):
        clob.batch_prices_history_window([str(i) for i in range(21)], start_ts=0, end_ts=DAY)
    with pytest.raises(ValueError, match="15 days"):
        clob.batch_prices_history_window(["7"], start_ts=0, end_ts=16 * DAY)
    fake_http.route("POST", "/batch-prices-history", lambda s: (200, {"history": {"7": {"t": 1}}}))
    with pytest.raises(MalformedResponseError, match="is not an array"):
        clob.batch_prices_history_window(["7"], start_ts=0, end_ts=DAY)


def test_books_chunks_and_rejects_bad_elements(fake_http, transport):
    fake_http.route("POST", "/books", lambda s: (200, [{"asset_id": t["token_id"], "bids": [], "asks": []} for t in s.body]))
    clob = ClobClient(fake_http.endpoint(transport, "clob"))
    books = clob.books([str(i) for i in range(250)], chunk_size=100)
    assert len(books) == 250
    assert [len(s.body) for s in fake_http.requests_to("/books")] == [100, 100, 50]
    assert clob.books([]) == []
    fake_http.route("POST", "/books", lambda s: (200, ["oops"]))
    with pytest.raises(MalformedResponseError) as info:
        clob.books(["1"])
    assert info.value.body == b'["oops"]'


def test_book_malformed_body(fake_http, transport):
    fake_http.route("GET", "/book", lambda s: (200, b'{"market": "0x1", "bids": [', "application/json"))
    clob = ClobClient(fake_http.endpoint(transport, "clob"))
    with pytest.raises(MalformedResponseError) as info:
        clob.book("1")
    assert info.value.body == b'{"market": "0x1", "bids": ['


def test_markets_cursor_echo_detected(fake_http, transport):
    fake_http.route("GET", "/markets", lambda s: (200, {"data": [{"condition_id": "0x1"}], "next_cursor": "MTAw", "limit": 100, "count": 1}))
    clob = ClobClient(fake_http.endpoint(transport, "clob"))
    with pytest.raises(PaginationError):
        list(clob.iter_markets())
    assert [s.one("next_cursor") for s in fake_http.requests_to("/markets")] == ["MA==", "MTAw"]


def test_merge_points_keeps_points_with_bad_timestamps() -> None:
    from polymarket_assets.clients.clob.client import _merge_points

    points = [{"t": 20, "p": 0.5}, {"t": "garbage", "p": 0.1}, {"t": 10, "p": 0.4}, {"t": None, "p": 0.2}, {"t": 20, "p": 0.6}]
    merged = _merge_points(points)
    assert [p["t"] for p in merged[:2]] == [10, 20] and merged[1]["p"] == 0.6
    assert {repr(p["t"]) for p in merged[2:]} == {"'garbage'", "None"}

"""DataApiClient (v2): cursor chains until null, condition batches of 20, limit on the first page only,
never offset, 15-day prices-history windows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from polymarket_assets.clients import (
    DataApiClient,
    Endpoint,
    MalformedResponseError,
    PaginationError,
    parse_leaderboard_row_v2,
    parse_resolution_v2,
    parse_trade_v2,
)
from polymarket_assets_tests.clients.conftest import Seen, real_bytes, real_json

TRUMP_YES = "21742633143463906290569050155826241533067272736897614950488156847949938836455"
DAY = 86400


@pytest.fixture
def data(transport) -> DataApiClient:
    return DataApiClient(Endpoint(transport, DataApiClient.API, "https://data-api.polymarket.com", "POLYMARKET_DATA_URL"))


# --------------------------------------------------------------------------- recorded (vcrpy) tests


def test_trades_follow_cursor_until_null(data, cassette):
    with cassette("data_v2.yaml"):
        pages = list(data.iter_trade_pages(limit=1))
    assert [p.next_cursor for p in pages] == ["constructed-v2-trades-cursor-1", None]
    assert pages[1].cursor == "constructed-v2-trades-cursor-1"
    assert pages[0].body == real_bytes("data_api", "constructed_v2_trades_page1.json")
    rows = [parse_trade_v2(r) for p in pages for r in p.items]
    assert [r["transaction_hash"] for r in rows] == [
        "0x8b2fd0c7480cd78bd9f57e8b935cf10c6635d2c479c66ea26d358e1425f44a95",
        "0x146b03a91c743a9f8757f8c448c74edc0d898621ea4716766d38ae79eabbc52e",
    ]
    assert [r["outcome_index"] for r in rows] == [999, 999]  # the feed's "unknown" sentinel, kept as sent


def test_leaderboard_and_prices_history(data, cassette):
    with cassette("data_v2.yaml"):
        board = [parse_leaderboard_row_v2(r) for r in data.iter_leaderboard()]
        points = list(data.iter_prices_history(TRUMP_YES, interval="1d"))
    assert [(r["rank"], r["user_id"]) for r in board] == [
        (1, "0x31e5d54aded22aa7cd80dbe9e33102abe2504879"),
        (2, "0xf0318c32136c2db7fec88b84869aee6a1106c80c"),
    ]
    assert board[0]["pnl"] == Decimal("966725.5781960003")
    assert points == real_json("data_api", "v2_prices_history_data_array.json")


# --------------------------------------------------------------------------- local-server edge cases


def _chained_trades(pages_per_chain: int = 2):
    """Handler: every distinct ``condition`` value gets its own cursor chain of ``pages_per_chain`` pages."""
    trade = real_json("data_api", "v2_trades_data_array.json")[0]

    def handler(seen: Seen):
        assert seen.one("offset") is None, "v2 is cursor-only"
        cursor = seen.one("cursor")
        if cursor is None:
            index, condition = 0, seen.one("condition")
        else:
            condition, index = cursor.rsplit("|", 1)[0], int(cursor.rsplit("|", 1)[1])
            assert seen.one("condition") == condition, "the cursor pins the query: filters are re-sent"
        has_more = index + 1 < pages_per_chain
        row = {**trade, "condition_id": (condition or "").split(",")[0], "transaction_hash": f"{condition}#{index}"}
        return 200, {
            "data": [row],
            "pagination": {"limit": 1, "has_more": has_more, "next_cursor": f"{condition}|{index + 1}" if has_more else None},
        }

    return handler


def test_condition_batches_of_20_each_with_own_cursor_chain(fake_http, transport):
    fake_http.route("GET", "/v2/trades", _chained_trades())
    client = DataApiClient(fake_http.endpoint(transport, "data"))
    conditions = [f"0x{i:064x}" for i in range(45)]
    pages = list(client.iter_trade_pages(conditions=conditions + conditions[:3], limit=500, side="BUY"))
    seen = fake_http.requests_to("/v2/trades")
    assert len(seen) == 6 and len(pages) == 6  # 3 batches (20, 20, 5) × 2 pages
    batches = [s.one("condition").split(",") for s in seen]
    assert [len(b) for b in batches] == [20, 20, 20, 20, 5, 5]
    assert batches[0] == conditions[:20] and batches[4] == conditions[40:]
    assert [s.one("limit") for s in seen] == ["500", None] * 3  # limit only on each chain's first page
    assert [s.one("cursor") is None for s in seen] == [True, False] * 3
    assert all(s.one("taker_only") == "true" and s.one("side") == "BUY" for s in seen)
    assert pages[0].extra["conditions"] == conditions[:20]
    assert pages[1].extra["has_more"] is False


def test_a_chain_resumes_at_a_saved_cursor(fake_http, transport):
    fake_http.route("GET", "/v2/trades", _chained_trades(pages_per_chain=4))
    client = DataApiClient(fake_http.endpoint(transport, "data"))
    conditions = [f"0x{i:064x}" for i in range(3)]
    full = list(client.iter_trade_pages(conditions=conditions, limit=500))
    saved = full[1].next_cursor  # a walk that stopped after its second page
    fake_http.seen.clear()
    resumed = list(client.iter_trade_pages(conditions=conditions, limit=500, cursor=saved))
    seen = fake_http.requests_to("/v2/trades")
    assert [p.items for p in resumed] == [p.items for p in full[2:]]  # exactly the pages not yet fetched
    assert [p.cursor for p in resumed] == [saved, full[2].next_cursor]
    assert [s.one("cursor") for s in seen] == [saved, full[2].next_cursor]
    assert all(s.one("limit") is None for s in seen)  # limit belongs to a chain's first page only
    assert all(s.one("condition") == ",".join(conditions) and s.one("taker_only") == "true" for s in seen)
    assert resumed[0].extra["conditions"] == conditions and resumed[-1].next_cursor is None
    with pytest.raises(ValueError, match="one chain"):
        list(client.iter_trade_pages(conditions=[f"0x{i:064x}" for i in range(21)], cursor=saved))


def test_taker_only_false_and_event_ids_comma_joined(fake_http, transport):
    fake_http.route("GET", "/v2/trades", lambda s: (200, {"data": None, "pagination": {"has_more": False, "next_cursor": None}}))
    client = DataApiClient(fake_http.endpoint(transport, "data"))
    assert list(client.iter_trades(taker_only=False, event_id=[30829, 246060])) == []  # data: null = no rows
    seen = fake_http.requests_to("/v2/trades")[0]
    assert seen.one("taker_only") == "false" and seen.one("event_id") == "30829,246060"
    assert seen.one("limit") is None


def test_has_more_false_ends_even_with_a_cursor(fake_http, transport):
    fake_http.route("GET", "/v2/trades", lambda s: (200, {"data": [{"token_id": "1"}], "pagination": {"has_more": False, "next_cursor": "x"}}))
    client = DataApiClient(fake_http.endpoint(transport, "data"))
    assert len(list(client.iter_trades())) == 1
    assert len(fake_http.requests_to("/v2/trades")) == 1


def test_echoed_cursor_detected(fake_http, transport):
    fake_http.route("GET", "/v2/leaderboard", lambda s: (200, {"data": [{"rank": 1}], "pagination": {"has_more": True, "next_cursor": "same"}}))
    client = DataApiClient(fake_http.endpoint(transport, "data"))
    with pytest.raises(PaginationError):
        list(client.iter_leaderboard(time_period="week", sort_by="VOLUME"))
    assert fake_http.requests_to("/v2/leaderboard")[0].one("time_period") == "week"


def test_trade_argument_validation(transport):
    client = DataApiClient(Endpoint(transport, DataApiClient.API, "http://127.0.0.1:9", "POLYMARKET_DATA_URL"))
    with pytest.raises(ValueError, match="0x"):
        list(client.iter_trades(conditions=["1066851"]))  # a Gamma id is not a condition id
    with pytest.raises(ValueError):
        list(client.iter_trades(offset=100))
    with pytest.raises(ValueError):
        list(client.iter_trades(market="0x" + "0" * 64))
    with pytest.raises(ValueError):
        list(client.iter_pages("/v2/trades", {"offset": 1}))


def test_malformed_envelope(fake_http, transport):
    fake_http.route("GET", "/v2/trades", lambda s: (200, [{"token_id": "1"}]))  # a v1-style bare array
    client = DataApiClient(fake_http.endpoint(transport, "data"))
    with pytest.raises(MalformedResponseError) as info:
        list(client.iter_trades())
    assert info.value.body == b'[{"token_id": "1"}]'


def test_prices_history_windows_split_at_15_days(fake_http, transport):
    def handler(seen: Seen):
        start, end = int(seen.one("start")), int(seen.one("end"))
        assert end - start <= 15 * DAY and seen.one("interval") is None
        return 200, {
            "data": [{"timestamp": start, "price": 0.5, "resolution_seconds": 3600}],
            "pagination": {"has_more": False, "next_cursor": None},
        }

    fake_http.route("GET", "/v2/prices-history", handler)
    client = DataApiClient(fake_http.endpoint(transport, "data"))
    points = list(client.iter_prices_history(TRUMP_YES, start=1_700_000_000, end=1_700_000_000 + 31 * DAY))
    seen = fake_http.requests_to("/v2/prices-history")
    assert [(int(s.one("start")) - 1_700_000_000, int(s.one("end")) - 1_700_000_000) for s in seen] == [
        (0, 15 * DAY),
        (15 * DAY, 30 * DAY),
        (30 * DAY, 31 * DAY),
    ]
    assert all(s.one("token_id") == TRUMP_YES for s in seen)
    assert [p["timestamp"] - 1_700_000_000 for p in points] == [0, 15 * DAY, 30 * DAY]


def test_prices_history_needs_exactly_one_window_form(transport):
    client = DataApiClient(Endpoint(transport, DataApiClient.API, "http://127.0.0.1:9", "POLYMARKET_DATA_URL"))
    with pytest.raises(ValueError, match="exactly one"):
        list(client.iter_prices_history("1"))
    with pytest.raises(ValueError, match="exactly one"):
        list(client.iter_prices_history("1", start=1, interval="max"))
    with pytest.raises(ValueError, match="end needs start"):
        list(client.iter_prices_history("1", end=5, interval="max"))


def test_resolutions_in_batches_of_20_and_the_real_records_parsed(fake_http, transport):
    records = real_json("data_api", "v2_resolutions_data_array.json")
    conditions = [r["condition_id"] for r in records] + [f"0x{i:064x}" for i in range(40)]

    def handler(request):
        wanted = request.one("condition").split(",")
        return 200, {"data": [r for r in records if r["condition_id"] in wanted]}  # a miss is simply absent

    fake_http.route("GET", "/v2/resolutions", handler)
    client = DataApiClient(fake_http.endpoint(transport, "data"))
    pages = list(client.iter_resolution_pages(conditions + conditions[:2]))
    assert [len(s.one("condition").split(",")) for s in fake_http.requests_to("/v2/resolutions")] == [20, 20, 2]
    assert pages[0].extra["conditions"] == conditions[:20]
    parsed = [parse_resolution_v2(r) for p in pages for r in p.items]
    assert [(r["status"], r["was_disputed"], r["price"], r["log_index"]) for r in parsed] == [
        ("resolved", False, "0", 170), ("posed", False, "69", 139)]
    assert parsed[0]["last_update"] == dt.datetime(2026, 7, 29, 20, 11, 59, tzinfo=dt.timezone.utc)
    assert parsed[0]["transaction_hash"] == records[0]["transaction_hash"] and parsed[1]["proposed_price"] == "69"
    with pytest.raises(ValueError, match="0x \\+ 64 hex"):
        list(client.iter_resolution_pages(["1460332"]))

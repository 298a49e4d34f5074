"""Pure parsing: every api_reference §6 quirk, asserted with concrete values from the real bodies."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from polymarket_assets.clients import (
    ParseError,
    clob_market_tokens,
    compact_json,
    gamma_market_tokens,
    json_list,
    market_resolution,
    normalize_book,
    parse_clob_book,
    parse_clob_market,
    parse_clob_price_point,
    parse_date,
    parse_gamma_event,
    parse_gamma_market,
    parse_gamma_tag,
    parse_leaderboard_row_v2,
    parse_limitless_book,
    parse_limitless_market,
    parse_price_point_v2,
    parse_timestamp,
    parse_trade_v2,
    to_decimal,
    to_id_str,
    to_int,
)
from polymarket_assets.clients.data_api import DATA_V2_OUTCOME_INDEX_UNKNOWN
from polymarket_assets.clients.gamma import uma_statuses
from polymarket_assets_tests.clients.conftest import real_json

UTC = timezone.utc
D = Decimal


# --------------------------------------------------------------------------- timestamps (quirk 4)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # CLOB /book timestamp: milliseconds as a JSON string (book_election_2024_oct.json)
        ("1728799418260", datetime(2024, 10, 13, 6, 3, 38, 260000, tzinfo=UTC)),
        # Data API v2 trade timestamp: int seconds (v2_trades_data_array.json)
        (1788887014, datetime(2026, 9, 8, 17, 3, 34, tzinfo=UTC)),
        # v2 resolutions last_update_timestamp: seconds as a string
        ("1785355919", datetime(2026, 7, 29, 20, 11, 59, tzinfo=UTC)),
        # Limitless oraclePriceData timestamp: ms int
        (1788160353000, datetime(2026, 8, 31, 7, 12, 33, tzinfo=UTC)),
        (1788800640.0, datetime(2026, 9, 7, 17, 4, tzinfo=UTC)),
        # Gamma ISO with 6 / 3 / 0 fractional digits
        ("2025-12-30T17:10:15.861305Z", datetime(2025, 12, 30, 17, 10, 15, 861305, tzinfo=UTC)),
        ("2026-02-27T23:34:28.752Z", datetime(2026, 2, 27, 23, 34, 28, 752000, tzinfo=UTC)),
        ("2026-04-01T18:24:05.41Z", datetime(2026, 4, 1, 18, 24, 5, 410000, tzinfo=UTC)),
        ("2025-12-31T17:15:00Z", datetime(2025, 12, 31, 17, 15, tzinfo=UTC)),
        ("2026-08-31T07:12:32.741Z", datetime(2026, 8, 31, 7, 12, 32, 741000, tzinfo=UTC)),
        # nanosecond fractions are truncated to microseconds
        ("2026-01-01T00:00:00.123456789Z", datetime(2026, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)),
        # offsets are converted to UTC
        ("2026-01-01T00:00:00-05:00", datetime(2026, 1, 1, 5, 0, tzinfo=UTC)),
        ("2026-01-01T02:30:00+0230", datetime(2026, 1, 1, 0, 0, tzinfo=UTC)),
        # Postgres text form (Gamma closedTime / gameStartTime / tag publishedAt)
        ("2026-04-05 19:37:33+00", datetime(2026, 4, 5, 19, 37, 33, tzinfo=UTC)),
        ("2024-03-07 20:44:01.258+00", datetime(2024, 3, 7, 20, 44, 1, 258000, tzinfo=UTC)),
        # date only (Gamma endDateIso) and Limitless human text (expirationDate)
        ("2025-12-31", datetime(2025, 12, 31, tzinfo=UTC)),
        ("Jan 1, 2027", datetime(2027, 1, 1, tzinfo=UTC)),
        ("September 30, 2026", datetime(2026, 9, 30, tzinfo=UTC)),
        ("Sept 3 2026", datetime(2026, 9, 3, tzinfo=UTC)),
        (date(2026, 5, 1), datetime(2026, 5, 1, tzinfo=UTC)),
        (datetime(2026, 5, 1, 12), datetime(2026, 5, 1, 12, tzinfo=UTC)),
    ],
)
def test_parse_timestamp_formats(value, expected):
    result = parse_timestamp(value)
    assert result == expected
    assert result.tzinfo is not None and result.utcoffset().total_seconds() == 0


@pytest.mark.parametrize("value", [None, "", "   "])
def test_parse_timestamp_empty_is_none(value):
    assert parse_timestamp(value) is None


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "2026-02-30T00:00:00Z", "12:00", "Foo 1, 2026", True, {"t": 1}, [1]])
def test_parse_timestamp_garbage_raises_with_value(value):
    with pytest.raises(ValueError) as info:
        parse_timestamp(value)
    assert repr(value)[:10] in str(info.value)


def test_parse_date_reduces_to_utc_date():
    assert parse_date("2025-12-31") == date(2025, 12, 31)
    assert parse_date("2026-01-01T02:00:00+05:00") == date(2025, 12, 31)
    assert parse_date(None) is None


# --------------------------------------------------------------------------- scalars (quirks 1, 3, 5)


def test_json_list_handles_json_inside_strings():
    market = real_json("gamma", "event_btc_updown_15m_1767200400_market0.json")
    assert json_list(market["outcomes"]) == ["Up", "Down"]
    assert json_list(market["outcomePrices"]) == ["0.585", "0.415"]
    assert json_list(market["umaResolutionStatuses"]) == []
    assert json_list(["already", "a", "list"]) == ["already", "a", "list"]
    assert json_list(None) is None and json_list("") is None
    with pytest.raises(ParseError):
        json_list("[not json")
    with pytest.raises(ParseError):
        json_list('{"a": 1}')


def test_to_decimal_from_text_never_via_float():
    assert str(to_decimal("0.430")) == "0.430"  # trailing zero kept (CLOB last_trade_price)
    legacy = real_json("gamma", "market_closed_scalar_legacy_id43.json")
    first_price = json_list(legacy["outcomePrices"])[0]
    assert to_decimal(first_price) == D("0.5843311669077693146635445446077281")  # 34 digits survive
    assert to_decimal(966725.5781960003) == D("966725.5781960003")  # float → its JSON text
    assert to_decimal(0.1) == D("0.1")
    assert to_decimal(5) == D(5)
    assert to_decimal(None) is None and to_decimal("") is None
    for bad in (True, "abc", "NaN", "Infinity", [1]):
        with pytest.raises(ParseError):
            to_decimal(bad)


def test_identifiers_stay_strings():
    token = "100621704916396384184205224105871827982844371725320616822883322969092312254616"
    assert to_id_str(token) == token
    assert to_id_str(int(token)) == token
    with pytest.raises(ParseError):
        to_id_str(1.0066e77)  # a float token id has already lost digits
    assert to_int("170") == 170
    with pytest.raises(ParseError):
        to_int("1.5")


# --------------------------------------------------------------------------- books (quirk 2)


def test_normalize_book_polymarket_best_last_is_sorted_best_first():
    book = real_json("clob", "book_election_2024_oct.json")
    result = normalize_book(book["bids"], book["asks"])
    assert result["bids"] == [(D("0.1"), D("125")), (D("0.09"), D("294")), (D("0.08"), D("120")), (D("0.06"), D("200")), (D("0.01"), D("1000"))]
    assert [p for p, _ in result["asks"]] == [D("0.14"), D("0.2"), D("0.38"), D("0.46"), D("0.47"), D("0.5"), D("0.98")]
    assert result["asks"][2] == (D("0.38"), D("192.3"))
    assert (result["best_bid"], result["best_ask"]) == (D("0.1"), D("0.14"))
    assert result["mid"] == D("0.12") and result["spread"] == D("0.04")


def test_normalize_book_is_order_independent_and_handles_pairs():
    book = real_json("clob", "book_election_2024_oct.json")
    forward = normalize_book(book["bids"], book["asks"])
    backward = normalize_book(list(reversed(book["bids"])), list(reversed(book["asks"])))
    assert forward == backward
    pairs = normalize_book([["0.4", "10"], ["0.45", "5"]], [["0.5", "1"], ["0.47", "0"]])
    assert pairs["bids"] == [(D("0.45"), D("5")), (D("0.4"), D("10"))]
    assert pairs["asks"] == [(D("0.5"), D("1"))]  # size "0" = no level


def test_normalize_book_empty_side_gives_none():
    result = normalize_book([{"price": "0.5", "size": "1"}], [])
    assert result["best_bid"] == D("0.5")
    assert result["best_ask"] is None and result["mid"] is None and result["spread"] is None
    assert normalize_book(None, None)["best_bid"] is None
    with pytest.raises(ParseError):
        normalize_book([{"price": "x", "size": "1"}], [])


def test_parse_clob_book_2024_shape():
    snapshot = parse_clob_book(real_json("clob", "book_election_2024_oct.json"))
    assert snapshot["venue"] == "polymarket"
    assert snapshot["condition_id"] == "0x1a4f04c2e6c000d9fc524eb12e7333217411a226c34745af140f195c0227cd5f"
    assert snapshot["asset_id"] == "23360939988679364027624185518382759743328544433592111535569478055890815567848"
    assert snapshot["exchange_ts"] == datetime(2024, 10, 13, 6, 3, 38, 260000, tzinfo=UTC)
    assert (snapshot["best_bid"], snapshot["best_ask"], snapshot["mid"], snapshot["spread"]) == (D("0.1"), D("0.14"), D("0.12"), D("0.04"))
    assert snapshot["hash"] == "2fc4a3d6a98bc164e057589bcb74981852b87412"
    assert snapshot["tick_size"] is None and snapshot["neg_risk"] is None  # 2024 bodies lack them
    assert json.loads(snapshot["raw_json"]) == real_json("clob", "book_election_2024_oct.json")


def test_parse_clob_book_2026_shape():
    snapshot = parse_clob_book(real_json("clob_ws", "book_snapshot_with_tick_size_2026.json"))
    assert snapshot["asset_id"] == "350977769852917329387037893294763093471844346281449484439085576212613048126"
    assert snapshot["exchange_ts"] == datetime(2026, 8, 13, 6, 54, 32, 222000, tzinfo=UTC)
    assert (snapshot["best_bid"], snapshot["best_ask"]) == (D("0.07"), D("0.08"))
    assert snapshot["bids"][0] == (D("0.07"), D("182528.55")) and snapshot["asks"][0] == (D("0.08"), D("228198.28"))
    assert len(snapshot["bids"]) == 7 and len(snapshot["asks"]) == 57
    assert snapshot["tick_size"] == D("0.01")
    assert str(snapshot["last_trade_price"]) == "0.920"


def test_parse_clob_book_rejects_wrong_shape_and_keeps_object():
    bad = {"asset_id": "1", "bids": "nope", "asks": []}
    with pytest.raises(ParseError) as info:
        parse_clob_book(bad)
    assert info.value.obj is bad
    with pytest.raises(ParseError):
        parse_clob_book({"bids": [], "asks": []})  # no asset_id
    with pytest.raises(ParseError):
        parse_clob_book(["not", "an", "object"])


def test_parse_limitless_ws_book_best_first_raw_sizes():
    frame = real_json("limitless", "ws_orderbookUpdate_full_book_eth_daily.json")[1]
    snapshot = parse_limitless_book(frame, "ignored-slug")
    assert snapshot["venue"] == "limitless"
    assert snapshot["market_id"] == "eth-up-or-down-daily-1788105600"  # marketSlug wins
    assert snapshot["asset_id"] == "25018063611559838047404811982184442876005199660833597814711111046007291893507"
    assert snapshot["exchange_ts"] == datetime(2026, 8, 31, 7, 12, 32, 741000, tzinfo=UTC)
    assert snapshot["version"] == 7861372
    assert (snapshot["best_bid"], snapshot["best_ask"]) == (D("0.012"), D("0.219"))
    assert snapshot["mid"] == D("0.1155") and snapshot["spread"] == D("0.207")
    assert snapshot["bids"][0] == (D("0.012"), D("83.334"))  # 83334000 raw 6-decimal units
    assert snapshot["asks"][-1] == (D("0.999"), D("2000"))
    assert snapshot["min_order_size"] == D("100")
    assert snapshot["venue_mid"] == D("0.1155") and snapshot["adjusted_mid"] == D("0.115")


def test_parse_limitless_rest_book_has_no_timestamp():
    body = real_json("limitless", "constructed_orderbook_eth_daily.json")
    snapshot = parse_limitless_book(body, "eth-up-or-down-daily-1788105600")
    assert snapshot["market_id"] == "eth-up-or-down-daily-1788105600"
    assert snapshot["exchange_ts"] is None and snapshot["version"] is None
    assert snapshot["best_bid"] == D("0.012")
    raw = parse_limitless_book(body, "s", size_decimals=0)
    assert raw["bids"][0] == (D("0.012"), D("83334000"))


# --------------------------------------------------------------------------- resolution (quirk 9)


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("market_btc_updown_5m_1784850900_resolved_up.json", 0),
        ("market_btc_updown_5m_1784851200_resolved_down.json", 1),
        ("market_closed_binary_accepting_false.json", 1),  # umaResolutionStatus resolved, statuses ["proposed"]
        ("market_sports_moneyline_closed.json", 0),
        ("market_closed_legacy_id12.json", None),  # legacy void ["0","0"]
        ("market_closed_scalar_legacy_id43.json", None),  # 34-digit scalar prices
        ("market_closed_binary_accepting_true.json", None),  # closed, ["1","0"] but no UMA "resolved"
        ("market_newsom_2028_negrisk_open.json", None),
        ("event_btc_updown_15m_1767200400_market0.json", None),
    ],
)
def test_market_resolution_real_markets(fixture, expected):
    assert market_resolution(real_json("gamma", fixture)) == expected


def test_market_resolution_needs_every_signal():
    resolved = real_json("gamma", "market_btc_updown_5m_1784850900_resolved_up.json")
    assert market_resolution({**resolved, "closed": False}) is None
    assert market_resolution({**resolved, "umaResolutionStatus": "proposed"}) is None
    assert market_resolution({**resolved, "outcomePrices": '["1", "1"]'}) is None
    assert market_resolution({**resolved, "outcomePrices": '["0.99", "0.01"]'}) is None
    assert market_resolution({**resolved, "outcomePrices": '["1.0", "0.000"]'}) == 0
    no_plain = {k: v for k, v in resolved.items() if k != "umaResolutionStatus"}
    assert market_resolution({**no_plain, "umaResolutionStatuses": '["proposed", "resolved"]'}) == 0
    assert uma_statuses(real_json("gamma", "market_sports_moneyline_closed.json")) == ["proposed", "resolved"]


# --------------------------------------------------------------------------- Gamma flatteners


def test_parse_gamma_market_15m_btc():
    obj = real_json("gamma", "event_btc_updown_15m_1767200400_market0.json")
    row = parse_gamma_market(obj)
    assert row["market_id"] == "1066851"
    assert row["condition_id"] == "0x2e6af11e4b853b05ba7135239b21d77e808889b6ce1e735de856c94c4e5b5fce"
    assert row["outcomes"] == ["Up", "Down"]
    assert row["outcome_prices"] == [D("0.585"), D("0.415")]
    assert row["clob_token_ids"] == [
        "8851848546962572193739008211889046036776198486765606333032192644001246174440",
        "10181859819235412241349111952383458602722012323104397550162049365057126390549",
    ]
    assert row["volume"] == D("92509.470055") and row["liquidity"] == D("20579.7452")
    assert row["start_date"] == datetime(2025, 12, 30, 17, 10, 15, 861305, tzinfo=UTC)
    assert row["end_date"] == datetime(2025, 12, 31, 17, 15, tzinfo=UTC)
    assert row["event_start_time"] == datetime(2025, 12, 31, 17, 0, tzinfo=UTC)
    assert row["end_date_iso"] == date(2025, 12, 31)
    assert row["closed_time"] is None and row["resolved_outcome_index"] is None
    assert json.loads(row["raw_json"]) == obj


def test_parse_gamma_market_closed_sports_and_legacy():
    sports = parse_gamma_market(real_json("gamma", "market_sports_moneyline_closed.json"))
    assert sports["closed_time"] == datetime(2026, 4, 5, 19, 37, 33, tzinfo=UTC)
    assert sports["game_start_time"] == datetime(2026, 4, 5, 15, 10, tzinfo=UTC)
    assert sports["resolved_outcome_index"] == 0
    assert sports["uma_resolution_statuses"] == ["proposed"] and sports["uma_resolution_status"] == "resolved"
    legacy = parse_gamma_market(real_json("gamma", "market_closed_legacy_id12.json"))
    assert legacy["volume"] == D("32257.445115") and legacy["volume_num"] == D("32257.45")  # §1.3 rounding quirk
    assert legacy["outcome_prices"] == [D("0"), D("0")] and legacy["resolved_outcome_index"] is None
    assert legacy["closed_time"] == datetime(2020, 11, 2, 16, 31, 1, tzinfo=UTC)


def test_parse_gamma_market_keeps_nested_objects_and_events():
    resolved = parse_gamma_market(real_json("gamma", "market_btc_updown_5m_1784850900_resolved_up.json"))
    assert json.loads(resolved["fee_schedule_json"]) == {"rate": 0.07, "exponent": 1, "takerOnly": True, "rebateRate": 0.2}
    assert resolved["fee_type"] == "crypto_fees_v2" and resolved["liquidity"] == D("0")
    newsom = parse_gamma_market(real_json("gamma", "market_newsom_2028_negrisk_open.json"))
    assert newsom["event_ids"] == ["30829"] and newsom["neg_risk"] is True
    subset = parse_gamma_market(real_json("gamma", "market_btc_updown_5m_twap_fee_schedule_subset.json"))
    assert subset["volume"] is None and subset["created_at"] is None  # field subset: absent → None
    assert "cryptoMarketConfig" in json.loads(subset["raw_json"])  # unknown fields are kept


def test_gamma_market_tokens():
    open_rows = gamma_market_tokens(real_json("gamma", "event_btc_updown_15m_1767200400_market0.json"))
    assert [(r["token_id"], r["outcome"], r["outcome_index"], r["price"], r["winner"]) for r in open_rows] == [
        ("8851848546962572193739008211889046036776198486765606333032192644001246174440", "Up", 0, D("0.585"), None),
        ("10181859819235412241349111952383458602722012323104397550162049365057126390549", "Down", 1, D("0.415"), None),
    ]
    assert {r["market_id"] for r in open_rows} == {"1066851"}
    down = gamma_market_tokens(real_json("gamma", "market_btc_updown_5m_1784851200_resolved_down.json"))
    assert [r["winner"] for r in down] == [False, True]
    assert down[1]["token_id"] == "48265563723288791013647874716778794965875981985781900232388978043327398639215"
    broken = {**real_json("gamma", "market_btc_updown_5m_1773307200.json"), "outcomes": '["Up", "Down", "Flat"]'}
    with pytest.raises(ParseError) as info:
        gamma_market_tokens(broken)
    assert info.value.obj is broken
    assert gamma_market_tokens({"id": "1", "clobTokenIds": None}) == []


def test_parse_gamma_event_with_tags_and_markets():
    event = real_json("gamma", "events_by_slug_democratic_nominee_2028.json")[0]
    row = parse_gamma_event(event)
    assert row["event_id"] == "30829" and row["slug"] == "democratic-presidential-nominee-2028"
    assert row["market_ids"] == ["559657", "559659"]
    assert row["tag_ids"] == ["101206", "1597", "144", "2", "1101", "102458", "264"]
    assert row["tag_slugs"][:2] == ["world-elections", "global-elections"]
    assert row["volume"] == D("799823812.487094") and row["neg_risk"] is True
    assert row["start_time"] == datetime(2028, 11, 7, 12, tzinfo=UTC)
    assert json.loads(row["raw_json"])["markets"][0]["id"] == "559657"
    search_event = parse_gamma_event(real_json("gamma", "public_search_bitcoin.json")["events"][0])
    assert search_event["event_id"] == "246060" and "bitcoin" in search_event["tag_slugs"]


def test_parse_gamma_tag():
    rows = [parse_gamma_tag(t) for t in real_json("gamma", "tags_page.json")]
    assert [r["tag_id"] for r in rows] == ["101259", "101842", "101302", "102067", "101944"]
    assert rows[0]["created_at"] == datetime(2024, 11, 13, 19, 58, 34, 318816, tzinfo=UTC)
    assert rows[4]["force_show"] is False and rows[0]["force_show"] is None
    nested = parse_gamma_tag(real_json("gamma", "events_by_slug_democratic_nominee_2028.json")[0]["tags"][1])
    assert nested["published_at"] == datetime(2024, 3, 7, 20, 44, 1, 258000, tzinfo=UTC)


# --------------------------------------------------------------------------- CLOB markets


def test_parse_clob_market_and_tokens():
    trump = real_json("clob", "market_by_condition_trump_2024.json")
    row = parse_clob_market(trump)
    assert row["condition_id"] == "0xdd22472e552920b8438158ea7238bfadfa4f736aa4cee91a6b86c39ead110917"
    assert row["minimum_tick_size"] == D("0.001") and row["minimum_order_size"] == D("5")
    assert row["end_date_iso"] == datetime(2024, 11, 5, tzinfo=UTC)
    assert row["accepting_order_timestamp"] is None and row["fpmm"] is None
    assert row["neg_risk_request_id"] == "0xc2d6714f691eacd6ec494c7d6e5eaaf7dfba8907dcaf55b2dd93e7b479da1605"
    tokens = clob_market_tokens(trump)
    assert [(t["token_id"], t["outcome"], t["price"], t["winner"]) for t in tokens] == [
        ("21742633143463906290569050155826241533067272736897614950488156847949938836455", "Yes", D("0.4865"), False),
        ("48331043336612883890938759509493159234755048973500640148014422747788308965732", "No", D("0.5135"), False),
    ]
    desantis = real_json("clob", "markets_page_first_cursor_MA.json")["data"][0]
    assert parse_clob_market(desantis)["neg_risk_market_id"] is None  # "" means none
    assert [(t["price"], t["winner"]) for t in clob_market_tokens(desantis)] == [(D("0"), False), (D("1"), True)]


# --------------------------------------------------------------------------- Data API v2


def test_parse_trade_v2_keeps_the_feed_sentinels_as_sent():
    raw = real_json("data_api", "v2_trades_data_array.json")
    row = parse_trade_v2(raw[0])
    assert row["token_id"] == "100621704916396384184205224105871827982844371725320616822883322969092312254616"
    assert row["condition_id"] == "0xc8a2f17f42fa8493ebae503abec9d51efa7b57c3cc59a7b88933bffaa3618387"
    assert (row["size"], row["price"], row["side"]) == (D("78.55"), D("0.62"), "BUY")
    assert row["timestamp"] == datetime(2026, 9, 8, 17, 3, 34, tzinfo=UTC)
    # the 999 / "" sentinels are typed but not interpreted here: bronze maps them to NULL (bronze/rows.py)
    assert row["outcome_index"] == DATA_V2_OUTCOME_INDEX_UNKNOWN == 999 and row["event_slug"] == ""
    assert json.loads(row["raw_json"])["outcome_index"] == 999  # raw value kept
    assert parse_trade_v2({**raw[0], "event_slug": None})["event_slug"] is None
    assert parse_trade_v2({**raw[1], "outcome_index": 1, "event_slug": "nfl"})["outcome_index"] == 1
    assert parse_trade_v2(raw[1])["size"] == D("0.07")
    for drift in ({"token_id": 77}, {"condition_id": 66}):  # a retyped id is no id
        with pytest.raises(ParseError, match=rf"^{next(iter(drift))}: expected an identifier string"):
            parse_trade_v2({**raw[0], **drift})
    for drift in ({"side": 3}, {"title": 82}, {"event_slug": 0}, {"outcome": 2}, {"pseudonym": 17}):
        with pytest.raises(ParseError, match=rf"^{next(iter(drift))}: expected text"):
            parse_trade_v2({**raw[0], **drift})  # a retyped text field is quarantined, never stored as "3"
    renamed = {("outcome_v2" if k == "outcome" else k): v for k, v in raw[0].items()}
    with pytest.raises(ParseError, match=r"field\(s\) outcome missing .*outcome_v2"):
        parse_trade_v2(renamed)  # a renamed field is drift: never landed as a NULL outcome
    assert parse_trade_v2({**raw[0], "added_by_the_api": 1})["outcome"] == row["outcome"]  # a new field is kept in raw_json


def test_parse_leaderboard_and_price_points():
    rows = [parse_leaderboard_row_v2(r) for r in real_json("data_api", "v2_leaderboard_data_array.json")]
    assert rows[0]["rank"] == 1 and rows[0]["user_name"] == "Noprajsk"
    assert rows[0]["pnl"] == D("966725.5781960003") and rows[1]["volume"] == D("74566.884519")
    assert rows[0]["verified"] is False and rows[0]["x_username"] is None
    points = [parse_price_point_v2(p, "tok") for p in real_json("data_api", "v2_prices_history_data_array.json")]
    assert points[0] == {"token_id": "tok", "ts": datetime(2026, 9, 7, 17, 4, tzinfo=UTC), "price": D("0.955"), "resolution_seconds": 60, "source": "data_v2"}
    clob = parse_clob_price_point({"t": 1788800700, "p": 0.955})
    assert clob["ts"] == datetime(2026, 9, 7, 17, 5, tzinfo=UTC) and clob["price"] == D("0.955") and clob["resolution_seconds"] is None
    with pytest.raises(ParseError):
        parse_clob_price_point({"t": 1})


def test_parse_limitless_market_synthetic_shape():
    market = real_json("limitless", "constructed_markets_active_page1.json")["data"][0]
    row = parse_limitless_market(market)
    assert row["slug"] == "eth-up-or-down-daily-1788105600" and row["market_id"] == "1"
    assert row["expiration"] == datetime(2027, 1, 1, tzinfo=UTC)
    assert row["volume"] == D("290.091252")
    assert row["yes_token_id"] == "25018063611559838047404811982184442876005199660833597814711111046007291893507"
    no_ms = {k: v for k, v in market.items() if k != "expirationTimestamp"}
    assert parse_limitless_market(no_ms)["expiration"] == datetime(2027, 1, 1, tzinfo=UTC)  # from "Jan 1, 2027"


def test_compact_json_keeps_unicode_and_order():
    assert compact_json({"b": "\u201cYes\u201d", "a": 1}) == '{"b":"\u201cYes\u201d","a":1}'

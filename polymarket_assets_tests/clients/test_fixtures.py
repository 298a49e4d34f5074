"""The client fixtures stay honest: real copies are unedited, constructed files and cassettes are current."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from polymarket_assets_tests.clients.conftest import REAL, real_json

SHARED = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "real"  # ../shared beside the clone (CI layout)


def _builder():
    spec = importlib.util.spec_from_file_location("build_cassettes", REAL.parent / "build_cassettes.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def test_constructed_files_and_cassettes_are_up_to_date():
    assert _builder().build(check=True) == [], "run polymarket_assets_tests/fixtures/build_cassettes.py"


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/fixtures/real is not beside this checkout")
def test_real_copies_are_byte_identical_to_shared():
    copies = [p for p in REAL.glob("*/*.json") if not p.name.startswith("constructed_")]
    assert len(copies) >= 25
    for path in copies:
        assert path.read_bytes() == (SHARED / path.parent.name / path.name).read_bytes(), path.name


def test_constructed_envelopes_hold_the_real_objects_unchanged():
    page1 = real_json("gamma", "constructed_markets_keyset_page1.json")
    assert page1["markets"][0] == real_json("gamma", "market_btc_updown_5m_1773307200.json")
    event = real_json("gamma", "constructed_event_slug_democratic_nominee_2028.json")
    assert event == real_json("gamma", "events_by_slug_democratic_nominee_2028.json")[0]
    trades = real_json("data_api", "v2_trades_data_array.json")
    assert real_json("data_api", "constructed_v2_trades_page1.json")["data"] == trades[:1]
    books = real_json("clob", "constructed_books_post_response.json")
    ws_book = real_json("clob_ws", "book_snapshot_with_tick_size_2026.json")
    assert books[1] == {k: v for k, v in ws_book.items() if k != "event_type"}
    orderbook = real_json("limitless", "constructed_orderbook_eth_daily.json")
    assert orderbook == real_json("limitless", "ws_orderbookUpdate_full_book_eth_daily.json")[1]["orderbook"]
    for folder in ("gamma", "clob", "data_api", "limitless"):
        readme = (REAL / folder / "README.md").read_text()
        for path in (REAL / folder).glob("constructed_*.json"):
            assert path.name in readme, f"{folder}/README.md must describe {path.name}"
    assert json.loads((REAL / "clob" / "constructed_markets_page_last_LTE.json").read_text())["next_cursor"] == "LTE="

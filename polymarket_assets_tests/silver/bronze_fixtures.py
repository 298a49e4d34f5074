"""Small bronze lakes for the silver tests, written with the exact contract schemas.

Every id and value comes from a real captured body in ``polymarket_assets_tests/fixtures/real`` (Gamma
event 30829 "Democratic Presidential Nominee 2028" with two of its markets, two more Gamma markets, the
``/tags`` page, the v2 trades/leaderboard/prices-history samples). Trades on the known markets reuse their
real token/condition ids. The expected silver contents are spelled out in ``EXPECTED``.

Layout (``<root>/bronze/<dataset>/dt=YYYY-MM-DD/part-0.parquet``):

* gamma_events      dt=2025-07-11: event 30829
* gamma_categories  5 'tag' rows on their creation days + 7 'event_tag' rows for event 30829 on 2025-07-11
* markets           dt=2025-07-11: 559657, 559659 · dt=2026-02-27: 1460332 · dt=2026-07-23: 3047949
* market_tokens     the 8 outcome tokens of those markets, same days
* trades            dt=2026-09-08: the 2 real v2 trades (markets not in bronze/markets → orphans) + 3 on
                    559657/559659 · dt=2026-09-09: 2 on 559659  → 7 trades
* prices            dt=2026-09-07: the 2 real v2 points, on 559659's Yes token
* leaderboard       dt=2026-09-08: the 2 real rows (day / PNL / overall)
* resolutions       the day each closed market closed: dt=2026-03-19: 1460332 (katana, resolved No, with the
                    real 'resolved' v2 record) · dt=2026-07-24: 3047949 (BTC 5-min, resolved Up, no v2 record)
* orderbook_snapshots  books of the real CLOB book (election 2024) and the real Limitless book (BTC 5-min),
                    at synthetic receive times: dt=2026-09-08: 3 Polymarket snapshots over two minutes (the
                    second without the best bid: bid 0.09, mid 0.115), the first written twice (a documented
                    drop), and one Limitless snapshot with its bids removed (an empty side: NULL best bid and
                    mid) · dt=2026-09-09: 1 Polymarket snapshot
* orderbook_ws_events  dt=2026-09-08: a WebSocket raw log written record by record (real frame shapes, SYNTHETIC
                    values: ``streaming_ws/raw_days.py``) and compacted: 4 subscribed tokens, 40 changes, a lost
                    delta (a mismatch gap closed by a fresh book), a lost connection at the end (gaps open at
                    the end of the day)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from polymarket_assets.bronze.coerce import coerce_row
from polymarket_assets.bronze.rows import resolution_row as bronze_resolution_row
from polymarket_assets.bronze.rows import trade_row as bronze_trade_row
from polymarket_assets.bronze.schemas import RESOLUTIONS, SCHEMAS
from polymarket_assets.clients import parse_gamma_market, parse_resolution_v2, parse_trade_v2
from polymarket_assets.streaming.books import limitless_book, polymarket_book

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
UTC = dt.timezone.utc
FETCHED = dt.datetime(2026, 9, 10, 6, 0, tzinfo=UTC)


def _load(rel: str) -> Any:
    return json.loads((REAL / rel).read_text())


def ts(value: str | int | None) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, int):
        return dt.datetime.fromtimestamp(value, UTC)
    text = value.replace(" ", "T").replace("+00", "+00:00") if "+00" in value and "+00:" not in value else value
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.000001"))


def full_row(dataset: str, **values: Any) -> dict[str, Any]:
    schema = SCHEMAS[dataset]
    row = {f.name: None for f in schema}
    if "raw_json" in row:
        row["raw_json"] = "{}"
    if "fetched_at" in row:
        row["fetched_at"] = FETCHED
    unknown = set(values) - set(row)
    if unknown:
        raise KeyError(f"{dataset} has no column(s) {sorted(unknown)}")
    row.update(values)
    return row


def write_partition(root: Path, dataset: str, day: str | dt.date, rows: list[dict[str, Any]]) -> Path:
    """Write (or atomically replace) one bronze day partition; its fingerprint always changes."""
    day = day if isinstance(day, str) else day.isoformat()
    directory = Path(root) / "bronze" / dataset / f"dt={day}"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "part-0.parquet"
    table = pa.Table.from_pylist([full_row(dataset, **r) for r in rows], schema=SCHEMAS[dataset])
    tmp = directory.parent / f".dt={day}.tmp"
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)
    return path


# -- rows from the real bodies ---------------------------------------------------------------------

EVENT = _load("gamma/events_by_slug_democratic_nominee_2028.json")[0]
TAGS = _load("gamma/tags_page.json")
TRADES = _load("data_api/v2_trades_data_array.json")
BOARD = _load("data_api/v2_leaderboard_data_array.json")
POINTS = _load("data_api/v2_prices_history_data_array.json")
MARKET_BTC = _load("gamma/market_btc_updown_5m_1784850900_resolved_up.json")
MARKET_KATANA = _load("gamma/market_closed_binary_accepting_false.json")
SMITH, WHITMER = EVENT["markets"]


def event_row(event: dict[str, Any] = EVENT, **override: Any) -> dict[str, Any]:
    row = {
        "event_id": event["id"], "slug": event["slug"], "ticker": event["ticker"], "title": event["title"],
        "description": event.get("description"), "start_date": ts(event["startDate"]), "end_date": ts(event["endDate"]),
        "created_at": ts(event["createdAt"]), "updated_at": ts(event["updatedAt"]), "active": event["active"],
        "closed": event["closed"], "archived": event["archived"], "neg_risk": event["negRisk"], "volume": dec(event["volume"]),
        "liquidity": dec(event["liquidity"]), "open_interest": dec(event["openInterest"]), "volume_24hr": event["volume24hr"],
        "tag_ids": [t["id"] for t in event["tags"]], "tag_slugs": [t["slug"] for t in event["tags"]],
        "market_ids": [m["id"] for m in event["markets"]], "raw_json": json.dumps({"id": event["id"]}),
    }
    row.update(override)
    return row


def tag_row(tag: dict[str, Any], record_type: str = "tag", event_id: str | None = None, **override: Any) -> dict[str, Any]:
    row = {
        "record_type": record_type, "tag_id": tag["id"], "label": tag["label"], "slug": tag["slug"], "force_show": tag.get("forceShow"),
        "created_at": ts(tag.get("createdAt")), "updated_at": ts(tag.get("updatedAt")), "event_id": event_id,
        "raw_json": json.dumps(tag, separators=(",", ":")),
    }
    row.update(override)
    return row


def market_row(m: dict[str, Any], event_id: str | None = None, **override: Any) -> dict[str, Any]:
    prices = [dec(p) for p in json.loads(m["outcomePrices"])]
    row = {
        "market_id": m["id"], "condition_id": m["conditionId"], "question_id": m.get("questionID"), "slug": m["slug"],
        "question": m["question"], "description": m.get("description"), "event_id": event_id,
        "event_slug": EVENT["slug"] if event_id == EVENT["id"] else None, "outcomes": json.loads(m["outcomes"]),
        "outcome_prices": prices, "clob_token_ids": json.loads(m["clobTokenIds"]), "start_date": ts(m.get("startDate")),
        "end_date": ts(m.get("endDate")), "created_at": ts(m.get("createdAt")), "updated_at": ts(m.get("updatedAt")),
        "closed_time": ts(m.get("closedTime")), "active": m.get("active"), "closed": m.get("closed"), "archived": m.get("archived"),
        "accepting_orders": m.get("acceptingOrders"), "enable_order_book": m.get("enableOrderBook"), "neg_risk": m.get("negRisk"),
        "neg_risk_market_id": m.get("negRiskMarketID"), "volume": dec(m.get("volume")), "liquidity": dec(m.get("liquidity")),
        "volume_24hr": m.get("volume24hr"), "best_bid": dec(m.get("bestBid")), "best_ask": dec(m.get("bestAsk")),
        "last_trade_price": dec(m.get("lastTradePrice")), "tick_size": dec(m.get("orderPriceMinTickSize")),
        "min_order_size": dec(m.get("orderMinSize")), "uma_resolution_status": m.get("umaResolutionStatus"),
        "raw_json": json.dumps({"id": m["id"]}),
    }
    row.update(override)
    return row


def token_rows(m: dict[str, Any], **override: Any) -> list[dict[str, Any]]:
    outcomes, tokens, prices = json.loads(m["outcomes"]), json.loads(m["clobTokenIds"]), json.loads(m["outcomePrices"])
    rows = []
    for i, (outcome, token, price) in enumerate(zip(outcomes, tokens, prices, strict=True)):
        row = {"token_id": token, "condition_id": m["conditionId"], "market_id": m["id"], "outcome": outcome, "outcome_index": i,
                   "price": dec(price), "winner": None}
        row.update(override)
        rows.append(row)
    return rows


def trade_key(t: dict[str, Any], ordinal: int = 0) -> str:
    parts = [t["transaction_hash"], t["condition_id"], t["token_id"], t["proxy_wallet"], t["side"], str(t["price"]),
             str(t["size"]), str(t["timestamp"]), str(ordinal)]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def trade_row(t: dict[str, Any], **override: Any) -> dict[str, Any]:
    """The bronze/trades row of a v2 trade, mapped exactly as bronze maps it (sentinels, usdc_size) — only the
    key is this module's own (``trade_key``), so tests can find a trade by its wire fields."""
    _, row = bronze_trade_row(parse_trade_v2(t), FETCHED)
    row["trade_key"] = trade_key(t)
    row.update(override)
    return row


def synthetic_trade(market: dict[str, Any], outcome_index: int, wallet: str, side: str, price: str, size: str,
                    timestamp: int, tx: str, name: str | None = None) -> dict[str, Any]:
    """A trade on a known market with its real ids (the v2 shape, as bronze would get it)."""
    return {
        "proxy_wallet": wallet, "side": side, "token_id": json.loads(market["clobTokenIds"])[outcome_index],
        "condition_id": market["conditionId"], "size": size, "price": price, "timestamp": timestamp,
        "title": market["question"], "slug": market["slug"], "event_slug": EVENT["slug"],
        "outcome": json.loads(market["outcomes"])[outcome_index], "outcome_index": outcome_index, "name": name,
        "pseudonym": None, "transaction_hash": tx,
    }


# wallets of the leaderboard sample trade too, with mixed case on the wire (silver lower-cases)
W_NOPRAJSK = BOARD[0]["user_id"]
W_BREAK = BOARD[1]["user_id"]
TX = ["0x" + hashlib.sha256(f"tx{i}".encode()).hexdigest() for i in range(10)]
DAY1_SYNTHETIC = [
    synthetic_trade(SMITH, 0, W_NOPRAJSK.upper().replace("0X", "0x"), "BUY", "0.011", "100", 1788890000, TX[0], "Noprajsk"),
    synthetic_trade(SMITH, 1, W_BREAK, "SELL", "0.989", "50.5", 1788891000, TX[1]),
    synthetic_trade(WHITMER, 0, W_NOPRAJSK, "BUY", "0.015", "200", 1788892000, TX[2]),
]
DAY2_SYNTHETIC = [
    synthetic_trade(WHITMER, 0, W_BREAK, "SELL", "0.014", "10", 1788940800 + 3600, TX[3], "BreakTheBank"),
    synthetic_trade(WHITMER, 1, W_NOPRAJSK, "BUY", "0.986", "3", 1788940800 + 7200, TX[4]),
]
DAY1, DAY2 = "2026-09-08", "2026-09-09"


def trades_day1() -> list[dict[str, Any]]:
    return [trade_row(t) for t in TRADES] + [trade_row(t) for t in DAY1_SYNTHETIC]


def trades_day2() -> list[dict[str, Any]]:
    return [trade_row(t) for t in DAY2_SYNTHETIC]


def board_rows(snapshot_at: dt.datetime = dt.datetime(2026, 9, 8, 12, 0, tzinfo=UTC), **override: Any) -> list[dict[str, Any]]:
    rows = []
    for b in BOARD:
        row = {"snapshot_at": snapshot_at, "time_period": "day", "sort_by": "PNL", "category": "overall", "rank": b["rank"],
                   "user_id": b["user_id"], "user_name": b["user_name"], "x_username": b["x_username"], "verified": b["verified"],
                   "pnl": b["pnl"], "volume": b["volume"], "raw_json": json.dumps(b, separators=(",", ":"))}
        row.update(override)
        rows.append(row)
    return rows


def price_rows(token: str | None = None) -> list[dict[str, Any]]:
    token = token or json.loads(WHITMER["clobTokenIds"])[0]
    return [{"token_id": token, "condition_id": WHITMER["conditionId"], "ts": ts(p["timestamp"]), "price": dec(p["price"]),
                 "resolution_seconds": p["resolution_seconds"], "source": "data:/v2/prices-history"} for p in POINTS]


RESOLUTION_RECORDS = _load("data_api/v2_resolutions_data_array.json")


def v2_record(market: dict[str, Any], template: int = 0, **override: Any) -> dict[str, Any]:
    """A real /v2/resolutions record (0: the 'resolved' one, 1: the 'posed' one) moved onto ``market``."""
    record = dict(RESOLUTION_RECORDS[template], condition_id=market["conditionId"], question_id=market.get("questionID"))
    record.update(override)
    return record


def resolution_rows(market: dict[str, Any], records: list[dict[str, Any]] | None = None, fetched_at: dt.datetime = FETCHED,
                    **gamma_override: Any) -> dict[str, Any]:
    """The bronze/resolutions row of a Gamma market object and its v2 records, mapped exactly as bronze maps them."""
    parsed = parse_gamma_market({**market, **gamma_override})
    row = bronze_resolution_row(parsed, [parse_resolution_v2(r) for r in records or []], fetched_at=fetched_at,
                                resolution_fetched_at=fetched_at, resolution_url="http://127.0.0.1/v2/resolutions")
    return coerce_row(row, RESOLUTIONS)


BOOK_PM = _load("clob/book_election_2024_oct.json")
BOOK_LL = _load("limitless/ws_orderbookUpdate_last_before_resolution_btc_5min.json")[1]
PM_KEY = f"polymarket:{BOOK_PM['market']}:{BOOK_PM['asset_id']}"
LL_KEY = f"limitless:{BOOK_LL['marketSlug']}:BOOK"


def _book_values(levels: dict[str, Any]) -> dict[str, Any]:
    """The logger's decimal strings as bronze decimals (what the compaction writes)."""
    out = {k: None if levels[k] is None else Decimal(levels[k]) for k in ("best_bid", "best_ask", "mid", "spread")}
    for side in ("bids", "asks"):
        out[side] = [{"price": Decimal(lv["price"]), "size": Decimal(lv["size"])} for lv in levels[side]]
    return out


def book_row(snapshot_id: str, received: dt.datetime, venue: str = "polymarket", bids_taken: int = 0,
             **override: Any) -> dict[str, Any]:
    """One bronze order-book snapshot of the real Polymarket or Limitless book, received at ``received``
    (Polymarket: without its ``bids_taken`` best bid levels, as after sells took them)."""
    if venue == "polymarket":
        bids = sorted(BOOK_PM["bids"], key=lambda lv: Decimal(lv["price"]), reverse=True)[bids_taken:]
        levels, _, book_hash, asset_id = polymarket_book(dict(BOOK_PM, bids=bids))
        row = {"venue": venue, "source": "polymarket_general", "instrument_key": PM_KEY, "market_id": BOOK_PM["market"],
               "instrument_id": asset_id, "token_id": asset_id, "outcome": "Yes", "hash": book_hash,
               "exchange_ts": received - dt.timedelta(milliseconds=40)}
    else:
        levels, _ = limitless_book(dict(BOOK_LL, orderbook=dict(BOOK_LL["orderbook"], bids=[])))
        row = {"venue": venue, "source": "limitless", "instrument_key": LL_KEY, "market_id": BOOK_LL["marketSlug"],
               "instrument_id": "BOOK", "token_id": BOOK_LL["orderbook"]["tokenId"], "slug": BOOK_LL["marketSlug"],
               "outcome": "YES", "hash": None, "exchange_ts": None}
    seq = int(snapshot_id.rsplit("-", 1)[1])
    row.update(snapshot_id=snapshot_id, seq=seq, poll_cycle=seq, received_ts=received, fetch_ms=41.5,
               source_file=f"{venue}/orderbooks/date={received.date()}/hour={received.hour:02d}.r1.jsonl", **_book_values(levels))
    row.update(override)
    return row


OB_T0 = dt.datetime(2026, 9, 8, 10, 0, 5, tzinfo=UTC)


def book_rows_day1() -> list[dict[str, Any]]:
    first = book_row("r1-1", OB_T0)
    return [
        first,
        dict(first, source_file="polymarket/orderbooks/date=2026-09-08/hour=10.r1.copy.jsonl"),  # written twice
        book_row("r1-2", OB_T0 + dt.timedelta(seconds=15), "limitless"),
        book_row("r1-3", OB_T0 + dt.timedelta(seconds=30), bids_taken=1),
        book_row("r1-4", OB_T0 + dt.timedelta(seconds=65)),
    ]


def book_rows_day2() -> list[dict[str, Any]]:
    return [book_row("r2-1", dt.datetime(2026, 9, 9, 8, 30, tzinfo=UTC))]


def write_ws_day(root: Path, day: str, changes: int = 40) -> None:
    """A WebSocket raw-log day compacted into bronze/orderbook_ws_events (see the module docstring)."""
    from polymarket_assets.bronze.datasets.orderbook_ws_events import compact_day
    from polymarket_assets.streaming.ws import records as R
    from polymarket_assets_tests.streaming_ws.raw_days import RawDay

    raw = RawDay(root, f"{day}T10:00:00Z")
    assets = raw.world.asset_ids()
    raw.open()
    raw.subscribe(assets)
    raw.changes(changes // 2)
    raw.world.hidden_top_change(assets[0])
    raw.changes(1, [assets[0]])
    raw.record(R.RECV, [raw.world.books[a].frame() for a in assets if raw.machine.status(a) == "stale"])
    raw.changes(changes // 2)
    raw.close("ConnectionClosed: abrupt")
    raw.finish()
    compact_day(root, day)


def write_lake(root: Path) -> Path:
    """The whole fixture lake under ``root`` (the LakeResource data_dir). Returns ``root``."""
    root = Path(root)
    write_partition(root, "gamma_events", "2025-07-11", [event_row()])
    for tag in TAGS:
        write_partition(root, "gamma_categories", ts(tag["createdAt"]).date(), [tag_row(tag)])
    write_partition(root, "gamma_categories", "2025-07-11", [tag_row(t, "event_tag", EVENT["id"]) for t in EVENT["tags"]])
    write_partition(root, "markets", "2025-07-11", [market_row(SMITH, EVENT["id"]), market_row(WHITMER, EVENT["id"])])
    write_partition(root, "markets", "2026-02-27", [market_row(MARKET_KATANA)])
    write_partition(root, "markets", "2026-07-23", [market_row(MARKET_BTC)])
    write_partition(root, "market_tokens", "2025-07-11", token_rows(SMITH) + token_rows(WHITMER))
    write_partition(root, "market_tokens", "2026-02-27", token_rows(MARKET_KATANA))
    write_partition(root, "market_tokens", "2026-07-23", token_rows(MARKET_BTC))
    write_partition(root, "trades", DAY1, trades_day1())
    write_partition(root, "trades", DAY2, trades_day2())
    write_partition(root, "prices", "2026-09-07", price_rows())
    write_partition(root, "leaderboard", DAY1, board_rows())
    write_partition(root, "resolutions", "2026-03-19", [resolution_rows(MARKET_KATANA, [v2_record(MARKET_KATANA)])])
    write_partition(root, "resolutions", "2026-07-24", [resolution_rows(MARKET_BTC)])
    write_partition(root, "orderbook_snapshots", DAY1, book_rows_day1())
    write_partition(root, "orderbook_snapshots", DAY2, book_rows_day2())
    write_ws_day(root, DAY1)
    return root


EXPECTED_ROWS = {
    "event_dim": 1,
    "category_dim": 12,  # 5 from /tags + 7 tags of event 30829
    "event_category": 7,
    "market_dim": 4,
    "market_token_dim": 8,
    "trader_dim": 4,  # the 2 real takers + the 2 leaderboard wallets (who also trade)
    "trade_fact": 7,
    "price_history_fact": 2,
    "leaderboard_fact": 2,
    "market_resolution_dim": 2,  # katana (resolved No: gamma+data_v2), the BTC market (resolved Up: gamma only)
    "orderbook_snapshot_fact": 5,  # 6 bronze rows, one snapshot written twice
    "orderbook_top_of_book_1m": 4,  # 2026-09-08: Polymarket 10:00 and 10:01, Limitless 10:00 · 2026-09-09: 08:30
    "orderbook_bbo": 16,  # the tops the live machine published (streaming_ws/test_* compare them one by one)
    "orderbook_gaps": 6,  # 2 mismatch gaps (the lost delta and its mirrored token), 4 reconnect gaps open at day end
}

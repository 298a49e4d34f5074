"""Explicit pyarrow schemas of every bronze dataset: the contract between bronze and silver.

Conventions (README "Bronze schemas" repeats them):

* ids that can exceed 64 bits (token ids, Gamma ids, condition ids, wallets, hashes) are ``string``;
* every instant is ``timestamp[us, tz=UTC]``;
* prices are ``decimal128(12, 6)`` (probabilities in [0, 1] with 6 places, Polymarket ticks are 0.01/0.001);
  sizes, volumes, liquidity and USDC amounts are ``decimal128(38, 6)`` (USDC and CTF shares have 6 decimals);
  derived or snapshot statistics the API itself sends as floats (``volume_24hr``, leaderboard ``pnl``) stay
  ``float64``;
* the partition column ``dt`` is NOT stored in the files; it comes from the Hive path ``dt=YYYY-MM-DD``
  (``read_parquet(..., hive_partitioning = true)``);
* ``raw_json`` keeps the original API object as compact JSON text, so no field is ever lost;
* ``fetched_at`` is when the row was fetched (UTC).

The order-book snapshots (``ORDERBOOK_SNAPSHOTS``, compacted from the logger's JSONL) are the exception: their
instants are ``timestamp[ms, tz=UTC]`` (the logger writes milliseconds), prices ``decimal128(18, 6)`` and level
sizes ``decimal128(28, 8)``, exact as the logger wrote them; they have no ``raw_json`` or ``fetched_at``
(``received_ts`` is the fetch time, ``source_file`` the JSONL file a row came from).

The WebSocket order-book events (``ORDERBOOK_WS_EVENTS``, compacted from the stream's raw log) use the same
book price/size types; ``ts_received`` is ``timestamp[us, tz=UTC]`` (the raw log's nanoseconds truncated),
``ts_exchange`` the venue's milliseconds; ``detail`` (JSON text) keeps what a typed column cannot hold (control
details, lifecycle payloads, unknown events verbatim).
"""

from __future__ import annotations

import pyarrow as pa

TS = pa.timestamp("us", tz="UTC")
PRICE = pa.decimal128(12, 6)
AMOUNT = pa.decimal128(38, 6)


def _schema(name: str, fields: list[pa.Field]) -> pa.Schema:
    return pa.schema(fields, metadata={b"polymarket_assets.dataset": name.encode(), b"polymarket_assets.schema_version": b"1"})


GAMMA_EVENTS = _schema(
    "gamma_events",
    [
        pa.field("event_id", pa.string(), nullable=False),
        pa.field("slug", pa.string()),
        pa.field("ticker", pa.string()),
        pa.field("title", pa.string()),
        pa.field("description", pa.string()),
        pa.field("start_date", TS),
        pa.field("end_date", TS),
        pa.field("created_at", TS),
        pa.field("updated_at", TS),
        pa.field("closed_time", TS),
        pa.field("active", pa.bool_()),
        pa.field("closed", pa.bool_()),
        pa.field("archived", pa.bool_()),
        pa.field("neg_risk", pa.bool_()),
        pa.field("volume", AMOUNT),
        pa.field("liquidity", AMOUNT),
        pa.field("open_interest", AMOUNT),
        pa.field("volume_24hr", pa.float64()),
        pa.field("series_slug", pa.string()),
        pa.field("tag_ids", pa.list_(pa.string())),
        pa.field("tag_slugs", pa.list_(pa.string())),
        pa.field("market_ids", pa.list_(pa.string())),
        pa.field("raw_json", pa.string(), nullable=False),
        pa.field("fetched_at", TS, nullable=False),
    ],
)

# One dataset, two kinds of row: record_type = 'tag' (a category created that day) or
# 'event_tag' (a link from an event starting that day to one of its tags; tag columns repeat the tag).
GAMMA_CATEGORIES = _schema(
    "gamma_categories",
    [
        pa.field("record_type", pa.string(), nullable=False),
        pa.field("tag_id", pa.string(), nullable=False),
        pa.field("label", pa.string()),
        pa.field("slug", pa.string()),
        pa.field("force_show", pa.bool_()),
        pa.field("created_at", TS),
        pa.field("updated_at", TS),
        pa.field("event_id", pa.string()),
        pa.field("raw_json", pa.string(), nullable=False),
        pa.field("fetched_at", TS, nullable=False),
    ],
)

MARKETS = _schema(
    "markets",
    [
        pa.field("market_id", pa.string(), nullable=False),
        pa.field("condition_id", pa.string()),
        pa.field("question_id", pa.string()),
        pa.field("slug", pa.string()),
        pa.field("question", pa.string()),
        pa.field("description", pa.string()),
        pa.field("event_id", pa.string()),
        pa.field("event_slug", pa.string()),
        pa.field("outcomes", pa.list_(pa.string())),
        pa.field("outcome_prices", pa.list_(PRICE)),
        pa.field("clob_token_ids", pa.list_(pa.string())),
        pa.field("start_date", TS),
        pa.field("end_date", TS),
        pa.field("created_at", TS),
        pa.field("updated_at", TS),
        pa.field("closed_time", TS),
        pa.field("active", pa.bool_()),
        pa.field("closed", pa.bool_()),
        pa.field("archived", pa.bool_()),
        pa.field("accepting_orders", pa.bool_()),
        pa.field("enable_order_book", pa.bool_()),
        pa.field("neg_risk", pa.bool_()),
        pa.field("neg_risk_market_id", pa.string()),
        pa.field("volume", AMOUNT),
        pa.field("liquidity", AMOUNT),
        pa.field("volume_24hr", pa.float64()),
        pa.field("best_bid", PRICE),
        pa.field("best_ask", PRICE),
        pa.field("last_trade_price", PRICE),
        pa.field("tick_size", PRICE),
        pa.field("min_order_size", AMOUNT),
        pa.field("uma_resolution_status", pa.string()),
        pa.field("resolved_outcome_index", pa.int16()),
        pa.field("raw_json", pa.string(), nullable=False),
        pa.field("fetched_at", TS, nullable=False),
    ],
)

MARKET_TOKENS = _schema(
    "market_tokens",
    [
        pa.field("token_id", pa.string(), nullable=False),
        pa.field("condition_id", pa.string()),
        pa.field("market_id", pa.string(), nullable=False),
        pa.field("outcome", pa.string()),
        pa.field("outcome_index", pa.int16(), nullable=False),
        pa.field("price", PRICE),
        pa.field("winner", pa.bool_()),
        pa.field("fetched_at", TS, nullable=False),
    ],
)

# Data API v2 /v2/trades, taker_only=true: each fill appears once, on its taker side.
# trade_key = sha256 over (transaction_hash, condition_id, token_id, proxy_wallet, side, price, size, timestamp)
# plus an ordinal for byte-identical repeats within one transaction; unique within the dataset.
TRADES = _schema(
    "trades",
    [
        pa.field("trade_key", pa.string(), nullable=False),
        pa.field("transaction_hash", pa.string()),
        pa.field("condition_id", pa.string(), nullable=False),
        pa.field("token_id", pa.string(), nullable=False),
        pa.field("proxy_wallet", pa.string(), nullable=False),
        pa.field("side", pa.string(), nullable=False),
        pa.field("price", PRICE, nullable=False),
        pa.field("size", AMOUNT, nullable=False),
        pa.field("usdc_size", AMOUNT),
        pa.field("ts", TS, nullable=False),
        pa.field("outcome", pa.string()),
        pa.field("outcome_index", pa.int16()),
        pa.field("market_slug", pa.string()),
        pa.field("event_slug", pa.string()),
        pa.field("title", pa.string()),
        pa.field("trader_name", pa.string()),
        pa.field("trader_pseudonym", pa.string()),
        pa.field("raw_json", pa.string(), nullable=False),
        pa.field("fetched_at", TS, nullable=False),
    ],
)

PRICES = _schema(
    "prices",
    [
        pa.field("token_id", pa.string(), nullable=False),
        pa.field("condition_id", pa.string()),
        pa.field("ts", TS, nullable=False),
        pa.field("price", PRICE, nullable=False),
        pa.field("resolution_seconds", pa.int32(), nullable=False),
        pa.field("source", pa.string(), nullable=False),  # e.g. 'clob:/batch-prices-history' or 'data:/v2/prices-history'
        pa.field("fetched_at", TS, nullable=False),
    ],
)

# One row per (snapshot, time_period, sort_by, rank). snapshot_at is when the snapshot was taken.
LEADERBOARD = _schema(
    "leaderboard",
    [
        pa.field("snapshot_at", TS, nullable=False),
        pa.field("time_period", pa.string(), nullable=False),  # day | week | month | all
        pa.field("sort_by", pa.string(), nullable=False),  # PNL | VOLUME
        pa.field("category", pa.string(), nullable=False),
        pa.field("rank", pa.int32(), nullable=False),
        pa.field("user_id", pa.string(), nullable=False),
        pa.field("user_name", pa.string()),
        pa.field("x_username", pa.string()),
        pa.field("verified", pa.bool_()),
        pa.field("pnl", pa.float64()),
        pa.field("volume", pa.float64()),  # shares, not USDC (api_reference §3.2)
        pa.field("raw_json", pa.string(), nullable=False),
        pa.field("fetched_at", TS, nullable=False),
    ],
)

# One row per market that closed on the partition day (UTC day of Gamma closedTime): its Gamma resolution
# fields and the Data API v2 /v2/resolutions record of its condition (api_reference §7.2), with both raw objects.
# resolution_* columns are NULL when /v2/resolutions knows no record for the condition (resolution_found false).
RESOLUTIONS = _schema(
    "resolutions",
    [
        pa.field("condition_id", pa.string(), nullable=False),
        pa.field("market_id", pa.string(), nullable=False),
        pa.field("question_id", pa.string()),
        pa.field("slug", pa.string()),
        pa.field("question", pa.string()),
        pa.field("event_id", pa.string()),
        pa.field("neg_risk", pa.bool_()),
        pa.field("outcomes", pa.list_(pa.string())),
        pa.field("outcome_prices", pa.list_(PRICE)),
        pa.field("clob_token_ids", pa.list_(pa.string())),
        pa.field("start_date", TS),
        pa.field("end_date", TS),
        pa.field("closed", pa.bool_()),
        pa.field("closed_time", TS, nullable=False),
        pa.field("uma_resolution_status", pa.string()),
        pa.field("uma_resolution_statuses", pa.list_(pa.string())),
        pa.field("uma_end_date", TS),
        pa.field("updated_at", TS),
        pa.field("resolution_found", pa.bool_(), nullable=False),
        pa.field("resolution_records", pa.int16(), nullable=False),
        pa.field("resolution_question_id", pa.string()),
        pa.field("resolution_status", pa.string()),
        pa.field("was_disputed", pa.bool_()),
        pa.field("extended_review", pa.bool_()),
        pa.field("resolution_price", pa.string()),
        pa.field("proposed_price", pa.string()),
        pa.field("reproposed_price", pa.string()),
        pa.field("resolution_tx_hash", pa.string()),
        pa.field("resolution_log_index", pa.int64()),
        pa.field("resolution_updated_at", TS),
        pa.field("resolution_url", pa.string()),
        pa.field("raw_json", pa.string(), nullable=False),  # the Gamma market object
        pa.field("resolution_raw_json", pa.string()),  # JSON array of the condition's /v2/resolutions records
        pa.field("fetched_at", TS, nullable=False),  # when the Gamma page arrived
        pa.field("resolution_fetched_at", TS),  # when the /v2/resolutions response arrived
    ],
)

# One row per polled order book (bronze/datasets/orderbook_snapshots.py compacts the logger's JSONL into it). Levels are best
# first (bids high -> low, asks low -> high); best_bid/best_ask/mid/spread are NULL when a side is empty.
BOOK_TS = pa.timestamp("ms", tz="UTC")
BOOK_PRICE = pa.decimal128(18, 6)
BOOK_SIZE = pa.decimal128(28, 8)
BOOK_LEVEL = pa.struct([pa.field("price", BOOK_PRICE), pa.field("size", BOOK_SIZE)])

ORDERBOOK_SNAPSHOTS = pa.schema(
    [
        pa.field("snapshot_id", pa.string(), nullable=False),
        pa.field("seq", pa.int64()),
        pa.field("poll_cycle", pa.int64()),
        pa.field("venue", pa.string(), nullable=False),
        pa.field("source", pa.string()),
        pa.field("instrument_key", pa.string(), nullable=False),
        pa.field("market_id", pa.string()),
        pa.field("instrument_id", pa.string()),
        pa.field("token_id", pa.string()),
        pa.field("slug", pa.string()),
        pa.field("outcome", pa.string()),
        pa.field("exchange_ts", BOOK_TS),
        pa.field("received_ts", BOOK_TS, nullable=False),
        pa.field("best_bid", BOOK_PRICE),
        pa.field("best_ask", BOOK_PRICE),
        pa.field("mid", BOOK_PRICE),
        pa.field("spread", BOOK_PRICE),
        pa.field("bids", pa.list_(BOOK_LEVEL)),
        pa.field("asks", pa.list_(BOOK_LEVEL)),
        pa.field("hash", pa.string()),
        pa.field("fetch_ms", pa.float64()),
        pa.field("source_file", pa.string()),
    ]
)

# One row per input of the WebSocket book state machines (bronze/datasets/orderbook_ws_events.py; the row kinds:
# polymarket_assets/streaming/ws/bronze_rows.py). Sorted by (market, asset_id, ts_received, seq, idx).
ORDERBOOK_WS_EVENTS = pa.schema(
    [
        pa.field("venue", pa.string(), nullable=False),  # polymarket | limitless
        pa.field("market", pa.string()),  # condition id (Polymarket) | market slug (Limitless)
        pa.field("asset_id", pa.string()),  # token id (Polymarket) | market slug (Limitless: one book per market)
        pa.field("event_type", pa.string(), nullable=False),
        pa.field("side", pa.string()),  # bid | ask (levels); buy | sell (trade prints: the taker's side)
        pa.field("price", BOOK_PRICE),
        pa.field("size", BOOK_SIZE),
        pa.field("best_bid", BOOK_PRICE),  # as the venue's message carried it
        pa.field("best_ask", BOOK_PRICE),
        pa.field("tick_size", BOOK_PRICE),
        pa.field("hash", pa.string()),
        pa.field("ts_exchange", BOOK_TS),
        pa.field("ts_received", TS, nullable=False),
        pa.field("connection_id", pa.string(), nullable=False),
        pa.field("seq", pa.int64(), nullable=False),  # the record's position in the venue's raw log of the day
        pa.field("idx", pa.int32(), nullable=False),  # the row's position among its record's rows
        pa.field("event_idx", pa.int32(), nullable=False),  # the event within the record (one book's levels share it)
        pa.field("detail", pa.string()),
        pa.field("source_file", pa.string(), nullable=False),
    ]
)

SCHEMAS: dict[str, pa.Schema] = {
    "gamma_events": GAMMA_EVENTS,
    "gamma_categories": GAMMA_CATEGORIES,
    "markets": MARKETS,
    "market_tokens": MARKET_TOKENS,
    "trades": TRADES,
    "prices": PRICES,
    "leaderboard": LEADERBOARD,
    "resolutions": RESOLUTIONS,
    "orderbook_snapshots": ORDERBOOK_SNAPSHOTS,
    "orderbook_ws_events": ORDERBOOK_WS_EVENTS,
}

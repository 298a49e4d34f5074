"""The silver models of the order-book stream (bronze ``orderbook_snapshots``, compacted from the logger).

``orderbook_top_of_book_1m`` is computed from ``orderbook_snapshot_fact``, not from bronze: it is a fact with
``source_layer="silver"``. The loader treats the fact's load-ledger rows as its source partitions, so a day
of the minute series is recomputed (from the fact's rows of that day, view ``silver_orderbook_snapshot_fact``)
exactly when the fact (re)loaded that day, and removed when the fact removed it. Why not from bronze
directly: the fact already deduplicates snapshots and derives the top of book, and reading it keeps one
definition of both (the minute series cannot disagree with the fact) and keeps the asset's lineage
(``silver/orderbook_snapshot_fact`` → ``silver/orderbook_top_of_book_1m``) as it is.
"""

from __future__ import annotations

from polymarket_assets.silver.model import TS, Col, Model

BOOK_PRICE = "DECIMAL(18, 6)"
BOOK_SIZE = "DECIMAL(28, 8)"
BOOK_DEPTH = "DECIMAL(38, 8)"


def _bronze(*columns: str) -> tuple[str, ...]:
    return tuple(f"orderbook_snapshots.{c}" for c in columns)


def _fact(*columns: str) -> tuple[str, ...]:
    return tuple(f"orderbook_snapshot_fact.{c}" for c in columns)


ORDERBOOK_SNAPSHOT_FACT = Model(
    name="orderbook_snapshot_fact",
    kind="fact",
    description="One row per order-book snapshot (deduplicated on snapshot_id) with top of book, sizes at the "
    "top, depth, level counts and exchange lag.",
    grain="one row per polled order book",
    key=("snapshot_id",),
    sources=("orderbook_snapshots",),
    price_columns=("best_bid", "best_ask", "mid"),
    nullable_prices=True,  # an empty side has no best price (and then no mid)
    key_time_column="received_ts",  # a snapshot has one received_ts, and its bronze day is that instant's day
    key_check_name="key_unique_not_null",  # its established check key (the default would be snapshot_id_unique_not_null)
    columns=(
        Col("dt", "DATE", "Bronze day partition (UTC day of received_ts).", _bronze("dt")),
        Col("snapshot_id", "VARCHAR", "'<run tag>-<seq>', unique per logger run. Natural key.", _bronze("snapshot_id")),
        Col("run_tag", "VARCHAR", "The logger run the snapshot came from (snapshot_id without its seq).", _bronze("snapshot_id")),
        Col("poll_cycle", "BIGINT", "Poll cycle (tick) of the run.", _bronze("poll_cycle")),
        Col("venue", "VARCHAR", "polymarket | limitless.", _bronze("venue")),
        Col("source", "VARCHAR", "Discovery source that listed the instrument (polymarket_btc15m, …).", _bronze("source")),
        Col("instrument_key", "VARCHAR", "venue:market_id:instrument_id.", _bronze("instrument_key")),
        Col("market_id", "VARCHAR", "Venue market id (Polymarket condition id, Limitless market id).", _bronze("market_id")),
        Col("instrument_id", "VARCHAR", "Book within the market (Polymarket token id; BOOK on Limitless).", _bronze("instrument_id")),
        Col("token_id", "VARCHAR", "Outcome token id, where the venue has one.", _bronze("token_id")),
        Col("slug", "VARCHAR", "Market slug.", _bronze("slug")),
        Col("outcome", "VARCHAR", "Outcome label of the book.", _bronze("outcome")),
        Col("exchange_ts", TS, "The venue's book timestamp (NULL on Limitless REST).", _bronze("exchange_ts")),
        Col("received_ts", TS, "When the response arrived (UTC).", _bronze("received_ts")),
        Col("best_bid", BOOK_PRICE, "Best bid (NULL: no bids).", _bronze("best_bid")),
        Col("best_ask", BOOK_PRICE, "Best ask (NULL: no asks).", _bronze("best_ask")),
        Col("mid", BOOK_PRICE, "(best bid + best ask) / 2 (NULL unless both sides).", _bronze("mid")),
        Col("spread", BOOK_PRICE, "best ask − best bid (NULL unless both sides).", _bronze("spread")),
        Col("best_bid_size", BOOK_SIZE, "Shares at the best bid.", _bronze("bids")),
        Col("best_ask_size", BOOK_SIZE, "Shares at the best ask.", _bronze("asks")),
        Col("bid_levels", "INTEGER", "Number of bid levels.", _bronze("bids")),
        Col("ask_levels", "INTEGER", "Number of ask levels.", _bronze("asks")),
        Col("bid_depth", BOOK_DEPTH, "Shares over all bid levels.", _bronze("bids")),
        Col("ask_depth", BOOK_DEPTH, "Shares over all ask levels.", _bronze("asks")),
        Col("book_hash", "VARCHAR", "Polymarket book hash (NULL elsewhere).", _bronze("hash")),
        Col("fetch_ms", "DOUBLE", "Request round trip (ms).", _bronze("fetch_ms")),
        Col("exchange_lag_ms", "BIGINT", "received_ts − exchange_ts in ms (NULL without exchange_ts).",
            _bronze("received_ts", "exchange_ts")),
    ),
)

ORDERBOOK_TOP_OF_BOOK_1M = Model(
    name="orderbook_top_of_book_1m",
    kind="fact",
    description="Top-of-book time series per instrument: one row per instrument and UTC minute (first/last/min/max "
    "mid, last best bid/ask, mean spread, snapshot count), computed from silver.orderbook_snapshot_fact.",
    grain="one row per (instrument, UTC minute)",
    key=("instrument_key", "minute"),
    sources=("orderbook_snapshot_fact",),
    source_layer="silver",
    count_column="snapshots",
    price_columns=("first_mid", "last_mid", "last_best_bid", "last_best_ask"),
    nullable_prices=True,
    key_time_column="minute",  # the minute lies in the day dt
    columns=(
        Col("dt", "DATE", "Day partition of the fact (UTC day of the minute).", _fact("dt")),
        Col("instrument_key", "VARCHAR", "venue:market_id:instrument_id.", _fact("instrument_key")),
        Col("venue", "VARCHAR", "polymarket | limitless.", _fact("venue")),
        Col("market_id", "VARCHAR", "Venue market id.", _fact("market_id")),
        Col("instrument_id", "VARCHAR", "Book within the market.", _fact("instrument_id")),
        Col("slug", "VARCHAR", "Market slug of the minute's last snapshot.", _fact("slug")),
        Col("outcome", "VARCHAR", "Outcome label of the minute's last snapshot.", _fact("outcome")),
        Col("minute", TS, "The UTC minute (received_ts truncated).", _fact("received_ts")),
        Col("snapshots", "BIGINT", "Snapshots in the minute.", _fact("snapshot_id")),
        Col("first_mid", BOOK_PRICE, "Mid of the minute's first snapshot.", _fact("mid", "received_ts")),
        Col("last_mid", BOOK_PRICE, "Mid of the minute's last snapshot.", _fact("mid", "received_ts")),
        Col("min_mid", BOOK_PRICE, "Lowest mid in the minute.", _fact("mid")),
        Col("max_mid", BOOK_PRICE, "Highest mid in the minute.", _fact("mid")),
        Col("last_best_bid", BOOK_PRICE, "Best bid of the minute's last snapshot.", _fact("best_bid", "received_ts")),
        Col("last_best_ask", BOOK_PRICE, "Best ask of the minute's last snapshot.", _fact("best_ask", "received_ts")),
        Col("mean_spread", "DOUBLE", "Mean spread over the minute's snapshots.", _fact("spread")),
        Col("last_received_ts", TS, "received_ts of the minute's last snapshot.", _fact("received_ts")),
    ),
)

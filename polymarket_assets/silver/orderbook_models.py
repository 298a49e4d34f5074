"""The silver models of the order books: the REST logger's snapshots (bronze ``orderbook_snapshots``) and the
WebSocket stream's events (bronze ``orderbook_ws_events``).

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
from polymarket_assets.silver.transforms import orderbook_bbo, orderbook_gaps
from polymarket_assets.silver.transforms.orderbook_replay import REPLAY_MODULES

BOOK_PRICE = "DECIMAL(18, 6)"
BOOK_SIZE = "DECIMAL(28, 8)"
BOOK_DEPTH = "DECIMAL(38, 8)"


def _bronze(*columns: str) -> tuple[str, ...]:
    return tuple(f"orderbook_snapshots.{c}" for c in columns)


def _ws(*columns: str) -> tuple[str, ...]:
    return tuple(f"orderbook_ws_events.{c}" for c in columns)


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


# -- the WebSocket stream: Python models (a replay of the bronze events through the live book machines) --------

_REPLAYED = ("price", "size", "side", "event_type", "ts_received", "seq")
ORDERBOOK_BBO = Model(
    name="orderbook_bbo",
    kind="fact",
    description="One row per change of best bid or ask of a trusted order book, per asset: the bronze WebSocket events "
    "of the day replayed through the same book state machine the live stream ran, so the books equal the live ones. "
    "A book known to be wrong (stale) is never published; the day's first row of a carried book is its checkpoint.",
    grain="one row per change of an asset's top of book",
    key=("dt", "venue", "seq", "idx"),
    sources=("orderbook_ws_events",),
    python=orderbook_bbo.transform,
    python_modules=REPLAY_MODULES,
    price_columns=("best_bid", "best_ask"),
    nullable_prices=True,  # an empty side has no best price
    columns=(
        Col("dt", "DATE", "Bronze day partition (UTC day of ts_received).", _ws("ts_received")),
        Col("venue", "VARCHAR", "polymarket | limitless.", _ws("venue")),
        Col("market", "VARCHAR", "Condition id (Polymarket) or market slug (Limitless).", _ws("market")),
        Col("asset_id", "VARCHAR", "Token id (Polymarket) or market slug (Limitless: one book per market).", _ws("asset_id")),
        Col("ts_exchange", TS, "The venue's timestamp of the message that moved the top.", _ws("ts_exchange")),
        Col("ts_received", TS, "When that message was received.", _ws("ts_received")),
        Col("best_bid", BOOK_PRICE, "Best bid after the change (NULL: no bids).", _ws(*_REPLAYED)),
        Col("bid_size", BOOK_SIZE, "Shares at the best bid.", _ws(*_REPLAYED)),
        Col("best_ask", BOOK_PRICE, "Best ask after the change (NULL: no asks).", _ws(*_REPLAYED)),
        Col("ask_size", BOOK_SIZE, "Shares at the best ask.", _ws(*_REPLAYED)),
        Col("mid", "DECIMAL(19, 7)", "(best bid + best ask) / 2, exact (NULL unless both sides).", _ws(*_REPLAYED)),
        Col("spread", BOOK_PRICE, "best ask − best bid (NULL unless both sides; negative when crossed).", _ws(*_REPLAYED)),
        Col("crossed", "BOOLEAN", "best bid >= best ask.", _ws(*_REPLAYED)),
        Col("verified", "BOOLEAN", "The venue confirmed this top: a full book, or the best_bid/best_ask the change carried.",
            _ws("event_type", "best_bid", "best_ask")),
        Col("source", "VARCHAR", "What moved the top: book | rest_book | price_change | checkpoint.", _ws("event_type")),
        Col("seq", "BIGINT", "Bronze seq of the row that moved the top (with idx: the natural key within the day).", _ws("seq")),
        Col("idx", "INTEGER", "Bronze idx of that row.", _ws("idx")),
    ),
)

ORDERBOOK_GAPS = Model(
    name="orderbook_gaps",
    kind="fact",
    description="The periods in which an asset's book was not known to be right (a best bid/ask mismatch, a tick-size "
    "change, a lost or silent connection, a malformed change, a missing snapshot, the end of a run), from the same "
    "replay as silver.orderbook_bbo: start (the last moment the book was known right), detection, end (a fresh book, "
    "or the asset was unsubscribed / resolved).",
    grain="one row per gap and bronze day (a gap across midnight is open on its first day and closed on the next)",
    key=("dt", "venue", "asset_id", "start_ts", "detected_ts"),
    sources=("orderbook_ws_events",),
    python=orderbook_gaps.transform,
    python_modules=REPLAY_MODULES,
    columns=(
        Col("dt", "DATE", "Bronze day partition the gap was replayed from.", _ws("ts_received")),
        Col("venue", "VARCHAR", "polymarket | limitless.", _ws("venue")),
        Col("market", "VARCHAR", "Condition id or market slug (NULL if no book ever arrived).", _ws("market")),
        Col("asset_id", "VARCHAR", "Token id or market slug.", _ws("asset_id")),
        Col("connection_id", "VARCHAR", "The connection the asset was on (Polymarket).", _ws("connection_id")),
        Col("reason", "VARCHAR", "bbo_mismatch | tick_size_change | reconnect | silence | malformed | no_snapshot | stop.",
            _ws("event_type", "detail")),
        Col("start_ts", TS, "The last moment the book was known right.", _ws("ts_received")),
        Col("detected_ts", TS, "When the problem was seen.", _ws("ts_received")),
        Col("end_ts", TS, "When a trusted book was back (NULL: still open at the end of the day's rows).", _ws("ts_received")),
        Col("closed_by", "VARCHAR", "book | rest | unsubscribed | resolved (NULL while open).", _ws("event_type")),
        Col("open_at_day_end", "BOOLEAN", "Still open when the day's rows ended.", _ws("event_type")),
        Col("seconds", "DOUBLE", "end_ts − start_ts in seconds (NULL while open).", _ws("ts_received")),
        Col("detail", "VARCHAR", "What was seen (e.g. local vs venue best bid/ask).", _ws("detail")),
    ),
)

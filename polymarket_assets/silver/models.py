"""The silver models of the market data: one :class:`~polymarket_assets.silver.model.Model` per table, and
the registry ``MODELS`` of every silver table, the order-book ones (``orderbook_models.py``) included: the
loaders, checks, assets and sensors are built from it.

What the fields mean: :mod:`polymarket_assets.silver.model`. Each table's SELECT: ``sql/<name>.sql`` (or, for the two
Python models ``orderbook_bbo`` and ``orderbook_gaps``, its transform: ``transforms/<name>.py``).
"""

from __future__ import annotations

from polymarket_assets.silver.model import AMOUNT, PRICE, TS, Col, Model
from polymarket_assets.silver.orderbook_models import ORDERBOOK_BBO, ORDERBOOK_GAPS, ORDERBOOK_SNAPSHOT_FACT, ORDERBOOK_TOP_OF_BOOK_1M


def _seen(what: str) -> tuple[Col, Col, Col, Col]:
    return (
        Col("fetched_at", TS, f"When the {what} state kept here was fetched (newest wins).", (), "latest"),
        Col("source_dt", "DATE", "Bronze day partition the kept state came from.", (), "latest"),
        Col("first_seen_at", TS, "Earliest fetched_at at which bronze observed this key.", (), "min"),
        Col("last_seen_at", TS, "Latest fetched_at at which bronze observed this key.", (), "max"),
    )


EVENT_DIM = Model(
    name="event_dim",
    kind="dim",
    description="Gamma events, latest state per event (SCD type 1 with first/last seen).",
    grain="one row per Gamma event",
    key=("event_id",),
    sources=("gamma_events",),
    order_by=("updated_at", "fetched_at"),
    columns=(
        Col("event_id", "VARCHAR", "Gamma event id (numeric string). Natural key.", ("gamma_events.event_id",), "key"),
        Col("slug", "VARCHAR", "Event slug.", ("gamma_events.slug",)),
        Col("ticker", "VARCHAR", "Event ticker.", ("gamma_events.ticker",)),
        Col("title", "VARCHAR", "Event title.", ("gamma_events.title",)),
        Col("description", "VARCHAR", "Event description / resolution text.", ("gamma_events.description",)),
        Col("start_date", TS, "Event start.", ("gamma_events.start_date",)),
        Col("end_date", TS, "Event end.", ("gamma_events.end_date",)),
        Col("created_at", TS, "Created at (Gamma).", ("gamma_events.created_at",)),
        Col("updated_at", TS, "Last update at Gamma; orders states (newest wins).", ("gamma_events.updated_at",)),
        Col("closed_time", TS, "When the event closed.", ("gamma_events.closed_time",)),
        Col("active", "BOOLEAN", "Gamma active flag.", ("gamma_events.active",)),
        Col("closed", "BOOLEAN", "Gamma closed flag.", ("gamma_events.closed",)),
        Col("archived", "BOOLEAN", "Gamma archived flag.", ("gamma_events.archived",)),
        Col("neg_risk", "BOOLEAN", "Negative-risk (multi-outcome) event.", ("gamma_events.neg_risk",)),
        Col("volume", AMOUNT, "Lifetime volume (USDC) at fetch time.", ("gamma_events.volume",)),
        Col("liquidity", AMOUNT, "Liquidity (USDC) at fetch time.", ("gamma_events.liquidity",)),
        Col("open_interest", AMOUNT, "Open interest at fetch time.", ("gamma_events.open_interest",)),
        Col("volume_24hr", "DOUBLE", "24 h volume snapshot (float as sent by Gamma).", ("gamma_events.volume_24hr",)),
        Col("series_slug", "VARCHAR", "Series slug, if part of a series.", ("gamma_events.series_slug",)),
        Col("tag_ids", "VARCHAR[]", "Category tag ids of the event.", ("gamma_events.tag_ids",)),
        Col("market_ids", "VARCHAR[]", "Gamma market ids of the event.", ("gamma_events.market_ids",)),
        *_seen("event"),
    ),
)

CATEGORY_DIM = Model(
    name="category_dim",
    kind="dim",
    description="Gamma tags (categories), latest state per tag. Tags come from 'tag' rows and from the tag "
    "columns repeated on 'event_tag' rows of bronze/gamma_categories.",
    grain="one row per Gamma tag",
    key=("tag_id",),
    sources=("gamma_categories",),
    order_by=("updated_at", "fetched_at"),
    columns=(
        Col("tag_id", "VARCHAR", "Gamma tag id. Natural key.", ("gamma_categories.tag_id",), "key"),
        Col("label", "VARCHAR", "Display label.", ("gamma_categories.label",), "latest_non_null"),
        Col("slug", "VARCHAR", "Tag slug.", ("gamma_categories.slug",), "latest_non_null"),
        Col("force_show", "BOOLEAN", "Gamma forceShow flag.", ("gamma_categories.force_show",)),
        Col("created_at", TS, "Created at (Gamma).", ("gamma_categories.created_at",), "latest_non_null"),
        Col("updated_at", TS, "Last update at Gamma; orders states.", ("gamma_categories.updated_at",)),
        *_seen("tag"),
    ),
)

EVENT_CATEGORY = Model(
    name="event_category",
    kind="bridge",
    description="Bridge event ↔ category: the tags of each event as of its newest snapshot in bronze.",
    grain="one row per (event, tag) link",
    key=("event_id", "tag_id"),
    sources=("gamma_categories",),
    extra_sql=("event_category_merge",),
    columns=(
        Col("event_id", "VARCHAR", "Gamma event id (→ event_dim).", ("gamma_categories.event_id",), "key"),
        Col("tag_id", "VARCHAR", "Gamma tag id (→ category_dim).", ("gamma_categories.tag_id",), "key"),
        Col("fetched_at", TS, "Fetch time of the event snapshot the link comes from.", ("gamma_categories.fetched_at",)),
        Col("source_dt", "DATE", "Bronze day partition of that snapshot.", ()),
        Col("first_seen_at", TS, "Earliest snapshot that had the link.", ("gamma_categories.fetched_at",), "min"),
        Col("last_seen_at", TS, "Latest snapshot that had the link.", ("gamma_categories.fetched_at",), "max"),
    ),
)

MARKET_DIM = Model(
    name="market_dim",
    kind="dim",
    description="Markets, latest state per condition id, with the Gamma market id alongside.",
    grain="one row per market (condition id)",
    key=("condition_id",),
    sources=("markets",),
    order_by=("updated_at", "fetched_at"),
    price_columns=("best_bid", "best_ask", "last_trade_price"),
    price_list_columns=("outcome_prices",),
    columns=(
        Col("condition_id", "VARCHAR", "CTF condition id (0x + 64 hex). Natural key; trades reference it.", ("markets.condition_id",), "key"),
        Col("market_id", "VARCHAR", "Gamma market id (numeric string).", ("markets.market_id",)),
        Col("question_id", "VARCHAR", "UMA question id.", ("markets.question_id",)),
        Col("slug", "VARCHAR", "Market slug.", ("markets.slug",)),
        Col("question", "VARCHAR", "Market question.", ("markets.question",)),
        Col("description", "VARCHAR", "Resolution rules text.", ("markets.description",)),
        Col("event_id", "VARCHAR", "Gamma event id (→ event_dim).", ("markets.event_id",)),
        Col("event_slug", "VARCHAR", "Event slug.", ("markets.event_slug",)),
        Col("outcomes", "VARCHAR[]", "Outcome labels, in token order.", ("markets.outcomes",)),
        Col("outcome_count", "INTEGER", "len(outcomes).", ("markets.outcomes",)),
        Col("outcome_prices", f"{PRICE}[]", "Outcome prices at fetch time (Gamma snapshot).", ("markets.outcome_prices",)),
        Col("clob_token_ids", "VARCHAR[]", "Outcome token ids, in outcome order (→ market_token_dim).", ("markets.clob_token_ids",)),
        Col("start_date", TS, "Market start.", ("markets.start_date",)),
        Col("end_date", TS, "Market end.", ("markets.end_date",)),
        Col("created_at", TS, "Created at (Gamma).", ("markets.created_at",)),
        Col("updated_at", TS, "Last update at Gamma; orders states (newest wins).", ("markets.updated_at",)),
        Col("closed_time", TS, "When the market closed.", ("markets.closed_time",)),
        Col("active", "BOOLEAN", "Gamma active flag.", ("markets.active",)),
        Col("closed", "BOOLEAN", "Gamma closed flag (see api_reference quirk 9 (§6): not resolution).", ("markets.closed",)),
        Col("archived", "BOOLEAN", "Gamma archived flag.", ("markets.archived",)),
        Col("accepting_orders", "BOOLEAN", "CLOB accepting orders.", ("markets.accepting_orders",)),
        Col("enable_order_book", "BOOLEAN", "Has a CLOB order book.", ("markets.enable_order_book",)),
        Col("neg_risk", "BOOLEAN", "Negative-risk market.", ("markets.neg_risk",)),
        Col("neg_risk_market_id", "VARCHAR", "Negative-risk market id.", ("markets.neg_risk_market_id",)),
        Col("volume", AMOUNT, "Lifetime volume (USDC) at fetch time.", ("markets.volume",)),
        Col("liquidity", AMOUNT, "Liquidity (USDC) at fetch time.", ("markets.liquidity",)),
        Col("volume_24hr", "DOUBLE", "24 h volume snapshot.", ("markets.volume_24hr",)),
        Col("best_bid", PRICE, "Best bid snapshot.", ("markets.best_bid",)),
        Col("best_ask", PRICE, "Best ask snapshot.", ("markets.best_ask",)),
        Col("last_trade_price", PRICE, "Last trade price snapshot.", ("markets.last_trade_price",)),
        Col("tick_size", PRICE, "Minimum tick.", ("markets.tick_size",)),
        Col("min_order_size", AMOUNT, "Minimum order size.", ("markets.min_order_size",)),
        Col("uma_resolution_status", "VARCHAR", "UMA resolution status.", ("markets.uma_resolution_status",)),
        Col("resolved_outcome_index", "SMALLINT", "Index of the winning outcome once resolved.", ("markets.resolved_outcome_index",)),
        *_seen("market"),
    ),
)

MARKET_TOKEN_DIM = Model(
    name="market_token_dim",
    kind="dim",
    description="Outcome tokens (CLOB asset ids), latest state per token id.",
    grain="one row per outcome token",
    key=("token_id",),
    sources=("market_tokens",),
    order_by=("fetched_at",),
    price_columns=("price",),
    columns=(
        Col("token_id", "VARCHAR", "Outcome token id (uint256 as decimal string). Natural key.", ("market_tokens.token_id",), "key"),
        Col("condition_id", "VARCHAR", "Market condition id (→ market_dim).", ("market_tokens.condition_id",)),
        Col("market_id", "VARCHAR", "Gamma market id.", ("market_tokens.market_id",)),
        Col("outcome", "VARCHAR", "Outcome label.", ("market_tokens.outcome",)),
        Col("outcome_index", "SMALLINT", "Position in the market's outcomes.", ("market_tokens.outcome_index",)),
        Col("price", PRICE, "Outcome price snapshot.", ("market_tokens.price",)),
        Col("winner", "BOOLEAN", "Winning outcome once resolved.", ("market_tokens.winner",)),
        *_seen("token"),
    ),
)

_TRADER_TRADE_ORDER = ("last_trade_at",)
_TRADER_BOARD_ORDER = ("last_leaderboard_at",)

TRADER_DIM = Model(
    name="trader_dim",
    kind="dim",
    description="Traders (proxy wallets) seen in trades or on the leaderboard; names from the newest trade "
    "and the newest leaderboard snapshot.",
    grain="one row per wallet (lower-cased 0x address)",
    key=("wallet",),
    sources=("trades", "leaderboard"),
    order_by=("last_seen_at",),
    columns=(
        Col("wallet", "VARCHAR", "Proxy wallet, lower-cased. Natural key (trades.proxy_wallet, leaderboard.user_id).",
            ("trades.proxy_wallet", "leaderboard.user_id"), "key"),
        Col("trader_name", "VARCHAR", "Name on the newest trade that had one.", ("trades.trader_name",), "latest_non_null", _TRADER_TRADE_ORDER),
        Col("trader_pseudonym", "VARCHAR", "Pseudonym on the newest trade that had one.", ("trades.trader_pseudonym",), "latest_non_null", _TRADER_TRADE_ORDER),
        Col("leaderboard_name", "VARCHAR", "user_name on the newest leaderboard snapshot.", ("leaderboard.user_name",), "latest_non_null", _TRADER_BOARD_ORDER),
        Col("x_username", "VARCHAR", "X (Twitter) handle on the newest leaderboard snapshot.", ("leaderboard.x_username",), "latest_non_null", _TRADER_BOARD_ORDER),
        Col("verified", "BOOLEAN", "Verified flag on the newest leaderboard snapshot.", ("leaderboard.verified",), "latest_non_null", _TRADER_BOARD_ORDER),
        Col("first_trade_at", TS, "Earliest trade seen.", ("trades.ts",), "min"),
        Col("last_trade_at", TS, "Latest trade seen.", ("trades.ts",), "max"),
        Col("last_leaderboard_at", TS, "Latest leaderboard snapshot listing the wallet.", ("leaderboard.snapshot_at",), "max"),
        Col("first_seen_at", TS, "min(first trade, first leaderboard snapshot).", ("trades.ts", "leaderboard.snapshot_at"), "min"),
        Col("last_seen_at", TS, "max(last trade, last leaderboard snapshot).", ("trades.ts", "leaderboard.snapshot_at"), "max"),
    ),
)

TRADE_FACT = Model(
    name="trade_fact",
    kind="fact",
    description="Trades (Data API v2, taker side: each fill once), one bronze day per dt.",
    grain="one row per trade (taker fill)",
    key=("trade_key",),
    sources=("trades",),
    price_columns=("price",),
    key_time_column="ts",
    columns=(
        Col("dt", "DATE", "Bronze day partition (UTC day of the trade).", ("trades.dt",)),
        Col("trade_key", "VARCHAR", "sha256 trade key from bronze. Natural key.", ("trades.trade_key",)),
        Col("ts", TS, "Trade time (UTC).", ("trades.ts",)),
        Col("transaction_hash", "VARCHAR", "Polygon transaction hash.", ("trades.transaction_hash",)),
        Col("condition_id", "VARCHAR", "Market condition id (→ market_dim).", ("trades.condition_id",)),
        Col("token_id", "VARCHAR", "Outcome token id (→ market_token_dim).", ("trades.token_id",)),
        Col("wallet", "VARCHAR", "Taker proxy wallet, lower-cased (→ trader_dim).", ("trades.proxy_wallet",)),
        Col("side", "VARCHAR", "BUY or SELL (taker side).", ("trades.side",)),
        Col("price", PRICE, "Price per share in [0, 1].", ("trades.price",)),
        Col("size", AMOUNT, "Shares.", ("trades.size",)),
        Col("usdc_size", AMOUNT, "USDC notional = price × size (derived by bronze).", ("trades.usdc_size",)),
        Col("outcome", "VARCHAR", "Outcome label.", ("trades.outcome",)),
        Col("outcome_index", "SMALLINT", "Outcome index; NULL where the feed sent its 999 sentinel (mapped by bronze).", ("trades.outcome_index",)),
        Col("market_slug", "VARCHAR", "Market slug (NULL when empty).", ("trades.market_slug",)),
        Col("event_slug", "VARCHAR", "Event slug (NULL when the feed sent '', mapped by bronze).", ("trades.event_slug",)),
        Col("fetched_at", TS, "When bronze fetched the trade.", ("trades.fetched_at",)),
    ),
)

PRICE_HISTORY_FACT = Model(
    name="price_history_fact",
    kind="fact",
    description="Price history points per outcome token, one bronze day per dt.",
    grain="one row per (token_id, ts, resolution_seconds)",
    key=("token_id", "ts", "resolution_seconds"),
    sources=("prices",),
    price_columns=("price",),
    key_time_column="ts",
    columns=(
        Col("dt", "DATE", "Bronze day partition.", ("prices.dt",)),
        Col("token_id", "VARCHAR", "Outcome token id (→ market_token_dim).", ("prices.token_id",)),
        Col("condition_id", "VARCHAR", "Market condition id, when bronze knew it.", ("prices.condition_id",)),
        Col("ts", TS, "Point time (UTC).", ("prices.ts",)),
        Col("resolution_seconds", "INTEGER", "Bucket width of the series the point belongs to.", ("prices.resolution_seconds",)),
        Col("price", PRICE, "Price in [0, 1].", ("prices.price",)),
        Col("source", "VARCHAR", "Endpoint the point came from.", ("prices.source",)),
        Col("fetched_at", TS, "When bronze fetched the point.", ("prices.fetched_at",)),
    ),
)

LEADERBOARD_FACT = Model(
    name="leaderboard_fact",
    kind="fact",
    description="Leaderboard snapshots: the newest snapshot of each board (time_period × sort_by × category) "
    "per day.",
    grain="one row per (dt, time_period, sort_by, category, rank, wallet)",
    key=("dt", "time_period", "sort_by", "category", "rank", "wallet"),
    sources=("leaderboard",),
    columns=(
        Col("dt", "DATE", "Snapshot day (bronze partition).", ("leaderboard.dt",)),
        Col("snapshot_at", TS, "When the snapshot was taken.", ("leaderboard.snapshot_at",)),
        Col("time_period", "VARCHAR", "day | week | month | all.", ("leaderboard.time_period",)),
        Col("sort_by", "VARCHAR", "PNL | VOLUME.", ("leaderboard.sort_by",)),
        Col("category", "VARCHAR", "Leaderboard category (overall, …).", ("leaderboard.category",)),
        Col("rank", "INTEGER", "Rank (ties share a rank).", ("leaderboard.rank",)),
        Col("wallet", "VARCHAR", "User proxy wallet, lower-cased (→ trader_dim).", ("leaderboard.user_id",)),
        Col("user_name", "VARCHAR", "Display name.", ("leaderboard.user_name",)),
        Col("x_username", "VARCHAR", "X handle.", ("leaderboard.x_username",)),
        Col("verified", "BOOLEAN", "Verified flag.", ("leaderboard.verified",)),
        Col("pnl", "DOUBLE", "PnL (USDC) over the period.", ("leaderboard.pnl",)),
        Col("volume", "DOUBLE", "Volume over the period, in shares (not USDC; api_reference §3.2).", ("leaderboard.volume",)),
        Col("fetched_at", TS, "When bronze fetched the row.", ("leaderboard.fetched_at",)),
    ),
)

def _res(*columns: str) -> tuple[str, ...]:
    return tuple(f"resolutions.{c}" for c in columns)


_DECIDED = _res("closed", "uma_resolution_status", "uma_resolution_statuses", "resolution_status", "outcome_prices", "resolution_found")

MARKET_RESOLUTION_DIM = Model(
    name="market_resolution_dim",
    kind="dim",
    description="How each market resolved: status (resolved | disputed | void | pending), resolved_at, the winning "
    "outcome (index, label, token) read from Gamma's final outcomePrices 1/0, payouts and which signals decided "
    "(Gamma's UMA status, the Data API v2 /v2/resolutions record). Rules: README 'Resolutions' and "
    "sql/market_resolution_dim.sql. A market without a resolution record is pending, not an error; a void market "
    "(['0.5','0.5']) has no winner.",
    grain="one row per market (condition id) that bronze saw close",
    key=("condition_id",),
    sources=("resolutions",),
    order_by=("fetched_at",),
    price_list_columns=("payouts",),
    columns=(
        Col("condition_id", "VARCHAR", "CTF condition id. Natural key (→ market_dim).", _res("condition_id"), "key"),
        Col("market_id", "VARCHAR", "Gamma market id.", _res("market_id")),
        Col("question_id", "VARCHAR", "UMA question id (Gamma questionID).", _res("question_id")),
        Col("slug", "VARCHAR", "Market slug.", _res("slug")),
        Col("question", "VARCHAR", "Market question.", _res("question")),
        Col("event_id", "VARCHAR", "Gamma event id, when the market object embedded its event.", _res("event_id")),
        Col("neg_risk", "BOOLEAN", "Negative-risk market.", _res("neg_risk")),
        Col("outcomes", "VARCHAR[]", "Outcome labels, in token order.", _res("outcomes")),
        Col("outcome_count", "INTEGER", "len(outcomes); calibration keeps binary markets (2) only.", _res("outcomes")),
        Col("clob_token_ids", "VARCHAR[]", "Outcome token ids, in outcome order.", _res("clob_token_ids")),
        Col("outcome_prices", f"{PRICE}[]", "Gamma outcomePrices as last fetched (whatever the status).", _res("outcome_prices")),
        Col("closed", "BOOLEAN", "Gamma closed flag.", _res("closed")),
        Col("closed_time", TS, "Gamma closedTime (for UMA markets: the settlement instant, = umaEndDate).", _res("closed_time")),
        Col("status", "VARCHAR", "resolved | void | disputed | pending, by the first rule that holds: resolved = closed, a UMA "
            "'resolved' signal (Gamma or v2) and prices all 0/1 with exactly one 1; void = closed, a 'resolved' signal and "
            "all prices equal (['0.5','0.5']), or a legacy closed market with prices all 0 and no UMA signal at all; "
            "disputed = an active dispute (Gamma or v2 status 'disputed'); pending = anything else.", _DECIDED),
        Col("resolved_at", TS, "resolved/void only: closedTime, else the v2 record's last update; NULL otherwise.",
            _res("closed_time", "resolution_updated_at")),
        Col("winning_outcome_index", "SMALLINT", "resolved only: index of the outcome whose final price is 1; NULL for void, "
            "disputed and pending (a void market never counts as a win).", _res("outcome_prices")),
        Col("winning_outcome", "VARCHAR", "resolved only: label of the winning outcome.", _res("outcomes", "outcome_prices")),
        Col("winning_token_id", "VARCHAR", "resolved only: token of the winning outcome (clob_token_ids at its index).",
            _res("clob_token_ids", "outcome_prices")),
        Col("payouts", f"{PRICE}[]", "resolved/void only: the final outcomePrices, per outcome (e.g. [1, 0], [0.5, 0.5]).",
            _res("outcome_prices")),
        Col("resolution_source", "VARCHAR", "resolved/void only: the signals that decided: gamma+data_v2 | gamma | data_v2 | "
            "gamma_legacy_prices.", _res("uma_resolution_status", "uma_resolution_statuses", "resolution_status")),
        Col("uma_resolution_status", "VARCHAR", "Gamma umaResolutionStatus (current), as sent.", _res("uma_resolution_status")),
        Col("uma_resolution_statuses", "VARCHAR[]", "Gamma umaResolutionStatuses (history), as sent.", _res("uma_resolution_statuses")),
        Col("v2_record_found", "BOOLEAN", "Whether /v2/resolutions returned a record for the condition.", _res("resolution_found")),
        Col("v2_status", "VARCHAR", "/v2/resolutions status (lower-cased; values not documented).", _res("resolution_status")),
        Col("was_disputed", "BOOLEAN", "/v2/resolutions was_disputed (a resolved market may have been disputed once).",
            _res("was_disputed")),
        Col("v2_price", "VARCHAR", "/v2/resolutions price, as sent (the oracle's raw value; not interpreted).", _res("resolution_price")),
        Col("resolution_tx_hash", "VARCHAR", "/v2/resolutions transaction hash.", _res("resolution_tx_hash")),
        Col("v2_updated_at", TS, "/v2/resolutions last_update_timestamp.", _res("resolution_updated_at")),
        *_seen("resolution"),
    ),
)

MODELS: dict[str, Model] = {
    m.name: m
    for m in (
        EVENT_DIM,
        CATEGORY_DIM,
        EVENT_CATEGORY,
        MARKET_DIM,
        MARKET_TOKEN_DIM,
        TRADER_DIM,
        TRADE_FACT,
        PRICE_HISTORY_FACT,
        LEADERBOARD_FACT,
        MARKET_RESOLUTION_DIM,
        ORDERBOOK_SNAPSHOT_FACT,
        ORDERBOOK_TOP_OF_BOOK_1M,
        ORDERBOOK_BBO,
        ORDERBOOK_GAPS,
    )
}

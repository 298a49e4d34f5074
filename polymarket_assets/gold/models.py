"""The gold models: one :class:`~polymarket_assets.silver.model.Model` per analysis table (``layer="gold"``), and
the registry ``GOLD_MODELS`` the assets and the automation are built from.

Incremental where the grain allows: ``token_ohlcv`` and ``market_daily_volume`` are facts computed day by day
from ``silver.trade_fact`` (a day is recomputed exactly when trade_fact reloads it). The calibration and BTC
tables have no day grain of a single source (a point needs a market's resolution *and* its price history
days before; a window needs its books *and* its resolution, which may land later), so they are ``table``
models: rebuilt in one transaction when one of their sources changed, untouched otherwise.

What the fields mean: :mod:`polymarket_assets.silver.model`. Each table's SELECT: ``gold/sql/<name>.sql``.
"""

from __future__ import annotations

from polymarket_assets.gold.checks import MURPHY_IDENTITY, WINDOW_RULES
from polymarket_assets.silver.model import AMOUNT, PRICE, TS, Col, Model
from polymarket_assets.silver.models import MODELS as SILVER_MODELS

BOOK_PRICE = "DECIMAL(18, 6)"


def _trades(*columns: str) -> tuple[str, ...]:
    return tuple(f"trade_fact.{c}" for c in columns)


TOKEN_OHLCV = Model(
    name="token_ohlcv",
    layer="gold",
    kind="fact",
    description="OHLCV bars per outcome token from the silver trades (taker fills, each once): open, high, low, close, "
    "VWAP, shares, notional USDC and trade count, for 1-minute, 1-hour and 1-day buckets in one table.",
    grain="one row per (token, bucket '1m' | '1h' | '1d', bucket start)",
    key=("token_id", "bucket", "bucket_start"),
    sources=("trade_fact",),
    source_layer="silver",
    count_column="trades",
    count_filter="bucket = '1d'",  # each trade is in one bar of every bucket: count it once
    price_columns=("open", "high", "low", "close", "vwap"),
    key_time_column="bucket_start",
    plots=("price_path",),
    columns=(
        Col("dt", "DATE", "UTC day of the bucket (= trade_fact's day).", _trades("dt")),
        Col("token_id", "VARCHAR", "Outcome token id (→ silver.market_token_dim).", _trades("token_id")),
        Col("condition_id", "VARCHAR", "Market condition id (→ silver.market_dim).", _trades("condition_id")),
        Col("bucket", "VARCHAR", "Bar width: '1m', '1h' or '1d'.", ()),
        Col("bucket_start", TS, "Start of the bar (UTC, truncated to the bucket).", _trades("ts")),
        Col("open", PRICE, "Price of the bar's first trade (by ts, then trade_key).", _trades("price", "ts")),
        Col("high", PRICE, "Highest trade price.", _trades("price")),
        Col("low", PRICE, "Lowest trade price.", _trades("price")),
        Col("close", PRICE, "Price of the bar's last trade (by ts, then trade_key).", _trades("price", "ts")),
        Col("vwap", PRICE, "Volume-weighted average price = notional_usdc / shares.", _trades("usdc_size", "size")),
        Col("shares", AMOUNT, "Shares traded (sum of size).", _trades("size")),
        Col("notional_usdc", AMOUNT, "USDC notional traded (sum of price × size).", _trades("usdc_size")),
        Col("trades", "BIGINT", "Trades (taker fills) in the bar.", _trades("trade_key")),
        Col("first_trade_at", TS, "Time of the bar's first trade.", _trades("ts")),
        Col("last_trade_at", TS, "Time of the bar's last trade.", _trades("ts")),
    ),
)

MARKET_DAILY_VOLUME = Model(
    name="market_daily_volume",
    layer="gold",
    kind="fact",
    description="Daily volume per market over taker fills counted once (the Data API's taker_only feed: never both sides "
    "of a fill): trades, shares and notional USDC, with the buy/sell split, traders and tokens. A blocking check holds "
    "every day equal to silver.trade_fact's totals for the same day.",
    grain="one row per (dt, condition_id)",
    key=("dt", "condition_id"),
    sources=("trade_fact",),
    source_layer="silver",
    count_column="trades",
    source_sums=(("shares", "size"), ("notional_usdc", "usdc_size")),
    plots=("top_markets_daily_volume",),
    columns=(
        Col("dt", "DATE", "UTC day of the trades.", _trades("dt")),
        Col("condition_id", "VARCHAR", "Market condition id (→ silver.market_dim).", _trades("condition_id")),
        Col("market_slug", "VARCHAR", "Market slug of the day's last trade.", _trades("market_slug")),
        Col("trades", "BIGINT", "Trades (taker fills).", _trades("trade_key")),
        Col("shares", AMOUNT, "Shares traded.", _trades("size")),
        Col("notional_usdc", AMOUNT, "USDC notional traded, each fill once.", _trades("usdc_size")),
        Col("buy_notional_usdc", AMOUNT, "Notional of fills whose taker bought.", _trades("usdc_size", "side")),
        Col("sell_notional_usdc", AMOUNT, "Notional of fills whose taker sold.", _trades("usdc_size", "side")),
        Col("traders", "BIGINT", "Distinct taker wallets.", _trades("wallet")),
        Col("tokens", "BIGINT", "Distinct outcome tokens traded.", _trades("token_id")),
        Col("first_trade_at", TS, "First trade of the day.", _trades("ts")),
        Col("last_trade_at", TS, "Last trade of the day.", _trades("ts")),
    ),
)

_CAL_SOURCES = ("market_resolution_dim", "price_history_fact", "market_dim", "event_dim", "category_dim")

CALIBRATION_POINTS = Model(
    name="calibration_points",
    layer="gold",
    kind="table",
    description="Forecast points of resolved binary markets at fixed horizons before resolution: the first outcome's "
    "price from the price history at resolved_at − horizon (never the last trade: losing tokens stop trading early), "
    "and whether the first outcome won. Void, disputed and pending markets are not scored; a market with more than "
    "two outcomes is left out and counted (run metadata).",
    grain="one row per (resolved binary market, horizon '1h' | '24h' | '7d') with a price at that horizon",
    key=("condition_id", "horizon"),
    sources=_CAL_SOURCES,
    source_layer="silver",
    price_columns=("price",),
    stats_sql="calibration_points_counts",
    columns=(
        Col("condition_id", "VARCHAR", "Market condition id (→ silver.market_resolution_dim).", ("market_resolution_dim.condition_id",)),
        Col("category", "VARCHAR", "The market's event category: the first of its event's tags that is a broad category "
            "(Politics, Sports, Crypto, Finance, Economy, Geopolitics, Tech, Science, Culture, Weather, World, Business), else "
            "the event's first tag, else 'uncategorized'.", ("event_dim.tag_ids", "category_dim.label", "market_dim.event_id")),
        Col("horizon", "VARCHAR", "'1h', '24h' or '7d' before resolved_at.", ()),
        Col("horizon_seconds", "INTEGER", "The horizon in seconds.", ()),
        Col("resolved_at", TS, "When the market resolved (silver market_resolution_dim.resolved_at).", ("market_resolution_dim.resolved_at",)),
        Col("forecast_at", TS, "resolved_at − horizon: the instant the price is read at.", ("market_resolution_dim.resolved_at",)),
        Col("token_id", "VARCHAR", "The first outcome's token (clob_token_ids[1]).", ("market_resolution_dim.clob_token_ids",)),
        Col("first_outcome", "VARCHAR", "The first outcome's label (e.g. Yes, Up).", ("market_resolution_dim.outcomes",)),
        Col("price_ts", TS, "Time of the price point used: the last at or before forecast_at.", ("price_history_fact.ts",)),
        Col("price_resolution_seconds", "INTEGER", "Bucket of the series the point came from.", ("price_history_fact.resolution_seconds",)),
        Col("price", PRICE, "The first outcome's price at forecast_at (the forecast).", ("price_history_fact.price",)),
        Col("outcome", "SMALLINT", "1 if the first outcome won, else 0.", ("market_resolution_dim.winning_outcome_index",)),
        Col("resolved_dt", "DATE", "UTC day of resolved_at.", ("market_resolution_dim.resolved_at",)),
    ),
)


def _murphy_columns(key: tuple[Col, ...], source: str) -> tuple[Col, ...]:
    src = (f"{source}.price", f"{source}.outcome") if source == "calibration_points" else (f"{source}.mid_open", f"{source}.outcome_up")
    return (
        *key,
        Col("n", "BIGINT", "Points scored.", src),
        Col("base_rate", "DOUBLE", "Observed frequency of the first outcome (ō).", src),
        Col("mean_forecast", "DOUBLE", "Mean forecast price.", src),
        Col("brier", "DOUBLE", "Brier score, mean of (price − outcome)², computed from the points.", src),
        Col("reliability", "DOUBLE", "(1/N) Σ_k n_k (f_k − o_k)² over 10 fixed-width price bins (lower is better).", src),
        Col("resolution", "DOUBLE", "(1/N) Σ_k n_k (o_k − ō)² (higher is better).", src),
        Col("uncertainty", "DOUBLE", "ō (1 − ō).", src),
        Col("within_bin_variance", "DOUBLE", "(1/N) Σ_k Σ_{i∈k} (f_i − f_k)².", src),
        Col("within_bin_covariance", "DOUBLE", "(1/N) Σ_k Σ_{i∈k} (f_i − f_k)(o_i − o_k).", src),
        Col("decomposition_residual", "DOUBLE", "brier − (reliability − resolution + uncertainty + within_bin_variance − "
            "2 · within_bin_covariance): zero up to rounding (the identity is exact).", src),
        Col("bins_used", "BIGINT", "Price bins holding at least one point.", src),
    )


CALIBRATION_SUMMARY = Model(
    name="calibration_summary",
    layer="gold",
    kind="table",
    description="Brier score per horizon and category (and 'overall'), with its Murphy decomposition over 10 price bins: "
    "reliability, resolution, uncertainty, and the two within-bin terms that make the identity exact "
    "(brier = reliability − resolution + uncertainty + within_bin_variance − 2 · within_bin_covariance).",
    grain="one row per (horizon, category), plus category 'overall' per horizon",
    key=("horizon", "category"),
    sources=("calibration_points",),
    source_layer="gold",
    extra_checks=(MURPHY_IDENTITY,),
    columns=_murphy_columns(
        (Col("horizon", "VARCHAR", "'1h', '24h' or '7d'.", ("calibration_points.horizon",)),
         Col("category", "VARCHAR", "A category of calibration_points, or 'overall' (every point of the horizon).",
             ("calibration_points.category",))),
        "calibration_points",
    ),
)

CALIBRATION_RELIABILITY = Model(
    name="calibration_reliability",
    layer="gold",
    kind="table",
    description="The reliability table by price decile (10 fixed-width bins): points, mean forecast and observed frequency "
    "per horizon and category (and 'overall'): the reliability diagram's points.",
    grain="one row per (horizon, category, price bin) holding at least one point",
    key=("horizon", "category", "bin"),
    sources=("calibration_points", "calibration_summary"),  # the summary: for the diagram's Brier terms
    source_layer="gold",
    plots=("reliability_diagram",),
    columns=(
        Col("horizon", "VARCHAR", "'1h', '24h' or '7d'.", ("calibration_points.horizon",)),
        Col("category", "VARCHAR", "A category, or 'overall'.", ("calibration_points.category",)),
        Col("bin", "SMALLINT", "Price bin k: prices in [k/10, (k+1)/10) (bin 9 also holds 1.0).", ("calibration_points.price",)),
        Col("bin_lower", "DOUBLE", "k/10.", ()),
        Col("bin_upper", "DOUBLE", "(k+1)/10.", ()),
        Col("n", "BIGINT", "Points in the bin.", ("calibration_points.price",)),
        Col("mean_forecast", "DOUBLE", "Mean price of the bin's points.", ("calibration_points.price",)),
        Col("observed_frequency", "DOUBLE", "Share of the bin's points whose first outcome won.", ("calibration_points.outcome",)),
    ),
)

def _columns_of(table: str, *names: str) -> tuple[Col, ...]:
    """The declared columns ``names`` of silver ``table`` (its model is the one source of their types)."""
    by_name = {c.name: c for c in SILVER_MODELS[table].columns}
    return tuple(by_name[n] for n in names)


#: What btc15m_windows reads of the WebSocket capture's silver tables — optional: a deployment that never ran
#: orderbook_stream_job has neither table, and reads an empty relation of these columns instead.
ORDERBOOK_BBO_COLUMNS = _columns_of("orderbook_bbo", "asset_id", "ts_exchange", "best_bid", "best_ask", "bid_size", "ask_size")
ORDERBOOK_GAPS_COLUMNS = _columns_of("orderbook_gaps", "asset_id", "start_ts", "end_ts")


def _books(*columns: str) -> tuple[str, ...]:
    return tuple(f"orderbook_snapshot_fact.{c}" for c in columns)


BTC15M_WINDOWS = Model(
    name="btc15m_windows",
    layer="gold",
    kind="table",
    description="One row per BTC 15-minute up/down window: slug, start, outcome (Up/Down), and from the books of its Up "
    "token (the WebSocket BBO where it exists, else the REST logger's snapshots): the mid at open, at t − 5 min and "
    "t − 1 min (never a WebSocket top held across a gap of that book), mean spread, mean shares at the best bid and "
    "ask, and the number of book rows.",
    grain="one row per window (slug btc-updown-15m-<start>) seen in the books or the resolutions",
    key=("slug",),
    sources=("orderbook_snapshot_fact", "market_resolution_dim"),
    source_layer="silver",
    optional_sources=(("orderbook_bbo", ORDERBOOK_BBO_COLUMNS), ("orderbook_gaps", ORDERBOOK_GAPS_COLUMNS)),
    price_columns=("mid_open", "mid_t5", "mid_t1"),
    nullable_prices=True,
    extra_checks=(WINDOW_RULES,),
    plots=("btc15m_mid_vs_outcome",),
    columns=(
        Col("slug", "VARCHAR", "btc-updown-15m-<window start, unix s>. Natural key.", ("market_resolution_dim.slug", *_books("slug"))),
        Col("window_start", TS, "Window start (from the slug).", ("market_resolution_dim.slug",)),
        Col("window_end", TS, "window_start + 15 min (the instant the outcome is decided).", ("market_resolution_dim.slug",)),
        Col("condition_id", "VARCHAR", "Market condition id.", ("market_resolution_dim.condition_id", *_books("market_id"))),
        Col("up_token_id", "VARCHAR", "Token of the Up outcome.", ("market_resolution_dim.clob_token_ids", *_books("token_id"))),
        Col("status", "VARCHAR", "silver market_resolution_dim status (NULL: no resolution row yet).", ("market_resolution_dim.status",)),
        Col("outcome", "VARCHAR", "'Up' or 'Down' when resolved; NULL otherwise (void, pending, unknown).", ("market_resolution_dim.winning_outcome",)),
        Col("outcome_up", "SMALLINT", "1 if Up won, 0 if Down won, NULL otherwise.", ("market_resolution_dim.winning_outcome",)),
        Col("book_source", "VARCHAR", "'ws_bbo' (silver.orderbook_bbo) or 'rest_snapshots' (silver.orderbook_snapshot_fact); NULL: no book.", ()),
        Col("book_rows", "BIGINT", "Book rows of the Up token inside the window (snapshots, or BBO changes).", _books("snapshot_id")),
        Col("mid_open", BOOK_PRICE, "Up mid at the window start (else the first within 60 s after it).", _books("mid", "received_ts")),
        Col("mid_open_at", TS, "Time of the book row mid_open comes from.", _books("received_ts")),
        Col("mid_t5", BOOK_PRICE, "Up mid at window_end − 5 min (REST: a snapshot at most 60 s old).", _books("mid", "received_ts")),
        Col("mid_t5_at", TS, "Time of the book row mid_t5 comes from.", _books("received_ts")),
        Col("mid_t1", BOOK_PRICE, "Up mid at window_end − 1 min (REST: a snapshot at most 60 s old).", _books("mid", "received_ts")),
        Col("mid_t1_at", TS, "Time of the book row mid_t1 comes from.", _books("received_ts")),
        Col("mean_spread", "DOUBLE", "Mean best ask − best bid over the window's book rows.", _books("spread")),
        Col("mean_best_bid_size", "DOUBLE", "Mean shares at the best bid (depth at best).", _books("best_bid_size")),
        Col("mean_best_ask_size", "DOUBLE", "Mean shares at the best ask (depth at best).", _books("best_ask_size")),
    ),
)

BTC15M_CALIBRATION = Model(
    name="btc15m_calibration",
    layer="gold",
    kind="table",
    description="Calibration of the BTC 15-minute Up mid as a forecast of the outcome, at the open, t − 5 min and t − 1 min: "
    "Brier score and its Murphy decomposition (as calibration_summary), over resolved windows with a mid.",
    grain="one row per point in time ('open', 't-5m', 't-1m') with at least one scored window",
    key=("point",),
    sources=("btc15m_windows",),
    source_layer="gold",
    extra_checks=(MURPHY_IDENTITY,),
    columns=_murphy_columns((Col("point", "VARCHAR", "'open', 't-5m' or 't-1m'.", ()),), "btc15m_windows"),
)

GOLD_MODELS: dict[str, Model] = {
    m.name: m
    for m in (TOKEN_OHLCV, MARKET_DAILY_VOLUME, CALIBRATION_POINTS, CALIBRATION_SUMMARY, CALIBRATION_RELIABILITY,
              BTC15M_WINDOWS, BTC15M_CALIBRATION)
}

# Every model shares the one load ledger, keyed by table name: a gold name must not repeat a silver one.
if set(GOLD_MODELS) & set(SILVER_MODELS):
    raise ValueError(f"gold model names repeat silver ones: {sorted(set(GOLD_MODELS) & set(SILVER_MODELS))}")

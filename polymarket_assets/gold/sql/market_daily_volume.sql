-- gold.market_daily_volume: one row per (dt, condition_id); natural key (dt, condition_id).
-- Input: the view silver_trade_fact = the silver.trade_fact rows of the day being (re)loaded.
-- Each row of trade_fact is one taker fill (bronze requests taker_only=true and never the maker side), so the
-- sums count every fill once: no both-sides double counting (api_reference §7.3). The blocking check
-- matches_source_totals holds the day's trades, shares and notional_usdc equal to silver.trade_fact's.
SELECT
    dt,
    condition_id,
    arg_max(market_slug, ts)                                         AS market_slug,
    count(*)                                                         AS trades,
    sum(size)                                                        AS shares,
    sum(usdc_size)                                                   AS notional_usdc,
    coalesce(sum(usdc_size) FILTER (WHERE side = 'BUY'), 0)          AS buy_notional_usdc,
    coalesce(sum(usdc_size) FILTER (WHERE side = 'SELL'), 0)         AS sell_notional_usdc,
    count(DISTINCT wallet)                                           AS traders,
    count(DISTINCT token_id)                                         AS tokens,
    min(ts)                                                          AS first_trade_at,
    max(ts)                                                          AS last_trade_at
FROM silver_trade_fact
GROUP BY dt, condition_id

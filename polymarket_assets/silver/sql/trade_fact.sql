-- silver.trade_fact: one row per trade (taker fill); natural key trade_key.
-- Input: the view bronze_trades = the bronze/trades day partition(s) being (re)loaded.
-- The loader replaces the day's rows with this SELECT, then drops repeated keys (keeping the newest
-- fetch) if there are any, then runs the blocking checks before it commits.
SELECT
    dt,
    trade_key,
    ts,
    transaction_hash,
    condition_id,
    token_id,
    lower(proxy_wallet)                                        AS wallet,
    upper(side)                                                AS side,
    price,
    size,
    coalesce(usdc_size, CAST(price * size AS DECIMAL(38, 6)))  AS usdc_size,
    outcome,
    -- the global v2 feed sends outcome_index 999 when it does not know it (api_reference §3.2)
    CASE WHEN outcome_index BETWEEN 0 AND 255 THEN outcome_index END AS outcome_index,
    nullif(market_slug, '')                                    AS market_slug,
    nullif(event_slug, '')                                     AS event_slug,
    fetched_at
FROM bronze_trades

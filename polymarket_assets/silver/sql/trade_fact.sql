-- silver.trade_fact: one row per trade (taker fill); natural key trade_key.
-- Input: the view bronze_trades = the bronze/trades day partition(s) being (re)loaded.
-- The loader replaces the day's rows with this SELECT, then drops repeated keys (keeping the newest
-- fetch) if there are any, then runs the blocking checks before it commits.
-- Bronze already decided the row (bronze/rows.py): usdc_size = price x size, the feed's outcome_index 999
-- and event_slug '' are NULL, empty slugs are NULL. Only silver's own conventions are applied here
-- (wallets lower-cased to meet the leaderboard's user_id, sides upper-cased).
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
    usdc_size,
    outcome,
    outcome_index,
    market_slug,
    event_slug,
    fetched_at
FROM bronze_trades

-- gold.token_ohlcv: one row per (token, bucket, bucket start) for buckets '1m', '1h' and '1d'; natural key
-- (token_id, bucket, bucket_start).
-- Input: the view silver_trade_fact = the silver.trade_fact rows of the day being (re)loaded (the loader
-- recomputes a day whenever trade_fact reloads it). Every bucket lies inside one UTC day, so a day's buckets
-- come from that day's trades alone.
-- open/close: price of the first/last trade of the bucket by (ts, trade_key): trades of the same second are
-- ordered by their key, an arbitrary but stable order (the feed has second resolution). vwap = notional /
-- shares. Volume is silver's taker fills, each fill once (api_reference §7.3).
WITH trades AS (
    SELECT dt, token_id, condition_id, ts, trade_key, price, size, usdc_size FROM silver_trade_fact
),
buckets AS (
    SELECT '1m' AS bucket, date_trunc('minute', ts) AS bucket_start, * FROM trades
    UNION ALL
    SELECT '1h' AS bucket, date_trunc('hour', ts) AS bucket_start, * FROM trades
    UNION ALL
    SELECT '1d' AS bucket, date_trunc('day', ts) AS bucket_start, * FROM trades
)
SELECT
    dt,
    token_id,
    any_value(condition_id)                                          AS condition_id,
    bucket,
    bucket_start,
    arg_min(price, (ts, trade_key))                                  AS open,
    max(price)                                                       AS high,
    min(price)                                                       AS low,
    arg_max(price, (ts, trade_key))                                  AS close,
    CAST(sum(usdc_size) / nullif(sum(size), 0) AS DECIMAL(12, 6))    AS vwap,
    sum(size)                                                        AS shares,
    sum(usdc_size)                                                   AS notional_usdc,
    count(*)                                                         AS trades,
    min(ts)                                                          AS first_trade_at,
    max(ts)                                                          AS last_trade_at
FROM buckets
GROUP BY dt, token_id, bucket, bucket_start

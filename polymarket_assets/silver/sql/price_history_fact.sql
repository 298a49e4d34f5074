-- silver.price_history_fact: one row per (token_id, ts, resolution_seconds).
-- Input: the view bronze_prices = the bronze/prices day partition(s) being (re)loaded.
-- The same point fetched twice (e.g. from both history endpoints) is one row: the loader keeps the newest fetch.
SELECT
    dt,
    token_id,
    condition_id,
    ts,
    resolution_seconds,
    price,
    source,
    fetched_at
FROM bronze_prices

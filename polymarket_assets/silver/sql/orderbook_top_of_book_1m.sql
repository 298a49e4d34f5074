-- silver.orderbook_top_of_book_1m: one row per (instrument, UTC minute); natural key (instrument_key, minute).
-- Input: the view silver_orderbook_snapshot_fact = the silver.orderbook_snapshot_fact rows of the day being
-- (re)loaded (the loader recomputes a day whenever the fact table reloads it). "first"/"last" are by
-- received_ts; snapshots counts the fact rows of the minute (the reconciliation adds them up per day).
SELECT
    dt,
    instrument_key,
    any_value(venue)                          AS venue,
    any_value(market_id)                      AS market_id,
    any_value(instrument_id)                  AS instrument_id,
    arg_max(slug, received_ts)                AS slug,
    arg_max(outcome, received_ts)             AS outcome,
    date_trunc('minute', received_ts)         AS minute,
    count(*)                                  AS snapshots,
    arg_min(mid, received_ts)                 AS first_mid,
    arg_max(mid, received_ts)                 AS last_mid,
    min(mid)                                  AS min_mid,
    max(mid)                                  AS max_mid,
    arg_max(best_bid, received_ts)            AS last_best_bid,
    arg_max(best_ask, received_ts)            AS last_best_ask,
    avg(CAST(spread AS DOUBLE))               AS mean_spread,
    max(received_ts)                          AS last_received_ts
FROM silver_orderbook_snapshot_fact
GROUP BY dt, instrument_key, date_trunc('minute', received_ts)

-- silver.orderbook_snapshot_fact: one row per order-book snapshot; natural key snapshot_id.
-- Input: the view bronze_orderbook_snapshots = the bronze/orderbook_snapshots day partition being (re)loaded.
-- A snapshot written twice (the same JSONL line in two files) is kept once, the first received (then the
-- first file); the repeats are counted as dropped in the load ledger. Levels are best first, so bids[1] and
-- asks[1] are the top of book; a side with no levels has NULL best price and size and zero depth.
SELECT
    dt,
    snapshot_id,
    regexp_extract(snapshot_id, '^(.*)-[0-9]+$', 1)                                   AS run_tag,
    poll_cycle,
    venue,
    source,
    instrument_key,
    market_id,
    instrument_id,
    token_id,
    slug,
    outcome,
    exchange_ts,
    received_ts,
    best_bid,
    best_ask,
    mid,
    spread,
    CAST(bids[1].size AS DECIMAL(28, 8))                                              AS best_bid_size,
    CAST(asks[1].size AS DECIMAL(28, 8))                                              AS best_ask_size,
    CAST(len(bids) AS INTEGER)                                                        AS bid_levels,
    CAST(len(asks) AS INTEGER)                                                        AS ask_levels,
    CAST(coalesce(list_sum(list_transform(bids, lambda x: x.size)), 0) AS DECIMAL(38, 8)) AS bid_depth,
    CAST(coalesce(list_sum(list_transform(asks, lambda x: x.size)), 0) AS DECIMAL(38, 8)) AS ask_depth,
    hash                                                                              AS book_hash,
    fetch_ms,
    CASE WHEN exchange_ts IS NOT NULL THEN epoch_ms(received_ts) - epoch_ms(exchange_ts) END AS exchange_lag_ms
FROM bronze_orderbook_snapshots
QUALIFY row_number() OVER (PARTITION BY snapshot_id ORDER BY received_ts, source_file) = 1

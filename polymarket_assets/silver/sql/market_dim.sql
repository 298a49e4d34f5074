-- silver.market_dim (incoming side of the merge): one row per condition_id among the bronze/markets days
-- being loaded: the newest state by (updated_at, fetched_at). Markets without a condition id (not yet
-- deployed on the CTF) cannot be traded or referenced and are left out (counted in the run metadata);
-- bronze stores a missing id as NULL, never '' (clients/wire.py to_id_str).
SELECT
    condition_id, market_id, question_id, slug, question, description, event_id, event_slug,
    outcomes,
    len(outcomes)                                     AS outcome_count,
    outcome_prices, clob_token_ids,
    start_date, end_date, created_at, updated_at, closed_time,
    active, closed, archived, accepting_orders, enable_order_book, neg_risk, neg_risk_market_id,
    volume, liquidity, volume_24hr, best_bid, best_ask, last_trade_price, tick_size, min_order_size,
    uma_resolution_status, resolved_outcome_index,
    fetched_at,
    dt                                                AS source_dt,
    min(fetched_at) OVER (PARTITION BY condition_id)  AS first_seen_at,
    max(fetched_at) OVER (PARTITION BY condition_id)  AS last_seen_at
FROM bronze_markets
WHERE condition_id IS NOT NULL
QUALIFY row_number() OVER (
    PARTITION BY condition_id ORDER BY updated_at DESC NULLS LAST, fetched_at DESC, dt DESC
) = 1

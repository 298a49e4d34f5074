-- silver.market_token_dim (incoming side of the merge): one row per token_id among the bronze/market_tokens
-- days being loaded: the newest fetch.
SELECT
    token_id, condition_id, market_id, outcome, outcome_index, price, winner,
    fetched_at,
    dt                                            AS source_dt,
    min(fetched_at) OVER (PARTITION BY token_id)  AS first_seen_at,
    max(fetched_at) OVER (PARTITION BY token_id)  AS last_seen_at
FROM bronze_market_tokens
WHERE token_id IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY token_id ORDER BY fetched_at DESC, dt DESC) = 1

-- Counts for gold/calibration_points' run metadata: which resolved markets were left out, and why.
WITH r AS (SELECT * FROM silver.market_resolution_dim),
p AS (SELECT * FROM gold.calibration_points)
SELECT
    (SELECT count(*) FROM r WHERE status = 'resolved' AND outcome_count = 2 AND resolved_at IS NOT NULL)   AS markets_resolved_binary,
    (SELECT count(*) FROM r WHERE status = 'resolved' AND outcome_count > 2)                               AS markets_left_out_more_than_two_outcomes,
    (SELECT count(*) FROM r WHERE status = 'void')                                                         AS markets_left_out_void,
    (SELECT count(*) FROM r WHERE status IN ('pending', 'disputed'))                                       AS markets_left_out_pending_or_disputed,
    (SELECT count(DISTINCT condition_id) FROM p)                                                           AS markets_scored,
    (SELECT count(*) FROM p WHERE horizon = '1h')                                                          AS points_1h,
    (SELECT count(*) FROM p WHERE horizon = '24h')                                                         AS points_24h,
    (SELECT count(*) FROM p WHERE horizon = '7d')                                                          AS points_7d,
    (SELECT count(*) FROM r WHERE status = 'resolved' AND outcome_count = 2 AND resolved_at IS NOT NULL) * 3
        - (SELECT count(*) FROM p)                                                                         AS points_without_price_at_horizon

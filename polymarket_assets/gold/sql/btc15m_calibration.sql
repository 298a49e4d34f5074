-- gold.btc15m_calibration: how well the Up token's mid forecasts the window's outcome, one row per point in
-- time ('open', 't-5m', 't-1m'); natural key point. Input: gold_btc15m_windows (the whole table).
-- Forecast f = the mid at that point, outcome o = 1 if Up won; windows without a resolved outcome or without a
-- mid at that point are left out (n counts the rest). The same Brier score and Murphy decomposition as
-- calibration_summary.sql (10 fixed-width bins; exact identity
-- brier = reliability − resolution + uncertainty + within_bin_variance − 2 · within_bin_covariance).
WITH points AS (
    SELECT 'open' AS point, mid_open AS price, outcome_up FROM gold_btc15m_windows
    UNION ALL SELECT 't-5m', mid_t5, outcome_up FROM gold_btc15m_windows
    UNION ALL SELECT 't-1m', mid_t1, outcome_up FROM gold_btc15m_windows
),
scored AS (
    SELECT point, CAST(price AS DOUBLE) AS f, CAST(outcome_up AS DOUBLE) AS o,
           least(CAST(floor(price * 10) AS INTEGER), 9) AS bin  -- exact: price is a DECIMAL
    FROM points
    WHERE price IS NOT NULL AND outcome_up IS NOT NULL
),
totals AS (
    SELECT point, count(*) AS n, avg(o) AS base_rate, avg(f) AS mean_forecast, avg((f - o) * (f - o)) AS brier
    FROM scored GROUP BY point
),
bins AS (
    SELECT point, bin, count(*) AS n_k, avg(f) AS f_k, avg(o) AS o_k, var_pop(f) AS var_f, covar_pop(f, o) AS cov_fo
    FROM scored GROUP BY point, bin
),
terms AS (
    SELECT
        t.point,
        sum(b.n_k * (b.f_k - b.o_k) * (b.f_k - b.o_k)) / t.n                 AS reliability,
        sum(b.n_k * (b.o_k - t.base_rate) * (b.o_k - t.base_rate)) / t.n     AS resolution,
        sum(b.n_k * b.var_f) / t.n                                           AS within_bin_variance,
        sum(b.n_k * b.cov_fo) / t.n                                          AS within_bin_covariance,
        count(*)                                                             AS bins_used
    FROM totals t JOIN bins b USING (point)
    GROUP BY t.point, t.n
)
SELECT
    t.point,
    t.n,
    t.base_rate,
    t.mean_forecast,
    t.brier,
    m.reliability,
    m.resolution,
    t.base_rate * (1 - t.base_rate)                                          AS uncertainty,
    m.within_bin_variance,
    m.within_bin_covariance,
    t.brier - (m.reliability - m.resolution + t.base_rate * (1 - t.base_rate)
               + m.within_bin_variance - 2 * m.within_bin_covariance)        AS decomposition_residual,
    m.bins_used
FROM totals t JOIN terms m USING (point)

-- gold.calibration_summary: one row per (horizon, category), plus a category 'overall' row per horizon over
-- every point; natural key (horizon, category). Input: gold_calibration_points (the whole table).
--
-- Brier score and its Murphy decomposition over K = 10 fixed-width price bins (bin k = [k/10, (k+1)/10), the
-- last closed at 1). With N points (forecast f_i, outcome o_i in {0, 1}), bin k holding n_k points of mean
-- forecast f_k and observed frequency o_k, and base rate o = mean(o_i):
--   brier               = (1/N) Σ_i (f_i − o_i)²                       (computed directly from the points)
--   reliability         = (1/N) Σ_k n_k (f_k − o_k)²
--   resolution          = (1/N) Σ_k n_k (o_k − o)²
--   uncertainty         = o (1 − o)
--   within_bin_variance = (1/N) Σ_k Σ_{i∈k} (f_i − f_k)²
--   within_bin_covariance = (1/N) Σ_k Σ_{i∈k} (f_i − f_k)(o_i − o_k)
-- and the identity that holds exactly (Stephenson, Coelho and Jolliffe 2008):
--   brier = reliability − resolution + uncertainty + within_bin_variance − 2 · within_bin_covariance.
-- With binned forecasts the classic three-term form brier ≈ reliability − resolution + uncertainty is off by
-- exactly the last two terms; decomposition_residual (brier − the right-hand side) is rounding only, and the
-- blocking check murphy_identity_holds verifies it.
WITH points AS (
    SELECT horizon, category, CAST(price AS DOUBLE) AS f, CAST(outcome AS DOUBLE) AS o,
           least(CAST(floor(price * 10) AS INTEGER), 9) AS bin  -- exact: price is a DECIMAL
    FROM gold_calibration_points
),
scored AS (
    SELECT * FROM points
    UNION ALL
    SELECT horizon, 'overall' AS category, f, o, bin FROM points
),
totals AS (
    SELECT horizon, category, count(*) AS n, avg(o) AS base_rate, avg(f) AS mean_forecast, avg((f - o) * (f - o)) AS brier
    FROM scored GROUP BY horizon, category
),
bins AS (
    SELECT horizon, category, bin, count(*) AS n_k, avg(f) AS f_k, avg(o) AS o_k,
           var_pop(f) AS var_f, covar_pop(f, o) AS cov_fo
    FROM scored GROUP BY horizon, category, bin
),
terms AS (
    SELECT
        t.horizon, t.category,
        sum(b.n_k * (b.f_k - b.o_k) * (b.f_k - b.o_k)) / t.n                 AS reliability,
        sum(b.n_k * (b.o_k - t.base_rate) * (b.o_k - t.base_rate)) / t.n     AS resolution,
        sum(b.n_k * b.var_f) / t.n                                           AS within_bin_variance,
        sum(b.n_k * b.cov_fo) / t.n                                          AS within_bin_covariance,
        count(*)                                                             AS bins_used
    FROM totals t JOIN bins b USING (horizon, category)
    GROUP BY t.horizon, t.category, t.n
)
SELECT
    t.horizon,
    t.category,
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
FROM totals t JOIN terms m USING (horizon, category)

-- gold.calibration_reliability: the reliability table by price decile, one row per (horizon, category, bin)
-- (category 'overall' over every point); natural key (horizon, category, bin).
-- Input: gold_calibration_points (the whole table). Bin k holds the prices in [k/10, (k+1)/10) (the last
-- bin also holds 1.0): n points, their mean forecast and the observed frequency of the first outcome — the
-- points of a reliability diagram (plot 'reliability_diagram'). Empty bins have no row.
WITH points AS (
    SELECT horizon, category, CAST(price AS DOUBLE) AS f, CAST(outcome AS DOUBLE) AS o,
           least(CAST(floor(price * 10) AS INTEGER), 9) AS bin  -- exact: price is a DECIMAL
    FROM gold_calibration_points
),
scored AS (
    SELECT * FROM points
    UNION ALL
    SELECT horizon, 'overall' AS category, f, o, bin FROM points
)
SELECT
    horizon,
    category,
    CAST(bin AS SMALLINT)                   AS bin,
    bin / 10.0                              AS bin_lower,
    (bin + 1) / 10.0                        AS bin_upper,
    count(*)                                AS n,
    avg(f)                                  AS mean_forecast,
    avg(o)                                  AS observed_frequency
FROM scored
GROUP BY horizon, category, bin

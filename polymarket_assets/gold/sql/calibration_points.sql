-- gold.calibration_points: one row per (resolved binary market, horizon); natural key (condition_id, horizon).
-- Input (whole tables; the table is rebuilt when one of them changes): silver_market_resolution_dim,
-- silver_price_history_fact, silver_market_dim, silver_event_dim, silver_category_dim.
--
-- Which markets: status 'resolved' (silver's rules: a void, disputed or pending market is not scored) with
-- exactly two outcomes (a market with more is left out; calibration_points_counts.sql counts it) and a
-- resolved_at.
-- price: the price of the FIRST outcome's token (clob_token_ids[1]) at forecast_at = resolved_at - horizon:
-- the last price-history point at or before that instant (the finest series where several have a point at
-- the same instant). Not the last trade: losing tokens stop trading early, so last trades are biased
-- (api_reference §7.2). A market without such a point for a horizon (it had not started, or its history was
-- not fetched) has no row for it, and is counted.
-- outcome: 1 if the first outcome won, else 0.
-- category: the market's event (market_dim.event_id, the resolution row's event_id, else an event whose
-- market_ids list the market) → its tags in the order Gamma sent them → the first that is one of the broad
-- categories below (our list), else the event's first tag label, else 'uncategorized'.
WITH resolved AS (
    SELECT
        r.condition_id,
        r.market_id,
        r.resolved_at,
        r.clob_token_ids[1]                                          AS token_id,
        r.outcomes[1]                                                AS first_outcome,
        CASE WHEN r.winning_outcome_index = 0 THEN 1 ELSE 0 END      AS outcome,
        coalesce(m.event_id, r.event_id)                             AS event_id
    FROM silver_market_resolution_dim r
    LEFT JOIN silver_market_dim m USING (condition_id)
    WHERE r.status = 'resolved' AND r.outcome_count = 2 AND r.resolved_at IS NOT NULL AND r.clob_token_ids[1] IS NOT NULL
),
event_of AS (
    SELECT res.condition_id, coalesce(res.event_id, min(e.event_id)) AS event_id
    FROM resolved res
    LEFT JOIN silver_event_dim e ON res.event_id IS NULL AND list_contains(e.market_ids, res.market_id)
    GROUP BY res.condition_id, res.event_id
),
tags AS (
    SELECT e.event_id, t.tag_id, t.pos, c.label
    FROM silver_event_dim e,
         LATERAL (SELECT unnest(e.tag_ids) AS tag_id, generate_subscripts(e.tag_ids, 1) AS pos) t
    LEFT JOIN silver_category_dim c ON c.tag_id = t.tag_id
),
broad AS (
    SELECT * FROM (VALUES
        ('Politics', 1), ('Sports', 2), ('Crypto', 3), ('Finance', 4), ('Economy', 5), ('Geopolitics', 6),
        ('Tech', 7), ('Science', 8), ('Culture', 9), ('Weather', 10), ('World', 11), ('Business', 12)
    ) AS b(label, priority)
),
category_of AS (
    SELECT
        eo.condition_id,
        coalesce(
            (SELECT t.label FROM tags t JOIN broad b USING (label) WHERE t.event_id = eo.event_id ORDER BY b.priority LIMIT 1),
            (SELECT t.label FROM tags t WHERE t.event_id = eo.event_id AND t.label IS NOT NULL ORDER BY t.pos LIMIT 1),
            'uncategorized'
        ) AS category
    FROM event_of eo
),
horizons AS (
    SELECT * FROM (VALUES ('1h', 3600), ('24h', 86400), ('7d', 604800)) AS h(horizon, horizon_seconds)
),
asked AS (
    SELECT r.*, h.horizon, h.horizon_seconds, r.resolved_at - to_seconds(h.horizon_seconds) AS forecast_at
    FROM resolved r CROSS JOIN horizons h
),
history AS (
    SELECT token_id, ts, price, resolution_seconds
    FROM silver_price_history_fact
    WHERE token_id IN (SELECT token_id FROM resolved)
    QUALIFY row_number() OVER (PARTITION BY token_id, ts ORDER BY resolution_seconds) = 1
)
SELECT
    a.condition_id,
    c.category,
    a.horizon,
    a.horizon_seconds,
    a.resolved_at,
    a.forecast_at,
    a.token_id,
    a.first_outcome,
    p.ts                                                             AS price_ts,
    p.resolution_seconds                                             AS price_resolution_seconds,
    p.price,
    a.outcome,
    CAST(a.resolved_at AS DATE)                                      AS resolved_dt
FROM asked a
ASOF JOIN history p ON a.token_id = p.token_id AND a.forecast_at >= p.ts
JOIN category_of c USING (condition_id)

-- gold.btc15m_windows: one row per BTC 15-minute up/down window; natural key slug ('btc-updown-15m-<start>').
-- Input (whole tables; rebuilt when one changes): silver_orderbook_snapshot_fact (the REST logger's books),
-- silver_market_resolution_dim (the outcome) and, where they exist, silver_orderbook_bbo (the WebSocket
-- best-bid/ask change log: asset_id, ts_exchange, best_bid, best_ask, bid_size, ask_size) and
-- silver_orderbook_gaps (the periods a WebSocket book was not known right: asset_id, start_ts, end_ts).
--
-- A window is [start, end = start + 15 min), start = the unix seconds in its slug (api_reference §1.3). Its
-- books are the books of its Up token (the first outcome): the WebSocket BBO changes when the BBO table holds
-- at least one change of that token inside the window (book_source 'ws_bbo'), else the REST snapshots
-- received inside the window ('rest_snapshots'). mid = (best bid + best ask) / 2 (NULL when a side is empty).
-- The book at an instant x: the last book row at or before x; a REST snapshot must be at most 60 s old (a BBO
-- change holds until the next one, however old, unless x falls in a gap of that book: start_ts <= x < end_ts,
-- or an open gap (end_ts NULL) — then there is no book at x, never the top from before the gap). mid_open = the book at start, else (the REST logger starts
-- polling a window at its start) the first book row in [start, start + 60 s); mid_t5 / mid_t1 = the book at
-- end - 5 min / end - 1 min. mean_spread, mean_best_bid_size, mean_best_ask_size (shares at the best levels)
-- and book_rows are over the window's book rows in [start, end).
-- outcome: 'Up' or 'Down' when silver calls the market resolved; NULL otherwise (a void window is no win).
WITH from_resolutions AS (
    SELECT slug, condition_id, clob_token_ids[coalesce(list_position(outcomes, 'Up'), 1)] AS up_token_id,
           status, winning_outcome
    FROM silver_market_resolution_dim
    WHERE regexp_full_match(slug, 'btc-updown-15m-[0-9]+')
),
from_books AS (
    SELECT slug, min(token_id) AS up_token_id, min(market_id) AS condition_id
    FROM silver_orderbook_snapshot_fact
    WHERE regexp_full_match(slug, 'btc-updown-15m-[0-9]+') AND outcome = 'Up' AND token_id IS NOT NULL
    GROUP BY slug
),
windows AS (
    SELECT
        slug,
        coalesce(r.condition_id, b.condition_id)                                   AS condition_id,
        coalesce(r.up_token_id, b.up_token_id)                                     AS up_token_id,
        r.status,
        r.winning_outcome,
        to_timestamp(CAST(regexp_extract(slug, '([0-9]+)$', 1) AS BIGINT))         AS window_start
    FROM from_resolutions r FULL OUTER JOIN from_books b USING (slug)
),
w AS (
    SELECT *, window_start + INTERVAL 15 MINUTE AS window_end FROM windows
),
bbo AS (
    SELECT w.slug, b.ts_exchange AS ts, CAST(b.best_bid AS DECIMAL(18, 6)) AS best_bid, CAST(b.best_ask AS DECIMAL(18, 6)) AS best_ask,
           CAST(b.bid_size AS DOUBLE) AS bid_size, CAST(b.ask_size AS DOUBLE) AS ask_size
    FROM silver_orderbook_bbo b JOIN w ON b.asset_id = w.up_token_id
    WHERE b.ts_exchange < w.window_end
),
bbo_windows AS (
    SELECT DISTINCT bbo.slug FROM bbo JOIN w USING (slug) WHERE bbo.ts >= w.window_start
),
rest AS (
    SELECT w.slug, s.received_ts AS ts, s.best_bid, s.best_ask, CAST(s.best_bid_size AS DOUBLE) AS bid_size,
           CAST(s.best_ask_size AS DOUBLE) AS ask_size
    FROM silver_orderbook_snapshot_fact s JOIN w ON s.token_id = w.up_token_id
    WHERE s.received_ts >= w.window_start AND s.received_ts < w.window_end AND w.slug NOT IN (SELECT slug FROM bbo_windows)
),
book AS (
    SELECT slug, 'ws_bbo' AS book_source, ts, best_bid, best_ask, bid_size, ask_size FROM bbo WHERE slug IN (SELECT slug FROM bbo_windows)
    UNION ALL
    SELECT slug, 'rest_snapshots' AS book_source, ts, best_bid, best_ask, bid_size, ask_size FROM rest
),
book_mid AS (
    SELECT *, CAST((best_bid + best_ask) / 2 AS DECIMAL(18, 6)) AS mid, CAST(best_ask - best_bid AS DOUBLE) AS spread FROM book
),
instants AS (
    SELECT slug, 'open' AS point, window_start AS at FROM w
    UNION ALL SELECT slug, 't-5m', window_end - INTERVAL 5 MINUTE FROM w
    UNION ALL SELECT slug, 't-1m', window_end - INTERVAL 1 MINUTE FROM w
),
at_instant AS (
    SELECT i.slug, i.point, b.ts, b.mid, b.book_source
    FROM instants i ASOF LEFT JOIN book_mid b ON i.slug = b.slug AND i.at >= b.ts
    WHERE b.ts IS NULL
       OR (b.book_source = 'rest_snapshots' AND b.ts > i.at - INTERVAL 60 SECOND)
       OR (b.book_source = 'ws_bbo' AND NOT EXISTS (
               SELECT 1 FROM silver_orderbook_gaps g JOIN w ON g.asset_id = w.up_token_id
               WHERE w.slug = i.slug AND g.start_ts <= i.at AND (g.end_ts IS NULL OR i.at < g.end_ts)))
),
first_after_open AS (
    SELECT b.slug, arg_min(b.mid, b.ts) AS mid, min(b.ts) AS ts
    FROM book_mid b JOIN w USING (slug)
    WHERE b.ts >= w.window_start AND b.ts < w.window_start + INTERVAL 60 SECOND
    GROUP BY b.slug
),
inside AS (
    SELECT b.slug, any_value(b.book_source) AS book_source, count(*) AS book_rows, avg(b.spread) AS mean_spread,
           avg(b.bid_size) AS mean_best_bid_size, avg(b.ask_size) AS mean_best_ask_size
    FROM book_mid b JOIN w USING (slug)
    WHERE b.ts >= w.window_start AND b.ts < w.window_end
    GROUP BY b.slug
)
SELECT
    w.slug,
    w.window_start,
    w.window_end,
    w.condition_id,
    w.up_token_id,
    w.status,
    CASE WHEN w.status = 'resolved' THEN w.winning_outcome END                              AS outcome,
    CASE WHEN w.status = 'resolved' THEN CAST(w.winning_outcome = 'Up' AS SMALLINT) END     AS outcome_up,
    coalesce(i.book_source, CASE WHEN w.slug IN (SELECT slug FROM bbo_windows) THEN 'ws_bbo' END) AS book_source,
    coalesce(i.book_rows, 0)                                                                 AS book_rows,
    CASE WHEN o.ts IS NOT NULL THEN o.mid ELSE fo.mid END                                    AS mid_open,
    CASE WHEN o.ts IS NOT NULL THEN o.ts ELSE fo.ts END                                      AS mid_open_at,
    t5.mid                                                                                   AS mid_t5,
    t5.ts                                                                                    AS mid_t5_at,
    t1.mid                                                                                   AS mid_t1,
    t1.ts                                                                                    AS mid_t1_at,
    i.mean_spread,
    i.mean_best_bid_size,
    i.mean_best_ask_size
FROM w
LEFT JOIN inside i USING (slug)
LEFT JOIN at_instant o ON o.slug = w.slug AND o.point = 'open'
LEFT JOIN first_after_open fo ON fo.slug = w.slug
LEFT JOIN at_instant t5 ON t5.slug = w.slug AND t5.point = 't-5m'
LEFT JOIN at_instant t1 ON t1.slug = w.slug AND t1.point = 't-1m'

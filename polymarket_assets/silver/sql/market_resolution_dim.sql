-- silver.market_resolution_dim: one row per market (condition_id): how it resolved, from its newest bronze row.
-- Input: the view bronze_resolutions = the bronze/resolutions day partition(s) being (re)loaded (a market's row
-- sits in the partition of the day it closed). The newest fetch of each condition is its state; the loader
-- MERGEs it (newest wins) and keeps first/last seen.
--
-- The rules (README "Resolutions"; api_reference §1.3, §7.2, quirk 9 (§6)). Signals:
--   gamma_resolved  Gamma's UMA status says 'resolved' (umaResolutionStatus, or its umaResolutionStatuses history)
--   v2_resolved     the /v2/resolutions record's status is 'resolved'
--   disputed_now    Gamma's current UMA status, or the v2 status, is 'disputed' (an active dispute)
--   prices          Gamma outcomePrices as last fetched
-- status, first rule that holds:
--   1. resolved  closed, (gamma_resolved or v2_resolved), every price 0 or 1 and exactly one 1; the winner is
--                the outcome whose price is 1 (its index, label and token)
--   2. void      closed, (gamma_resolved or v2_resolved), all prices equal and > 0 (["0.5","0.5"]): no winner
--   3. void      closed, all prices 0 (["0","0"]) and no UMA status, no v2 record at all: a legacy void market
--   4. disputed  disputed_now (and not 1-3): no winner yet
--   5. pending   anything else: open, closed but not settled, no resolution record, or final prices that fit no
--                rule above (e.g. a legacy scalar market's fractional payouts): no winner
-- resolved_at (resolved and void only): Gamma closedTime (for UMA markets the settlement instant: it equals
-- umaEndDate), else the v2 record's last update. payouts (resolved and void only): the final prices.
-- resolution_source: which signals decided: 'gamma+data_v2', 'gamma', 'data_v2', or 'gamma_legacy_prices' (3).
WITH ranked AS (
    SELECT
        *,
        row_number() OVER (PARTITION BY condition_id ORDER BY fetched_at DESC, resolution_fetched_at DESC NULLS LAST) AS rn,
        min(fetched_at) OVER (PARTITION BY condition_id) AS first_seen,
        max(fetched_at) OVER (PARTITION BY condition_id) AS last_seen
    FROM bronze_resolutions
),
latest AS (
    SELECT * EXCLUDE (rn) FROM ranked WHERE rn = 1
),
signals AS (
    SELECT
        *,
        coalesce(lower(uma_resolution_status) = 'resolved', false)
            OR coalesce(list_contains(list_transform(uma_resolution_statuses, lambda s: lower(s)), 'resolved'), false)
                                                                                 AS gamma_resolved,
        coalesce(resolution_status = 'resolved', false)                          AS v2_resolved,
        coalesce(lower(uma_resolution_status) = 'disputed', false)
            OR coalesce(resolution_status = 'disputed', false)                   AS disputed_now,
        coalesce(len(outcome_prices), 0)                                         AS n_prices,
        len(list_filter(outcome_prices, lambda p: p = 1))                        AS n_ones,
        len(list_filter(outcome_prices, lambda p: p IS NULL OR (p <> 0 AND p <> 1))) AS n_not_binary,
        list_min(outcome_prices)                                                 AS min_price,
        list_max(outcome_prices)                                                 AS max_price,
        coalesce(uma_resolution_status IS NULL AND len(uma_resolution_statuses) = 0, true) AND NOT resolution_found
                                                                                 AS no_uma_signal
    FROM latest
),
decided AS (
    SELECT
        *,
        CASE
            WHEN closed AND (gamma_resolved OR v2_resolved) AND n_prices > 0 AND n_not_binary = 0 AND n_ones = 1 THEN 'resolved'
            WHEN closed AND (gamma_resolved OR v2_resolved) AND n_prices > 0 AND min_price = max_price AND min_price > 0 THEN 'void'
            WHEN closed AND no_uma_signal AND n_prices > 0 AND max_price = 0 THEN 'void'
            WHEN disputed_now THEN 'disputed'
            ELSE 'pending'
        END AS status
    FROM signals
)
SELECT
    condition_id,
    market_id,
    question_id,
    slug,
    question,
    event_id,
    neg_risk,
    outcomes,
    len(outcomes)                                                            AS outcome_count,
    clob_token_ids,
    outcome_prices,
    closed,
    closed_time,
    status,
    CASE WHEN status IN ('resolved', 'void') THEN coalesce(closed_time, resolution_updated_at) END AS resolved_at,
    CASE WHEN status = 'resolved' THEN CAST(list_position(outcome_prices, 1) - 1 AS SMALLINT) END AS winning_outcome_index,
    CASE WHEN status = 'resolved' THEN outcomes[list_position(outcome_prices, 1)] END AS winning_outcome,
    CASE WHEN status = 'resolved' THEN clob_token_ids[list_position(outcome_prices, 1)] END AS winning_token_id,
    CASE WHEN status IN ('resolved', 'void') THEN outcome_prices END        AS payouts,
    CASE
        WHEN status NOT IN ('resolved', 'void') THEN NULL
        WHEN gamma_resolved AND v2_resolved THEN 'gamma+data_v2'
        WHEN gamma_resolved THEN 'gamma'
        WHEN v2_resolved THEN 'data_v2'
        ELSE 'gamma_legacy_prices'
    END                                                                      AS resolution_source,
    uma_resolution_status,
    uma_resolution_statuses,
    resolution_found                                                         AS v2_record_found,
    resolution_status                                                        AS v2_status,
    was_disputed,
    resolution_price                                                         AS v2_price,
    resolution_tx_hash,
    resolution_updated_at                                                    AS v2_updated_at,
    fetched_at,
    dt                                                                       AS source_dt,
    first_seen                                                               AS first_seen_at,
    last_seen                                                                AS last_seen_at
FROM decided

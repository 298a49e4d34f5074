-- silver.leaderboard_fact: one row per (dt, time_period, sort_by, category, rank, wallet).
-- Input: the view bronze_leaderboard = the bronze/leaderboard day partition(s) being (re)loaded.
-- A day holds the newest snapshot of each board (time_period x sort_by x category); older snapshots of the
-- same day are not loaded (counted as dropped in the load ledger).
SELECT
    dt,
    snapshot_at,
    lower(time_period)  AS time_period,
    upper(sort_by)      AS sort_by,
    category,
    rank,
    lower(user_id)      AS wallet,
    nullif(user_name, '')  AS user_name,
    nullif(x_username, '') AS x_username,
    verified,
    pnl,
    volume,
    fetched_at
FROM bronze_leaderboard
QUALIFY snapshot_at = max(snapshot_at) OVER (PARTITION BY dt, lower(time_period), upper(sort_by), category)

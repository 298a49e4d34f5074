-- silver.leaderboard_fact: one row per (dt, time_period, sort_by, category, rank, wallet).
-- Input: the view bronze_leaderboard = the bronze/leaderboard day partition(s) being (re)loaded.
-- A day holds the newest snapshot of each board (time_period x sort_by x category); older snapshots of the
-- same day are not loaded (counted as dropped in the load ledger).
-- Bronze already decided the row (bronze/rows.py): time_period is lower-case and sort_by upper-case (the
-- dataset's own constants), empty names are NULL (the Data API parser).
SELECT
    dt,
    snapshot_at,
    time_period,
    sort_by,
    category,
    rank,
    lower(user_id)      AS wallet,  -- silver's join key with trade_fact; bronze keeps the wallet as sent
    user_name,
    x_username,
    verified,
    pnl,
    volume,
    fetched_at
FROM bronze_leaderboard
QUALIFY snapshot_at = max(snapshot_at) OVER (PARTITION BY dt, time_period, sort_by, category)

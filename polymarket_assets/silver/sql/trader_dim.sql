-- silver.trader_dim (incoming side of the merge): one row per wallet seen in the bronze/trades and
-- bronze/leaderboard days being loaded. Wallets are lower-cased so trades (proxy_wallet) and the
-- leaderboard (user_id) meet (bronze keeps wallets as sent: they enter trades.trade_key). Names come from
-- the newest trade / snapshot that carries one; bronze already made empty names NULL (the parsers).
WITH trades AS (
    SELECT
        lower(proxy_wallet)                                                                   AS wallet,
        arg_max(trader_name, ts) FILTER (WHERE trader_name IS NOT NULL)                        AS trader_name,
        arg_max(trader_pseudonym, ts) FILTER (WHERE trader_pseudonym IS NOT NULL)              AS trader_pseudonym,
        min(ts)                                                                               AS first_trade_at,
        max(ts)                                                                               AS last_trade_at
    FROM bronze_trades
    WHERE proxy_wallet IS NOT NULL
    GROUP BY ALL
), board AS (
    SELECT
        lower(user_id)                                                                        AS wallet,
        arg_max(user_name, snapshot_at) FILTER (WHERE user_name IS NOT NULL)                   AS leaderboard_name,
        arg_max(x_username, snapshot_at) FILTER (WHERE x_username IS NOT NULL)                 AS x_username,
        arg_max(verified, snapshot_at) FILTER (WHERE verified IS NOT NULL)                    AS verified,
        min(snapshot_at)                                                                      AS first_leaderboard_at,
        max(snapshot_at)                                                                      AS last_leaderboard_at
    FROM bronze_leaderboard
    WHERE user_id IS NOT NULL
    GROUP BY ALL
)
SELECT
    wallet,
    trades.trader_name,
    trades.trader_pseudonym,
    board.leaderboard_name,
    board.x_username,
    board.verified,
    trades.first_trade_at,
    trades.last_trade_at,
    board.last_leaderboard_at,
    least(trades.first_trade_at, board.first_leaderboard_at)    AS first_seen_at,
    greatest(trades.last_trade_at, board.last_leaderboard_at)   AS last_seen_at
FROM trades FULL OUTER JOIN board USING (wallet)

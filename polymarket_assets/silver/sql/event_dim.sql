-- silver.event_dim (incoming side of the merge): one row per event_id among the bronze/gamma_events days
-- being loaded: the newest state by (updated_at, fetched_at), with the first/last fetch that saw the event.
-- The loader MERGEs these rows into silver.event_dim (see models.py for each column's merge rule).
SELECT
    event_id, slug, ticker, title, description,
    start_date, end_date, created_at, updated_at, closed_time,
    active, closed, archived, neg_risk,
    volume, liquidity, open_interest, volume_24hr,
    series_slug, tag_ids, market_ids,
    fetched_at,
    dt                                            AS source_dt,
    min(fetched_at) OVER (PARTITION BY event_id)  AS first_seen_at,
    max(fetched_at) OVER (PARTITION BY event_id)  AS last_seen_at
FROM bronze_gamma_events
WHERE event_id IS NOT NULL
QUALIFY row_number() OVER (
    PARTITION BY event_id ORDER BY updated_at DESC NULLS LAST, fetched_at DESC, dt DESC
) = 1

-- silver.event_category (incoming side): the links of each event as of its newest snapshot among the
-- bronze/gamma_categories days being loaded ('event_tag' rows), with the first/last snapshot that had them.
-- event_category_merge.sql then replaces the stored links of every event whose incoming snapshot is at
-- least as new as the stored one.
WITH links AS (
    SELECT
        event_id,
        tag_id,
        fetched_at,
        dt,
        max(fetched_at) OVER (PARTITION BY event_id)          AS event_snapshot_at,
        min(fetched_at) OVER (PARTITION BY event_id, tag_id)  AS link_first_seen_at
    FROM bronze_gamma_categories
    WHERE record_type = 'event_tag' AND event_id IS NOT NULL AND tag_id IS NOT NULL
)
SELECT
    event_id,
    tag_id,
    max(fetched_at)          AS fetched_at,
    max(dt)                  AS source_dt,
    min(link_first_seen_at)  AS first_seen_at,
    max(fetched_at)          AS last_seen_at
FROM links
WHERE fetched_at = event_snapshot_at
GROUP BY event_id, tag_id

-- Replace the links of the events whose incoming snapshot (temp table incoming, from event_category.sql)
-- is at least as new as the stored one. Older snapshots (a backfill of an old day) change nothing.
CREATE OR REPLACE TEMP TABLE replaced_events AS
WITH inc AS (SELECT event_id, max(fetched_at) AS snapshot_at FROM incoming GROUP BY event_id),
     cur AS (SELECT event_id, max(fetched_at) AS snapshot_at FROM silver.event_category GROUP BY event_id)
SELECT inc.event_id
FROM inc LEFT JOIN cur USING (event_id)
WHERE cur.snapshot_at IS NULL OR inc.snapshot_at >= cur.snapshot_at;

CREATE OR REPLACE TEMP TABLE replaced_links AS
SELECT * FROM silver.event_category WHERE event_id IN (SELECT event_id FROM replaced_events);

DELETE FROM silver.event_category WHERE event_id IN (SELECT event_id FROM replaced_events);

INSERT INTO silver.event_category BY NAME
SELECT
    i.event_id,
    i.tag_id,
    i.fetched_at,
    i.source_dt,
    least(o.first_seen_at, i.first_seen_at)   AS first_seen_at,
    greatest(o.last_seen_at, i.last_seen_at)  AS last_seen_at
FROM incoming i
JOIN replaced_events USING (event_id)
LEFT JOIN replaced_links o USING (event_id, tag_id);

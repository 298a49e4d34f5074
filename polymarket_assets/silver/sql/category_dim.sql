-- silver.category_dim (incoming side of the merge): one row per tag_id among the bronze/gamma_categories
-- days being loaded. Both record types carry the tag's columns ('tag': a tag created that day;
-- 'event_tag': a link row repeating its tag), so a tag only ever seen through an event is still a category.
-- label/slug are read as bronze wrote them: the Gamma parser already made '' NULL (bronze/rows.py).
SELECT
    tag_id,
    label,
    slug,
    force_show,
    created_at,
    updated_at,
    fetched_at,
    dt                                          AS source_dt,
    min(fetched_at) OVER (PARTITION BY tag_id)  AS first_seen_at,
    max(fetched_at) OVER (PARTITION BY tag_id)  AS last_seen_at
FROM bronze_gamma_categories
WHERE tag_id IS NOT NULL
QUALIFY row_number() OVER (
    PARTITION BY tag_id
    ORDER BY updated_at DESC NULLS LAST, fetched_at DESC, (record_type = 'tag') DESC, dt DESC
) = 1

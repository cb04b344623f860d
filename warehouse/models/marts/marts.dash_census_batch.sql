-- 普查批次 with the district each census file was loaded for (`szcg census load --district`, recorded in the
-- load's detail; a whole-file rejection records it under options), so district users' row-level security applies.
-- Batches loaded without that record take the one district of the components they wrote, else none (全市).
WITH component_district AS (
    SELECT change_source AS batch_id, min(district_code) AS district_code
    FROM core.component
    GROUP BY change_source
    HAVING count(DISTINCT district_code) = 1
), batch AS (
    SELECT l.*, coalesce(json_extract_string(l.detail, '$.district_code'),
                         json_extract_string(l.detail, '$.options.district_code'), cd.district_code) AS district_code
    FROM landing.load l
    LEFT JOIN component_district cd ON cd.batch_id = l.batch_id
    WHERE l.target = 'core.component'
)
SELECT
    b.batch_id,
    f.original_name,
    strftime(b.loaded_at, '%Y-%m')              AS period_month,
    b.loaded_at,
    b.rows_in,
    b.rows_loaded,
    b.rows_quarantined,
    round(100.0 * b.rows_quarantined / nullif(b.rows_in, 0), 2) AS rejection_pct,
    b.district_code,
    coalesce(d.name, b.district_code, '全市')    AS district_name
FROM batch b
LEFT JOIN landing.landed_file f ON f.batch_id = b.batch_id
LEFT JOIN marts.dash_area d ON d.code = b.district_code

-- Dashboards (owner: dashboards/): monthly summaries the cockpit reads instead of all of history.
-- The cockpit's views used to aggregate every case, workflow step and call on each query (6 s at 10 M cases).
-- These tables hold the same counts per month and district (a few thousand rows whatever the history) and are
-- rebuilt in the work database by the mart builder dashboards.marts before every publish (Warehouse.publish),
-- so each snapshot carries summaries that agree with its core rows (audit dashboard_summaries_match_core).
-- Counts only: labels are joined in the views, so a renamed area or label shows without a rebuild.

CREATE TABLE marts.summary_case_month (       -- cases by month reported, district, source, kind and major class
    period_start  DATE    NOT NULL,           -- first day of the month of reported_at
    district_code VARCHAR,                    -- NULL: not placed in a district
    source        VARCHAR NOT NULL,
    kind          VARCHAR,
    major_name    VARCHAR NOT NULL,           -- the subclass's 大类 in the case's edition, '未分类' when unmapped
    reported      BIGINT  NOT NULL,
    registered    BIGINT  NOT NULL,           -- status past acceptance (立案), as marts.dash_case.is_registered
    closed        BIGINT  NOT NULL            -- status closed
);

CREATE TABLE marts.summary_step_month (       -- workflow steps that had a deadline, by month done, district, step
    period_start  DATE    NOT NULL,           -- first day of the month of occurred_at
    district_code VARCHAR,                    -- the step's district, else its case's (as marts.dash_case_step)
    step          VARCHAR NOT NULL,           -- 指挥手册 step, else the action
    on_time       BIGINT  NOT NULL,           -- deadline_met
    with_deadline BIGINT  NOT NULL            -- deadline_met IS NOT NULL
);

CREATE TABLE marts.summary_call_month (       -- 12319 hotline calls by month and district
    period_start  DATE    NOT NULL,
    district_code VARCHAR,
    calls         BIGINT  NOT NULL
);

CREATE TABLE marts.summary_grid_month (       -- cases by month reported and 单元网格
    period_start  DATE    NOT NULL,
    grid_code     VARCHAR NOT NULL,
    cases         BIGINT  NOT NULL
);

-- 要情 (same columns and meaning as before): per district and month, this month, last month and a year earlier.
CREATE OR REPLACE VIEW marts.dash_headline AS
WITH cases AS (
    SELECT district_code, period_start AS m, sum(reported) AS reported, sum(registered) AS registered,
           sum(closed) AS closed
    FROM marts.summary_case_month GROUP BY ALL
), steps AS (
    SELECT district_code, period_start AS m, sum(on_time) AS on_time, sum(with_deadline) AS with_deadline
    FROM marts.summary_step_month GROUP BY ALL
), calls AS (
    SELECT district_code, period_start AS m, sum(calls) AS calls
    FROM marts.summary_call_month GROUP BY ALL
), monthly AS (
    SELECT coalesce(c.district_code, s.district_code) AS district_code, coalesce(c.m, s.m) AS m,
           c.reported, c.registered, c.closed, s.on_time, s.with_deadline
    FROM cases c FULL JOIN steps s ON s.district_code IS NOT DISTINCT FROM c.district_code AND s.m = c.m
), monthly_all AS (
    SELECT coalesce(x.district_code, h.district_code) AS district_code, coalesce(x.m, h.m) AS m,
           x.reported, x.registered, x.closed, x.on_time, x.with_deadline, h.calls
    FROM monthly x FULL JOIN calls h ON h.district_code IS NOT DISTINCT FROM x.district_code AND h.m = x.m
    -- months after the latest reported case only hold late steps of earlier cases: not a month of their own
    WHERE coalesce(x.m, h.m) <= (SELECT max(period_start) FROM marts.summary_case_month)
), figures AS (
    SELECT district_code, m, ind.*
    FROM monthly_all,
    LATERAL (VALUES
        (1, '上报数', CAST(reported AS DOUBLE), CAST(NULL AS DOUBLE)),
        (2, '立案数', CAST(registered AS DOUBLE), NULL),
        (3, '结案数', CAST(closed AS DOUBLE), NULL),
        (4, '结案率(%)', 100.0 * closed, CAST(registered AS DOUBLE)),
        (5, '按期处置率(%)', 100.0 * on_time, CAST(with_deadline AS DOUBLE)),
        (6, '热线来电数', CAST(calls AS DOUBLE), NULL)
    ) AS ind(sort_key, indicator, num, den)
)
SELECT
    strftime(f.m, '%Y-%m')             AS period_month,
    f.m                                AS period_start,
    datediff('month', f.m, max(f.m) OVER ()) AS months_ago,
    f.district_code,
    coalesce(d.name, f.district_code, '未落区') AS district_name,
    f.sort_key,
    f.indicator,
    coalesce(f.num, 0)                 AS this_num,
    f.den                              AS this_den,
    coalesce(lm.num, 0)                AS last_month_num,
    lm.den                             AS last_month_den,
    coalesce(ly.num, 0)                AS last_year_num,
    ly.den                             AS last_year_den
FROM figures f
LEFT JOIN figures lm ON lm.district_code IS NOT DISTINCT FROM f.district_code AND lm.sort_key = f.sort_key
    AND lm.m = f.m - INTERVAL 1 MONTH
LEFT JOIN figures ly ON ly.district_code IS NOT DISTINCT FROM f.district_code AND ly.sort_key = f.sort_key
    AND ly.m = f.m - INTERVAL 12 MONTH
LEFT JOIN marts.dash_area d ON d.code = f.district_code;

-- Cases per month with the words a person reads: the cockpit's source, class and district charts.
CREATE VIEW marts.dash_case_monthly AS
SELECT
    strftime(s.period_start, '%Y-%m')                              AS period_month,
    s.period_start,
    datediff('month', s.period_start, (SELECT max(period_start) FROM marts.summary_case_month)) AS months_ago,
    s.district_code,
    coalesce(d.name, s.district_code, '未落区')                     AS district_name,
    coalesce(src.label, s.source)                                  AS source_name,
    coalesce(k.label, '未分类')                                      AS kind_name,
    s.major_name,
    s.reported,
    s.registered,
    s.closed
FROM marts.summary_case_month s
LEFT JOIN marts.dash_area d ON d.code = s.district_code
LEFT JOIN marts.dash_label src ON src.domain = 'source' AND src.code = s.source
LEFT JOIN marts.dash_label k ON k.domain = 'kind' AND k.code = s.kind;

-- 按期率 per month, district and step: the cockpit's on-time charts.
CREATE VIEW marts.dash_step_monthly AS
SELECT
    strftime(s.period_start, '%Y-%m')                              AS period_month,
    s.period_start,
    s.district_code,
    coalesce(d.name, s.district_code, '未落区')                     AS district_name,
    coalesce(lb.label, s.step)                                     AS step_name,
    lb.sort_key                                                    AS step_order,
    s.on_time,
    s.with_deadline
FROM marts.summary_step_month s
LEFT JOIN marts.dash_area d ON d.code = s.district_code
LEFT JOIN marts.dash_label lb ON lb.domain = 'step' AND lb.code = s.step;

-- Problem density per 单元网格 and month (same columns as before), from the summary.
CREATE OR REPLACE VIEW marts.dash_grid_density AS
WITH grid AS (
    SELECT grid_code, district_code, street_code, area_m2, geometry_wkt
    FROM core.grid
    QUALIFY row_number() OVER (PARTITION BY grid_code ORDER BY valid_from DESC) = 1
)
SELECT
    strftime(m.period_start, '%Y-%m') AS period_month,
    g.grid_code,
    g.district_code,
    coalesce(d.name, g.district_code) AS district_name,
    coalesce(s.name, g.street_code)   AS street_name,
    m.cases,
    round(m.cases / nullif(g.area_m2 / 10000.0, 0), 2) AS cases_per_ha,
    '[' || regexp_replace(
        regexp_extract(g.geometry_wkt, '\(\(+([^()]+)\)', 1),
        '(-?[0-9.eE+-]+)\s+(-?[0-9.eE+-]+)', '[\1,\2]', 'g'
    ) || ']' AS polygon
FROM marts.summary_grid_month m
JOIN grid g ON g.grid_code = m.grid_code
LEFT JOIN marts.dash_area d ON d.code = g.district_code
LEFT JOIN marts.dash_area s ON s.code = g.street_code;

-- Filter options (same columns as before): months from the summaries instead of min/max over every case and call.
CREATE OR REPLACE VIEW marts.dash_filter_option AS
WITH bounds AS (
    SELECT min(lo) AS lo, max(hi) AS hi FROM (
        SELECT CAST(min(period_start) AS TIMESTAMP) AS lo, CAST(max(period_start) AS TIMESTAMP) AS hi
        FROM marts.summary_case_month
        UNION ALL SELECT CAST(min(period_start) AS TIMESTAMP), CAST(max(period_start) AS TIMESTAMP)
                  FROM marts.summary_call_month
        UNION ALL SELECT min(CAST(period || '-01' AS DATE)), max(CAST(period || '-01' AS DATE))
                  FROM marts.dash_score_version
        UNION ALL SELECT min(CAST(coalesce(surveyed_on, CAST(valid_from AS DATE)) AS TIMESTAMP)),
                         max(CAST(coalesce(surveyed_on, CAST(valid_from AS DATE)) AS TIMESTAMP))
                  FROM core.component WHERE valid_to IS NULL
    )
), months AS (
    SELECT strftime(m, '%Y-%m') AS period_month
    FROM bounds, LATERAL (SELECT unnest(generate_series(CAST(date_trunc('month', lo) AS TIMESTAMP),
                                                         CAST(date_trunc('month', hi) AS TIMESTAMP),
                                                         INTERVAL 1 MONTH)) AS m)
    WHERE lo IS NOT NULL
)
SELECT m.period_month, d.code AS district_code, d.name AS district_name
FROM months m
CROSS JOIN (SELECT code, name FROM marts.dash_area WHERE level IN ('district', 'management_area')) d;

-- 普查批次 with the district each census file was loaded for (`szcg census load --district`, recorded in the
-- load's detail; a whole-file rejection records it under options), so district users' row-level security applies.
-- Batches loaded without that record take the one district of the components they wrote, else none (全市).
CREATE OR REPLACE VIEW marts.dash_census_batch AS
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
LEFT JOIN marts.dash_area d ON d.code = b.district_code;

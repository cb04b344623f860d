-- Dashboards' filter options: months from the summaries (not min/max over every case and call) × districts.
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
CROSS JOIN (SELECT code, name FROM marts.dash_area WHERE level IN ('district', 'management_area')) d

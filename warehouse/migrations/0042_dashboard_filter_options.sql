-- Dashboards (owner: dashboards/): the options of the period and district filters, cheap to list.
-- Listing the distinct months of marts.dash_case would join every case to its labels; this view spans the months
-- between the first and the last case (plus scorecard and hotline months) and crosses them with the districts.
CREATE VIEW marts.dash_filter_option AS
WITH bounds AS (
    SELECT min(lo) AS lo, max(hi) AS hi FROM (
        SELECT min(reported_at) AS lo, max(reported_at) AS hi FROM core."case"
        UNION ALL SELECT min(called_at), max(called_at) FROM core.hotline_call
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

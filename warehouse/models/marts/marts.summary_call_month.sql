-- materialized: table
-- 12319 hotline calls by month and district.
-- Rebuilt from core before every publish by the mart builder dashboards.marts (table: migration 0043).
SELECT CAST(date_trunc('month', called_at) AS DATE), district_code, count(*)
FROM core.hotline_call GROUP BY ALL

-- materialized: table
-- Cases by month reported and 单元网格.
-- Rebuilt from core before every publish by the mart builder dashboards.marts (table: migration 0043).
SELECT CAST(date_trunc('month', reported_at) AS DATE), grid_code, count(*)
FROM core."case" WHERE grid_code IS NOT NULL GROUP BY ALL

-- materialized: table
-- Cases by month, district, source, kind and 大类 (the subclass's major class in the case's edition, '未分类' when
-- unmapped): reported (in the month reported), registered (in the month of their first 立案: marts.case_registration,
-- the one meaning of 立案 the evaluation and the monthly report share) and closed (status closed, in the month
-- reported). Rebuilt from core before every publish by the mart builder dashboards.marts (table: migration 0043),
-- after marts.case_registration.
WITH c AS (
    SELECT c.reported_at, r.registered_at, c.district_code, c.source, c.kind, c.status,
           coalesce(sc.major_name, '未分类') AS major_name
    FROM core."case" c
    LEFT JOIN core.subclass sc ON sc.edition = c.edition AND sc.kind = c.kind AND sc.code = c.subclass_code
    LEFT JOIN marts.case_registration r ON r.case_id = c.case_id
), by_month AS (
    SELECT CAST(date_trunc('month', reported_at) AS DATE) AS m, district_code, source, kind, major_name,
           count(*) AS reported, 0 AS registered, count(*) FILTER (WHERE status = 'closed') AS closed
    FROM c GROUP BY ALL
    UNION ALL
    SELECT CAST(date_trunc('month', registered_at) AS DATE), district_code, source, kind, major_name, 0, count(*), 0
    FROM c WHERE registered_at IS NOT NULL GROUP BY ALL
)
SELECT m, district_code, source, kind, major_name, sum(reported), sum(registered), sum(closed)
FROM by_month
GROUP BY ALL

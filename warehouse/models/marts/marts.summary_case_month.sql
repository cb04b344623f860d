-- materialized: table
-- Cases by month reported, district, source, kind and 大类 (the subclass's major class in the case's edition,
-- '未分类' when unmapped): reported, registered (status past 立案, as marts.dash_case.is_registered), closed.
-- Rebuilt from core before every publish by the mart builder dashboards.marts (table: migration 0043).
SELECT CAST(date_trunc('month', c.reported_at) AS DATE), c.district_code, c.source, c.kind,
       coalesce(sc.major_name, '未分类'), count(*),
       count(*) FILTER (WHERE c.status NOT IN {{ unregistered_states | sql_list }}),
       count(*) FILTER (WHERE c.status = 'closed')
FROM core."case" c
LEFT JOIN core.subclass sc ON sc.edition = c.edition AND sc.kind = c.kind AND sc.code = c.subclass_code
GROUP BY ALL

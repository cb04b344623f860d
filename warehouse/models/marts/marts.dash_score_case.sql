-- The cases behind every score (drill-down): one row per case and indicator it counted in.
SELECT
    sc.period_month,
    sc.object_name,
    sc.level_name,
    sc.entity_name,
    coalesce(iv.label, sl.indicator)                           AS indicator_label,
    CASE WHEN sl.role = 'numerator' THEN '计入分子' ELSE '计入分母' END AS counted_as,
    c.case_number,
    c.reported_at,
    c.closed_at,
    c.status_name,
    c.subclass_name,
    c.department_name,
    c.street_name,
    c.district_code,
    c.district_name
FROM marts.score_lineage sl
JOIN marts.dash_score sc ON sc.period_month = sl.period AND sc.version = sl.version AND sc.object = sl.object AND sc.level = sl.level
    AND sc.entity_code = sl.entity_code
LEFT JOIN marts.indicator_value iv ON iv.period = sl.period AND iv.version = sl.version AND iv.object = sl.object
    AND iv.level = sl.level AND iv.entity_code = sl.entity_code AND iv.indicator = sl.indicator
JOIN marts.dash_case c ON c.case_id = sl.case_id

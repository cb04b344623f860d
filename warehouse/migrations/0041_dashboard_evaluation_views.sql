-- Dashboards (owner: dashboards/): 综合评价 as computed by transforms/evaluation (marts.scorecard, marts.score,
-- marts.indicator_value, marts.score_lineage). Each month shows its latest published version, or the draft
-- (version 0) while nothing is published. Only month periods ('YYYY-MM') appear on the dashboard.

CREATE VIEW marts.dash_score_version AS
SELECT period, coalesce(max(version) FILTER (WHERE status = 'published'), 0) AS version
FROM marts.scorecard
WHERE regexp_full_match(period, '[0-9]{4}-[0-9]{2}')
GROUP BY period;

-- A score without entity_name shows the area's, department's or person's name from the core dimensions.
CREATE VIEW marts.dash_score AS
SELECT
    s.period                                                   AS period_month,
    CAST(s.period || '-01' AS DATE)                            AS period_start,
    datediff('month', CAST(s.period || '-01' AS DATE),
             (SELECT CAST(max(period) || '-01' AS DATE) FROM marts.dash_score_version)) AS months_ago,
    s.version,
    CASE WHEN s.version = 0 THEN '草稿' ELSE '已发布第' || s.version || '版' END AS version_name,
    s.object,
    coalesce(o.label, s.object)                                AS object_name,
    s.level,
    coalesce(lv.label, s.level)                                AS level_name,
    s.entity_code,
    coalesce(s.entity_name, ea.name, dep.name, stf.name, s.entity_code) AS entity_name,
    CASE WHEN s.object = 'region' THEN substr(s.entity_code, 1, 6)
         WHEN s.object = 'department' THEN dep.district_code
         ELSE stf.district_code END                            AS district_code,
    coalesce(d.name, CASE WHEN s.object = 'region' THEN substr(s.entity_code, 1, 6)
                          WHEN s.object = 'department' THEN dep.district_code
                          ELSE stf.district_code END, '市级') AS district_name,
    s.total_score,
    s.grade,
    s.colour,
    s.rank,
    CASE WHEN s.ranked THEN 1 ELSE 0 END                       AS is_ranked,
    s.sample_size,
    s.mom_score,
    s.yoy_score,
    s.total_score - s.mom_score                                AS mom_change
FROM marts.score s
JOIN marts.dash_score_version v ON v.period = s.period AND v.version = s.version
LEFT JOIN core.department dep ON s.object = 'department' AND dep.code = s.entity_code
LEFT JOIN core.staff stf ON s.object NOT IN ('region', 'department') AND stf.staff_id = s.entity_code
LEFT JOIN marts.dash_area d ON d.code = CASE WHEN s.object = 'region' THEN substr(s.entity_code, 1, 6)
                                             WHEN s.object = 'department' THEN dep.district_code
                                             ELSE stf.district_code END
LEFT JOIN marts.dash_area ea ON s.object = 'region' AND ea.code = s.entity_code
LEFT JOIN marts.dash_label o ON o.domain = 'object' AND o.code = s.object
LEFT JOIN marts.dash_label lv ON lv.domain = 'level' AND lv.code = s.level;

-- The cases behind every score (drill-down): one row per case and indicator it counted in.
CREATE VIEW marts.dash_score_case AS
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
JOIN marts.dash_case c ON c.case_id = sl.case_id;

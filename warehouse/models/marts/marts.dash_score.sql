-- The 综合评价 dashboard: mom_score / yoy_score are the previous month's / last year's total
-- (latest published), mom_change the change — from marts.score_change, whatever order months were published in.
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
    c.mom_total_score                                          AS mom_score,
    c.yoy_total_score                                          AS yoy_score,
    c.mom_change                                               AS mom_change
FROM marts.score s
JOIN marts.dash_score_version v ON v.period = s.period AND v.version = s.version
LEFT JOIN marts.score_change c ON c.period = s.period AND c.version = s.version AND c.object = s.object
    AND c.level = s.level AND c.entity_code = s.entity_code
LEFT JOIN core.department dep ON s.object = 'department' AND dep.code = s.entity_code
LEFT JOIN core.staff stf ON s.object NOT IN ('region', 'department') AND stf.staff_id = s.entity_code
LEFT JOIN marts.dash_area d ON d.code = CASE WHEN s.object = 'region' THEN substr(s.entity_code, 1, 6)
                                             WHEN s.object = 'department' THEN dep.district_code
                                             ELSE stf.district_code END
LEFT JOIN marts.dash_area ea ON s.object = 'region' AND ea.code = s.entity_code
LEFT JOIN marts.dash_label o ON o.domain = 'object' AND o.code = s.object
LEFT JOIN marts.dash_label lv ON lv.domain = 'level' AND lv.code = s.level

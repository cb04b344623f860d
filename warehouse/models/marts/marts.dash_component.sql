-- 部件普查: the current version of every component.
SELECT
    c.component_id,
    strftime(coalesce(c.surveyed_on, CAST(c.valid_from AS DATE)), '%Y-%m') AS period_month,
    c.district_code,
    coalesce(d.name, c.district_code)                 AS district_name,
    c.grid_code,
    coalesce(sc.major_name, '未分类')                  AS major_name,
    coalesce(sc.name, c.subclass_code)                AS subclass_name,
    coalesce(st.label, c.state)                       AS state_name,
    CASE WHEN c.state = 'intact' THEN 1 ELSE 0 END    AS is_intact,
    coalesce(dep.name, c.owner_department_code, '未明确') AS owner_department_name,
    c.change_source
FROM core.component c
LEFT JOIN marts.dash_area d ON d.code = c.district_code
LEFT JOIN core.subclass sc ON sc.edition = c.edition AND sc.kind = 'component' AND sc.code = c.subclass_code
LEFT JOIN marts.dash_label st ON st.domain = 'component_state' AND st.code = c.state
LEFT JOIN core.department dep ON dep.code = c.owner_department_code
WHERE c.valid_to IS NULL

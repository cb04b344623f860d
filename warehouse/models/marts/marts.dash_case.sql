-- One row per case with the words a person reads; the grain of every case count and of the drill-downs.
SELECT
    c.case_id,
    c.origin_case_id                                              AS case_number,
    strftime(c.reported_at, '%Y-%m')                              AS period_month,
    CAST(date_trunc('month', c.reported_at) AS DATE)              AS period_start,
    datediff('month', c.reported_at, (SELECT max(reported_at) FROM core."case")) AS months_ago,
    c.reported_at,
    c.closed_at,
    c.district_code,
    coalesce(d.name, c.district_code, '未落区')                    AS district_name,
    c.street_code,
    coalesce(s.name, c.street_code, '未落街道')                     AS street_name,
    c.grid_code,
    c.department_code,
    coalesce(dep.name, c.department_code, '未派遣')                 AS department_name,
    coalesce(src.label, c.source)                                 AS source_name,
    coalesce(k.label, '未分类')                                     AS kind_name,
    coalesce(sc.major_name, '未分类')                               AS major_name,
    coalesce(sc.name, c.subclass_code, '未分类')                    AS subclass_name,
    coalesce(st.label, c.status)                                  AS status_name,
    coalesce(hc.label, c.handling_class, '未定')                    AS handling_class_name,
    r.registered_at IS NOT NULL                                   AS is_registered,  -- marts.case_registration
    c.status = 'closed'                                           AS is_closed,
    c.description,
    r.registered_at,
    strftime(r.registered_at, '%Y-%m')                            AS registered_month
FROM core."case" c
LEFT JOIN marts.case_registration r ON r.case_id = c.case_id
LEFT JOIN marts.dash_area d ON d.code = c.district_code
LEFT JOIN marts.dash_area s ON s.code = c.street_code
LEFT JOIN core.department dep ON dep.code = c.department_code
LEFT JOIN core.subclass sc ON sc.edition = c.edition AND sc.kind = c.kind AND sc.code = c.subclass_code
LEFT JOIN marts.dash_label src ON src.domain = 'source' AND src.code = c.source
LEFT JOIN marts.dash_label k ON k.domain = 'kind' AND k.code = c.kind
LEFT JOIN marts.dash_label st ON st.domain = 'status' AND st.code = c.status
LEFT JOIN marts.dash_label hc ON hc.domain = 'handling_class' AND hc.code = c.handling_class

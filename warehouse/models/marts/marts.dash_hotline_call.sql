-- 热线: one row per call.
SELECT
    h.call_id,
    strftime(h.called_at, '%Y-%m')                    AS period_month,
    CAST(date_trunc('month', h.called_at) AS DATE)    AS period_start,
    datediff('month', h.called_at, (SELECT max(called_at) FROM core.hotline_call)) AS months_ago,
    h.called_at,
    h.district_code,
    coalesce(d.name, h.district_code, '未落区')        AS district_name,
    coalesce(h.category, '未分类')                     AS category,
    coalesce(sat.label, h.satisfaction, '未回访')       AS satisfaction_name,
    CASE WHEN h.satisfaction IN {{ satisfied | sql_list }} THEN 1
         WHEN h.satisfaction = 'dissatisfied' THEN 0 END AS is_satisfied,
    CASE WHEN h.is_repeat THEN 1 ELSE 0 END           AS is_repeat,
    h.caller_hash,
    coalesce(h.caller_masked, '(未留号码)')             AS caller_masked,
    h.case_id,
    CASE WHEN h.case_id IS NOT NULL THEN 1 ELSE 0 END AS has_case
FROM core.hotline_call h
LEFT JOIN marts.dash_area d ON d.code = h.district_code
LEFT JOIN marts.dash_label sat ON sat.domain = 'satisfaction' AND sat.code = h.satisfaction

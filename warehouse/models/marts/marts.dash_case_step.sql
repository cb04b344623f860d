-- One row per workflow step that had a deadline (按期率 = share of steps done by their 指挥手册 deadline).
-- Steps that do not record their district (cases imported from the synthetic city or legacy systems) take their
-- case's district, so 按期率 per district and the districts' row-level security see them.
SELECT
    e.case_id,
    strftime(e.occurred_at, '%Y-%m')                              AS period_month,
    CAST(date_trunc('month', e.occurred_at) AS DATE)              AS period_start,
    coalesce(e.district_code, c.district_code)                    AS district_code,
    coalesce(d.name, e.district_code, c.district_code, '未落区')   AS district_name,
    coalesce(dep.name, e.department_code, '—')                    AS department_name,
    coalesce(lb.label, e.step, e.action)                          AS step_name,
    lb.sort_key                                                   AS step_order,
    e.deadline_met,
    CASE WHEN e.deadline_met THEN 1 ELSE 0 END                    AS on_time,
    e.overdue_multiple
FROM core.case_event e
LEFT JOIN core."case" c ON c.case_id = e.case_id
LEFT JOIN marts.dash_area d ON d.code = coalesce(e.district_code, c.district_code)
LEFT JOIN core.department dep ON dep.code = e.department_code
LEFT JOIN marts.dash_label lb ON lb.domain = 'step' AND lb.code = coalesce(e.step, e.action)
WHERE e.deadline_met IS NOT NULL

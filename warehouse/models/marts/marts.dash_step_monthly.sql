-- 按期率 per month, district and step: the cockpit's on-time charts.
SELECT
    strftime(s.period_start, '%Y-%m')                              AS period_month,
    s.period_start,
    s.district_code,
    coalesce(d.name, s.district_code, '未落区')                     AS district_name,
    coalesce(lb.label, s.step)                                     AS step_name,
    lb.sort_key                                                    AS step_order,
    s.on_time,
    s.with_deadline
FROM marts.summary_step_month s
LEFT JOIN marts.dash_area d ON d.code = s.district_code
LEFT JOIN marts.dash_label lb ON lb.domain = 'step' AND lb.code = s.step

-- Dashboards (owner: dashboards/): steps that do not record their district (e.g. cases imported from the synthetic
-- city or legacy systems) take their case's district, so 按期率 per district and the district row-level security
-- see them; labels for the approval steps that carry deadlines.
INSERT INTO marts.dash_label VALUES
    ('step', 'send_verify', '派发核实', 9), ('step', 'extend', '延期审批', 10), ('step', 'return', '回退审批', 11),
    ('step', 'shelve', '挂账审批', 12), ('step', 'void', '作废审批', 13), ('step', 'rework', '返工', 14);

CREATE OR REPLACE VIEW marts.dash_case_step AS
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
WHERE e.deadline_met IS NOT NULL;

CREATE OR REPLACE VIEW marts.dash_headline AS
WITH cases AS (
    SELECT district_code, CAST(date_trunc('month', reported_at) AS DATE) AS m,
           count(*) AS reported,
           count(*) FILTER (WHERE status NOT IN ('reported', 'verifying', 'accepted', 'rejected')) AS registered,
           count(*) FILTER (WHERE status = 'closed') AS closed
    FROM core."case" GROUP BY ALL
), steps AS (
    SELECT coalesce(e.district_code, c.district_code) AS district_code,
           CAST(date_trunc('month', e.occurred_at) AS DATE) AS m,
           count(*) FILTER (WHERE e.deadline_met) AS on_time, count(*) AS with_deadline
    FROM core.case_event e LEFT JOIN core."case" c ON c.case_id = e.case_id
    WHERE e.deadline_met IS NOT NULL GROUP BY ALL
), calls AS (
    SELECT district_code, CAST(date_trunc('month', called_at) AS DATE) AS m, count(*) AS calls
    FROM core.hotline_call GROUP BY ALL
), monthly AS (
    SELECT coalesce(c.district_code, s.district_code) AS district_code, coalesce(c.m, s.m) AS m,
           c.reported, c.registered, c.closed, s.on_time, s.with_deadline
    FROM cases c FULL JOIN steps s ON s.district_code IS NOT DISTINCT FROM c.district_code AND s.m = c.m
), monthly_all AS (
    SELECT coalesce(x.district_code, h.district_code) AS district_code, coalesce(x.m, h.m) AS m,
           x.reported, x.registered, x.closed, x.on_time, x.with_deadline, h.calls
    FROM monthly x FULL JOIN calls h ON h.district_code IS NOT DISTINCT FROM x.district_code AND h.m = x.m
    -- months after the latest reported case only hold late steps of earlier cases: not a month of their own
    WHERE coalesce(x.m, h.m) <= (SELECT max(reported_at) FROM core."case")
), figures AS (
    SELECT district_code, m, ind.*
    FROM monthly_all,
    LATERAL (VALUES
        (1, '上报数', CAST(reported AS DOUBLE), CAST(NULL AS DOUBLE)),
        (2, '立案数', CAST(registered AS DOUBLE), NULL),
        (3, '结案数', CAST(closed AS DOUBLE), NULL),
        (4, '结案率(%)', 100.0 * closed, CAST(registered AS DOUBLE)),
        (5, '按期处置率(%)', 100.0 * on_time, CAST(with_deadline AS DOUBLE)),
        (6, '热线来电数', CAST(calls AS DOUBLE), NULL)
    ) AS ind(sort_key, indicator, num, den)
)
SELECT
    strftime(f.m, '%Y-%m')             AS period_month,
    f.m                                AS period_start,
    datediff('month', f.m, max(f.m) OVER ()) AS months_ago,
    f.district_code,
    coalesce(d.name, f.district_code, '未落区') AS district_name,
    f.sort_key,
    f.indicator,
    coalesce(f.num, 0)                 AS this_num,
    f.den                              AS this_den,
    coalesce(lm.num, 0)                AS last_month_num,
    lm.den                             AS last_month_den,
    coalesce(ly.num, 0)                AS last_year_num,
    ly.den                             AS last_year_den
FROM figures f
LEFT JOIN figures lm ON lm.district_code IS NOT DISTINCT FROM f.district_code AND lm.sort_key = f.sort_key
    AND lm.m = f.m - INTERVAL 1 MONTH
LEFT JOIN figures ly ON ly.district_code IS NOT DISTINCT FROM f.district_code AND ly.sort_key = f.sort_key
    AND ly.m = f.m - INTERVAL 12 MONTH
LEFT JOIN marts.dash_area d ON d.code = f.district_code;

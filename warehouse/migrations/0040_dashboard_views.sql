-- Dashboards (owner: dashboards/): the views Superset's datasets read, and the Chinese labels they show.
-- Every view carries period_month ('YYYY-MM'), district_code and district_name, so the dashboards' period and
-- district filters and the per-district row-level security (district_code = '…') apply to all of them.
-- Views only: they read core/marts at query time, so a publish changes what every chart shows.

CREATE TABLE marts.dash_label (            -- the words a dashboard shows for a code of the core vocabulary
    domain   VARCHAR NOT NULL,             -- source, kind, status, component_state, satisfaction, step, …
    code     VARCHAR NOT NULL,
    label    VARCHAR NOT NULL,
    sort_key INTEGER NOT NULL,
    PRIMARY KEY (domain, code)
);
INSERT INTO marts.dash_label VALUES
    ('source', 'supervisor', '监督员上报', 1), ('source', 'hotline', '12319热线', 2), ('source', 'public', '公众举报', 3),
    ('source', 'video', '视频监控', 4), ('source', 'leader', '领导交办', 5), ('source', 'other', '其他', 6),
    ('kind', 'component', '部件', 1), ('kind', 'event', '事件', 2),
    ('status', 'reported', '待受理', 1), ('status', 'verifying', '核实中', 2), ('status', 'accepted', '待立案', 3),
    ('status', 'registered', '待派遣', 4), ('status', 'dispatched', '已派遣', 5), ('status', 'handling', '处置中', 6),
    ('status', 'handled', '待核查', 7), ('status', 'checked', '待结案', 8), ('status', 'closed', '已结案', 9),
    ('status', 'rejected', '不予立案', 10), ('status', 'return_requested', '申请回退', 11),
    ('status', 'extension_requested', '申请延期', 12), ('status', 'shelve_requested', '申请挂账', 13),
    ('status', 'shelved', '已挂账', 14), ('status', 'void_requested', '申请作废', 15), ('status', 'voided', '已作废', 16),
    ('handling_class', 'urgent', '紧急', 1), ('handling_class', 'normal', '一般', 2),
    ('handling_class', 'engineering', '工程类', 3),
    ('component_state', 'intact', '完好', 1), ('component_state', 'damaged', '破损', 2),
    ('component_state', 'missing', '丢失', 3), ('component_state', 'occupied', '占用', 4),
    ('satisfaction', 'satisfied', '满意', 1), ('satisfaction', 'basically_satisfied', '基本满意', 2),
    ('satisfaction', 'dissatisfied', '不满意', 3), ('satisfaction', 'unreached', '未回访', 4),
    ('step', 'accept', '受理', 1), ('step', 'verify', '核实', 2), ('step', 'register', '立案', 3),
    ('step', 'dispatch', '派遣', 4), ('step', 'handle', '处置', 5), ('step', 'feedback', '反馈', 6),
    ('step', 'check', '核查', 7), ('step', 'close', '结案', 8),
    ('object', 'region', '区域评价', 1), ('object', 'department', '专业部门评价', 2),
    ('object', 'supervisor', '监督员', 3), ('object', 'operator', '受理员', 4),
    ('object', 'shift_leader', '值班长', 5), ('object', 'dispatcher', '派遣员', 6),
    ('level', 'city', '全市', 1), ('level', 'district', '区县', 2), ('level', 'street', '街道', 3),
    ('level', 'community', '社区', 4), ('level', 'grid', '网格', 5), ('level', 'department', '部门', 6),
    ('level', 'supervisor', '监督员', 7), ('level', 'operator', '受理员', 8), ('level', 'shift_leader', '值班长', 9),
    ('level', 'dispatcher', '派遣员', 10),
('step', 'send_verify', '派发核实', 9), ('step', 'extend', '延期审批', 10), ('step', 'return', '回退审批', 11),
    ('step', 'shelve', '挂账审批', 12), ('step', 'void', '作废审批', 13), ('step', 'rework', '返工', 14);

-- Current name of every admin area (the latest version).
CREATE VIEW marts.dash_area AS
SELECT code, name, level, parent_code
FROM core.admin_area
QUALIFY row_number() OVER (PARTITION BY code ORDER BY valid_from DESC) = 1;

-- One row per case with the words a person reads; the grain of every case count and of the drill-downs.
CREATE VIEW marts.dash_case AS
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
    c.status NOT IN ('reported', 'verifying', 'accepted', 'rejected') AS is_registered,
    c.status = 'closed'                                           AS is_closed,
    c.description
FROM core."case" c
LEFT JOIN marts.dash_area d ON d.code = c.district_code
LEFT JOIN marts.dash_area s ON s.code = c.street_code
LEFT JOIN core.department dep ON dep.code = c.department_code
LEFT JOIN core.subclass sc ON sc.edition = c.edition AND sc.kind = c.kind AND sc.code = c.subclass_code
LEFT JOIN marts.dash_label src ON src.domain = 'source' AND src.code = c.source
LEFT JOIN marts.dash_label k ON k.domain = 'kind' AND k.code = c.kind
LEFT JOIN marts.dash_label st ON st.domain = 'status' AND st.code = c.status
LEFT JOIN marts.dash_label hc ON hc.domain = 'handling_class' AND hc.code = c.handling_class;

-- One row per workflow step that had a deadline (按期率 = share of steps done by their 指挥手册 deadline).
-- Steps that do not record their district (cases imported from the synthetic city or legacy systems) take their
-- case's district, so 按期率 per district and the districts' row-level security see them.
CREATE VIEW marts.dash_case_step AS
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

-- Headline figures per district and month with the same figure last month (环比) and a year earlier (同比).
-- Counts have den NULL; rates carry numerator and denominator so they add up correctly across districts.
CREATE VIEW marts.dash_headline AS
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

-- Problem density per 单元网格 and month, with the grid's outer ring as a JSON array of [lon, lat] for deck.gl.
CREATE VIEW marts.dash_grid_density AS
WITH grid AS (
    SELECT grid_code, district_code, street_code, area_m2, geometry_wkt
    FROM core.grid
    QUALIFY row_number() OVER (PARTITION BY grid_code ORDER BY valid_from DESC) = 1
), monthly AS (
    SELECT grid_code, strftime(reported_at, '%Y-%m') AS period_month, count(*) AS cases
    FROM core."case" WHERE grid_code IS NOT NULL GROUP BY ALL
)
SELECT
    m.period_month,
    g.grid_code,
    g.district_code,
    coalesce(d.name, g.district_code) AS district_name,
    coalesce(s.name, g.street_code)   AS street_name,
    m.cases,
    round(m.cases / nullif(g.area_m2 / 10000.0, 0), 2) AS cases_per_ha,
    '[' || regexp_replace(
        regexp_extract(g.geometry_wkt, '\(\(+([^()]+)\)', 1),
        '(-?[0-9.eE+-]+)\s+(-?[0-9.eE+-]+)', '[\1,\2]', 'g'
    ) || ']' AS polygon
FROM monthly m
JOIN grid g ON g.grid_code = m.grid_code
LEFT JOIN marts.dash_area d ON d.code = g.district_code
LEFT JOIN marts.dash_area s ON s.code = g.street_code;

-- 热线: one row per call.
CREATE VIEW marts.dash_hotline_call AS
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
    CASE WHEN h.satisfaction IN ('satisfied', 'basically_satisfied') THEN 1
         WHEN h.satisfaction = 'dissatisfied' THEN 0 END AS is_satisfied,
    CASE WHEN h.is_repeat THEN 1 ELSE 0 END           AS is_repeat,
    h.caller_hash,
    coalesce(h.caller_masked, '(未留号码)')             AS caller_masked,
    h.case_id,
    CASE WHEN h.case_id IS NOT NULL THEN 1 ELSE 0 END AS has_case
FROM core.hotline_call h
LEFT JOIN marts.dash_area d ON d.code = h.district_code
LEFT JOIN marts.dash_label sat ON sat.domain = 'satisfaction' AND sat.code = h.satisfaction;

-- 部件普查: the current version of every component.
CREATE VIEW marts.dash_component AS
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
WHERE c.valid_to IS NULL;

-- 普查覆盖率: share of each district's unit grids that hold at least one surveyed component.
CREATE VIEW marts.dash_census_coverage AS
WITH grid AS (
    SELECT grid_code, district_code FROM core.grid
    QUALIFY row_number() OVER (PARTITION BY grid_code ORDER BY valid_from DESC) = 1
), covered AS (
    SELECT DISTINCT grid_code FROM core.component WHERE valid_to IS NULL AND grid_code IS NOT NULL
)
SELECT
    g.district_code,
    coalesce(d.name, g.district_code)           AS district_name,
    count(*)                                    AS grids,
    count(cv.grid_code)                         AS grids_covered
FROM grid g
LEFT JOIN covered cv ON cv.grid_code = g.grid_code
LEFT JOIN marts.dash_area d ON d.code = g.district_code
GROUP BY ALL;

-- 普查批次: every census load with its row accounting (city-wide files: no district).
CREATE VIEW marts.dash_census_batch AS
SELECT
    l.batch_id,
    f.original_name,
    strftime(l.loaded_at, '%Y-%m')              AS period_month,
    l.loaded_at,
    l.rows_in,
    l.rows_loaded,
    l.rows_quarantined,
    round(100.0 * l.rows_quarantined / nullif(l.rows_in, 0), 2) AS rejection_pct
FROM landing.load l
LEFT JOIN landing.landed_file f ON f.batch_id = l.batch_id
WHERE l.target = 'core.component';

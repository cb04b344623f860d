-- 要情. 上报数 and 热线来电数 are counted from the monthly summaries (month reported / called).
-- 立案数, 结案数, 结案率(%) and 按期处置率(%) are the scorecard's own figures of the district (综合评价, region at
-- district level, the version the 综合评价 dashboard shows: latest published, else the draft), so the cockpit and
-- the scorecard never disagree: 立案数 = cases first registered in the month (作废 before 立案 is not 立案),
-- 结案率 = 结案 ÷ 应结案, 按期处置率 = 按期处置 (every 反馈 within the 处置 limit) ÷ 应处置 (dispatched, not 作废/挂账).
-- A month without a scorecard has no such figure (NULL), not 0; a rate without a sample is NULL too.
WITH cases AS (
    SELECT district_code, period_start AS m, sum(reported) AS reported
    FROM marts.summary_case_month GROUP BY ALL
), calls AS (
    SELECT district_code, period_start AS m, sum(calls) AS calls
    FROM marts.summary_call_month GROUP BY ALL
), scored AS (
    SELECT iv.entity_code AS district_code, CAST(iv.period || '-01' AS DATE) AS m,
           max(iv.numerator) FILTER (WHERE iv.indicator = 'registered') AS registered,
           max(iv.numerator) FILTER (WHERE iv.indicator = 'close_rate') AS closed,
           max(iv.denominator) FILTER (WHERE iv.indicator = 'close_rate') AS due,
           max(iv.numerator) FILTER (WHERE iv.indicator = 'on_time_handle_rate') AS handled_on_time,
           max(iv.denominator) FILTER (WHERE iv.indicator = 'on_time_handle_rate') AS to_handle
    FROM marts.indicator_value iv
    JOIN marts.dash_score_version v ON v.period = iv.period AND v.version = iv.version
    WHERE iv.object = 'region' AND iv.level = 'district'
      AND iv.indicator IN ('registered', 'close_rate', 'on_time_handle_rate')
    GROUP BY ALL
), monthly AS (
    SELECT coalesce(c.district_code, h.district_code) AS district_code, coalesce(c.m, h.m) AS m, c.reported, h.calls
    FROM cases c FULL JOIN calls h ON h.district_code IS NOT DISTINCT FROM c.district_code AND h.m = c.m
), monthly_all AS (
    SELECT coalesce(x.district_code, s.district_code) AS district_code, coalesce(x.m, s.m) AS m,
           x.reported, x.calls, s.registered, s.closed, s.due, s.handled_on_time, s.to_handle
    FROM monthly x FULL JOIN scored s ON s.district_code IS NOT DISTINCT FROM x.district_code AND s.m = x.m
    -- months after the latest reported case only hold late events of earlier cases: not a month of their own
    WHERE coalesce(x.m, s.m) <= (SELECT max(period_start) FROM marts.summary_case_month)
), scored_month AS (  -- a district without a scorecard row in a scored month registered nothing
    SELECT DISTINCT CAST(period || '-01' AS DATE) AS m FROM marts.dash_score_version
    WHERE regexp_full_match(period, '[0-9]{4}-[0-9]{2}')
), figures AS (
    SELECT district_code, m, ind.*
    FROM (SELECT a.*, sm.m IS NOT NULL AS scored FROM monthly_all a LEFT JOIN scored_month sm USING (m)),
    LATERAL (VALUES
        (1, '上报数', CAST(coalesce(reported, 0) AS DOUBLE), CAST(NULL AS DOUBLE)),
        (2, '立案数', CASE WHEN scored THEN coalesce(registered, 0) END, NULL),
        (3, '结案数', CASE WHEN scored THEN coalesce(closed, 0) END, NULL),
        (4, '结案率(%)', 100.0 * closed, due),
        (5, '按期处置率(%)', 100.0 * handled_on_time, to_handle),
        (6, '热线来电数', CAST(coalesce(calls, 0) AS DOUBLE), NULL)
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
    f.num                              AS this_num,
    f.den                              AS this_den,
    CASE WHEN f.sort_key IN (1, 6) THEN coalesce(lm.num, 0) ELSE lm.num END AS last_month_num,
    lm.den                             AS last_month_den,
    CASE WHEN f.sort_key IN (1, 6) THEN coalesce(ly.num, 0) ELSE ly.num END AS last_year_num,
    ly.den                             AS last_year_den
FROM figures f
LEFT JOIN figures lm ON lm.district_code IS NOT DISTINCT FROM f.district_code AND lm.sort_key = f.sort_key
    AND lm.m = f.m - INTERVAL 1 MONTH
LEFT JOIN figures ly ON ly.district_code IS NOT DISTINCT FROM f.district_code AND ly.sort_key = f.sort_key
    AND ly.m = f.m - INTERVAL 12 MONTH
LEFT JOIN marts.dash_area d ON d.code = f.district_code

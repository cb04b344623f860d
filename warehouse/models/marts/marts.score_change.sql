-- 环比/同比 of every scorecard version: its total against the latest published version of the previous month and
-- of the same month a year earlier, as they stand now. Derived, not stored: a month published before its
-- predecessor gets its 环比 once the predecessor is published, and a re-issued predecessor moves it. (The
-- mom_score/yoy_score columns of marts.score are no longer written; versions published earlier keep theirs frozen.)
-- Only month periods ('YYYY-MM') have a previous month.
WITH published AS (
    SELECT s.period, s.object, s.level, s.entity_code, s.total_score
    FROM marts.score s
    JOIN (SELECT period, max(version) AS version FROM marts.scorecard WHERE status = 'published' GROUP BY period) v
        ON v.period = s.period AND v.version = s.version
), months AS (
    SELECT s.*, CASE WHEN regexp_full_match(s.period, '[0-9]{4}-[0-9]{2}')
                     THEN try_cast(s.period || '-01' AS DATE) END AS period_start
    FROM marts.score s
)
SELECT
    s.period,
    s.version,
    s.object,
    s.level,
    s.entity_code,
    s.total_score,
    m.total_score                           AS mom_total_score,   -- previous month, latest published version
    round(s.total_score - m.total_score, 2) AS mom_change,        -- 环比变化 (points)
    y.total_score                           AS yoy_total_score,   -- same month last year, latest published
    round(s.total_score - y.total_score, 2) AS yoy_change         -- 同比变化 (points)
FROM months s
LEFT JOIN published m ON m.period = strftime(s.period_start - INTERVAL 1 MONTH, '%Y-%m') AND m.object = s.object
    AND m.level = s.level AND m.entity_code = s.entity_code
LEFT JOIN published y ON y.period = strftime(s.period_start - INTERVAL 12 MONTH, '%Y-%m') AND y.object = s.object
    AND y.level = s.level AND y.entity_code = s.entity_code

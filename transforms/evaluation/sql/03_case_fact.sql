-- Model eval_case_fact (区域评价): the period's case cohort = cases whose first 立案 lies in the period window.
-- Location (district/street/community/grid) and source come from core.case: attributes fixed at 上报, never its
-- mutable state (status, closed_at, department_code are not read).
--   is_due (应结案)  not 作废 and not 挂账 at the cut-off
--   is_on_time_closed 结案 and every 处置反馈 on time
--   handle_minutes   working minutes from the first 派遣 to the last 处置反馈, on the city's working calendar
--                    (eval_calendar: cumulative working minutes before each day + eval_day_minutes within the day)
--   excluded         indicators removed by accepted appeals ('*' = all)
CREATE OR REPLACE TEMP TABLE eval_case_fact AS
SELECT
    s.case_id,
    c.district_code,
    c.street_code,
    c.community_code,
    c.grid_code,
    s.is_public,
    NOT s.voided AND NOT s.shelved AS is_due,
    s.voided,
    s.shelved,
    s.shelved_dept,
    s.last_dept,
    s.close_dept,
    s.closed AS is_closed,
    s.closed AND s.feedback_all_met AS is_on_time_closed,
    s.dispatched AS is_dispatched,
    s.handled AS is_handled,
    s.reworked AS is_reworked,
    s.overdue AS is_overdue,
    CASE WHEN s.handled AND s.first_dispatch_at IS NOT NULL THEN
        eval_wm(s.last_feedback_at, f.cum_before, f.working) - eval_wm(s.first_dispatch_at, d.cum_before, d.working)
    END AS handle_minutes,
    x.excluded
FROM eval_case_summary s
LEFT JOIN core."case" c USING (case_id)
LEFT JOIN eval_calendar d ON d.day = CAST(s.first_dispatch_at AS DATE)
LEFT JOIN eval_calendar f ON f.day = CAST(s.last_feedback_at AS DATE)
LEFT JOIN (
    SELECT case_id, list(coalesce(indicator, '*')) AS excluded
    FROM eval_exclusion WHERE object = 'region' GROUP BY case_id
) x USING (case_id)
WHERE s.registered_at >= getvariable('eval_start') AND s.registered_at < getvariable('eval_window_end');

-- Model eval_department_fact (专业部门评价): one row per (cohort case, department it was dispatched to).
-- Events belong to the department responsible when they happened (eval_event.resp_dept).
--   is_returned  the department's 回退 was approved
--   is_due (应处置) not 作废; not 挂账 while with this department; not returned by it unless it is the last
--                department the case was dispatched to
--   is_on_time   handled (反馈) and none of this department's 处置 completions (handle/feedback) judged late
--   is_overdue   at least one of its 反馈 judged late; overdue_multiple = the largest 超时倍数 recorded on them
--   is_closed    the case is 结案 and this department had it at 结案
CREATE OR REPLACE TEMP TABLE eval_department_fact AS
WITH pair AS (
    SELECT
        e.case_id,
        e.resp_dept AS department_code,
        bool_or(e.act = 'return') AS is_returned,
        bool_or(e.act = 'feedback') AS is_handled,
        coalesce(bool_and(e.deadline_met IS DISTINCT FROM false) FILTER (WHERE e.act IN ('handle', 'feedback')), true)
            AS all_met,
        bool_or(e.act IN ('handle', 'feedback') AND e.deadline_met = false) AS is_overdue,
        max(e.overdue_multiple) FILTER (WHERE e.act IN ('handle', 'feedback') AND e.deadline_met = false)
            AS overdue_multiple,
        bool_or(e.act = 'rework') AS is_reworked,
        bool_or(e.act = 'shelve') AS is_shelved,
        bool_or(e.act = 'extend') AS is_extended
    FROM eval_event e
    SEMI JOIN eval_case_fact f ON f.case_id = e.case_id
    WHERE e.resp_dept IS NOT NULL
    GROUP BY e.case_id, e.resp_dept
)
SELECT
    p.case_id,
    p.department_code,
    NOT f.voided
        AND NOT (f.shelved AND f.shelved_dept = p.department_code)
        AND (NOT p.is_returned OR f.last_dept = p.department_code) AS is_due,
    p.is_handled,
    p.is_handled AND p.all_met AS is_on_time,
    p.is_overdue,
    p.overdue_multiple,
    p.is_reworked,
    f.is_closed AND f.close_dept = p.department_code AS is_closed,
    p.is_shelved,
    p.is_extended,
    p.is_returned,
    x.excluded
FROM pair p
JOIN eval_case_fact f USING (case_id)
LEFT JOIN (
    SELECT case_id, entity_code, list(coalesce(indicator, '*')) AS excluded
    FROM eval_exclusion WHERE object = 'department' GROUP BY case_id, entity_code
) x ON x.case_id = p.case_id AND x.entity_code = p.department_code;

-- Model eval_department_fact (专业部门评价): one row per (cohort case, department it was dispatched to).
-- Events belong to the department responsible when they happened (see 02/03). A case with a single dispatch whose
-- department events all follow it has one row, read from its bit mask (01: 32 反馈, 128 late 处置, 256 返工,
-- 512 回退, 1024 挂账, 2048 延期); cases of eval_slow_event are grouped by their events' resp_dept.
--   is_returned  the department's 回退 was approved
--   is_due (应处置) not 作废; not 挂账 while with this department; not returned by it — unless the case was
--                dispatched to it again afterwards and is not waiting for re-dispatch after a 回退 (an approved
--                回退 right after its latest dispatch: the department rightly gave it back)
--   is_on_time   handled (反馈) and none of this department's 处置 completions (反馈) judged late
--   is_overdue   at least one of its 反馈 judged late, or the case is 超期未处置 at the cut-off while with this
--                department (its last dispatch; see eval_case_fact.is_open_overdue)
--   overdue_multiple the largest 超时倍数 recorded on its late 反馈 or, when open and overdue, reached at as_of
--   is_closed    the case is 结案 and this department had it at 结案
CREATE OR REPLACE {{ relation }} eval_department_fact AS
WITH pair AS (
    SELECT
        case_id,
        fast_dept AS department_code,
        bits & 512 <> 0 AS is_returned,
        bits & 32 <> 0 AS is_handled,
        bits & 128 <> 0 AS is_late,
        late_multiple,
        bits & 256 <> 0 AS is_reworked,
        bits & 1024 <> 0 AS is_shelved,
        bits & 2048 <> 0 AS is_extended,
        voided, shelved, shelved_dept, last_dept, awaiting_redispatch, is_closed, close_dept, is_open_overdue,
        open_multiple
    FROM eval_case_fact
    WHERE fast_dept IS NOT NULL
    UNION ALL
    SELECT
        p.*, f.voided, f.shelved, f.shelved_dept, f.last_dept, f.awaiting_redispatch, f.is_closed, f.close_dept,
        f.is_open_overdue, f.open_multiple
    FROM (
        SELECT
            e.case_id,
            e.resp_dept AS department_code,
            bool_or(e.act = 'return') AS is_returned,
            bool_or(e.act = 'feedback') AS is_handled,
            bool_or(e.act = 'feedback' AND e.deadline_met = false) AS is_late,
            max(e.overdue_multiple) FILTER (WHERE e.act = 'feedback' AND e.deadline_met = false)
                AS late_multiple,
            bool_or(e.act = 'rework') AS is_reworked,
            bool_or(e.act = 'shelve') AS is_shelved,
            bool_or(e.act = 'extend') AS is_extended
        FROM eval_slow_event e
        WHERE e.resp_dept IS NOT NULL
        GROUP BY e.case_id, e.resp_dept
    ) p
    JOIN eval_case_fact f ON f.case_id = p.case_id AND f.slow
)
SELECT
    p.case_id,
    p.department_code,
    NOT p.voided
        AND NOT (p.shelved AND p.shelved_dept = p.department_code)
        AND (NOT p.is_returned OR (p.last_dept = p.department_code AND NOT p.awaiting_redispatch)) AS is_due,
    p.is_handled,
    p.is_handled AND NOT p.is_late AS is_on_time,
    p.is_late OR (p.is_open_overdue AND p.last_dept = p.department_code) AS is_overdue,
    CASE WHEN p.is_open_overdue AND p.last_dept = p.department_code THEN greatest(p.late_multiple, p.open_multiple)
         ELSE p.late_multiple END AS overdue_multiple,
    p.is_reworked,
    p.is_closed AND p.close_dept = p.department_code AS is_closed,
    p.is_shelved,
    p.is_extended,
    p.is_returned,
    {% if exclusions %}x.excluded{% else %}CAST(NULL AS VARCHAR[]) AS excluded{% endif %}
FROM pair p
{%- if exclusions %}
LEFT JOIN (
    SELECT case_id, entity_code, list(coalesce(indicator, '*')) AS excluded
    FROM eval_exclusion WHERE object = 'department' GROUP BY case_id, entity_code
) x ON x.case_id = p.case_id AND x.entity_code = p.department_code
{%- endif %};

-- Model eval_case_fact (区域评价): the period's case cohort = cases whose first 立案 lies in the period window.
-- Location (district/street/community/grid) and source come from core.case: attributes fixed at 上报, never its
-- mutable state (status, closed_at, department_code are not read).
--   is_due (应结案)  not 作废 and not 挂账 at the cut-off
--   is_on_time_closed 结案 and every 处置反馈 on time
--   is_overdue (超期) a 处置 completion (反馈) was judged late, OR the case is still 超期未处置 at the cut-off: its
--                    处置 clock runs (casework.workflow.handle_clock_effects: the latest 派遣/返工/解除挂账 is later
--                    than the latest 反馈, approved 回退 and approved 挂账), it is not 结案/作废/挂账, and its 处置
--                    deadline passed before as_of. That deadline: with an approved 延期 after that start, the deadline
--                    recorded on the latest such 延期 (deadline_at); else the 处置 deadline recorded on that start
--                    (start_deadline_at: an imported export's own due time, judged as of as_of — no multiple, like a
--                    延期's); without either, the 指挥手册 处置 limit of the case's
--                    subclass (eval_handle_limit) counted from that start on the limit's basis — working time on the
--                    city's calendar or natural hours — as the case service starts the clock. A 延期 with no
--                    recorded deadline, or a subclass without a limit, leaves the open case unjudged. 签收 (handle)
--                    changes nothing; a case whose 回退 was approved waits at 立案 for re-dispatch with no 处置 clock.
--   open_multiple    超时倍数 of such an open case at as_of: elapsed / limit − 1, not rounded (the indicator value,
--                    a mean, is rounded once when stored)
--   is_on_time_handled dispatched, 反馈 given and no 反馈 judged late (按期处置)
--   awaiting_redispatch an approved 回退 follows the latest dispatch (the department that returned it is not charged)
--   handle_minutes   working minutes from the first 派遣 to the last 处置反馈, on the city's working calendar
--                    (eval_calendar: cumulative working minutes before each day + eval_day_minutes within the day)
--   excluded         indicators removed by accepted appeals ('*' = all)
CREATE OR REPLACE {{ relation }} eval_case_fact AS
WITH cohort AS (
    -- department attribution: a case with a single dispatch whose department events all follow it ("fast") has
    -- every such event with that department; the cases of eval_slow_case use their ordered events
    SELECT
        s.*,
        -- the bits decoded (eval_case_summary does not store them, see 01)
        s.bits & 2 <> 0 AS voided,
        s.bits & 8 <> 0 AS closed,
        s.bits & 16 <> 0 AS dispatched,
        s.bits & 32 <> 0 AS handled,
        s.bits & 256 <> 0 AS reworked,
        s.bits & 128 <> 0 AS overdue,
        s.bits & 32768 <> 0 AS is_public,
        -- where the case stands at the cut-off, for the candidates of eval_case_clock (03); the others have no
        -- approved 挂账 or 回退, and no open 处置 clock (结案 or 作废)
        coalesce(ck.shelved, false) AS shelved,
        coalesce(ck.awaiting_redispatch, false) AS awaiting_redispatch,
        sl.case_id IS NOT NULL AS slow,
        CASE WHEN sl.case_id IS NOT NULL THEN sl.last_dept WHEN s.n_dispatch = 1 THEN s.dispatch_dept END
            AS last_dept,
        CASE WHEN sl.case_id IS NOT NULL THEN sl.shelved_dept WHEN s.n_dispatch = 1 AND s.bits & 1024 <> 0
            THEN s.dispatch_dept END AS shelved_dept,
        CASE WHEN sl.case_id IS NOT NULL THEN sl.close_dept WHEN s.n_dispatch = 1 AND s.bits & 8 <> 0
            THEN s.dispatch_dept END AS close_dept
    FROM eval_case_summary s
    LEFT JOIN eval_slow_case sl USING (case_id)
    LEFT JOIN eval_case_clock ck USING (case_id)
    WHERE s.registered_at >= getvariable('eval_start') AND s.registered_at < getvariable('eval_window_end')
),
open_clock AS (
    SELECT
        o.case_id,
        o.extended,
        o.extend_deadline_at,
        o.start_deadline_at,
        l.hours AS limit_hours,
        CASE WHEN l.basis = 'natural' THEN epoch(getvariable('eval_as_of') - o.clock_started_at) / 3600.0
             ELSE (eval_wm(getvariable('eval_as_of'), a.cum_before, a.working)
                   - eval_wm(o.clock_started_at, d.cum_before, d.working)) / 60.0
        END AS elapsed_hours
    -- eval_case_clock holds cohort cases only; not read from cohort, which a second reader would materialize
    FROM eval_case_clock o
    LEFT JOIN eval_handle_limit l ON l.subclass_code = o.subclass_code AND l.kind IS NOT DISTINCT FROM o.kind
    LEFT JOIN eval_calendar d ON d.day = CAST(o.clock_started_at AS DATE)
    LEFT JOIN eval_calendar a ON a.day = CAST(getvariable('eval_as_of') AS DATE)
    WHERE o.open_clock
),
open_overdue AS (
    SELECT
        case_id,
        CASE WHEN extended THEN getvariable('eval_as_of') > extend_deadline_at
             WHEN start_deadline_at IS NOT NULL THEN getvariable('eval_as_of') > start_deadline_at
             ELSE elapsed_hours > limit_hours END AS open_overdue,
        CASE WHEN NOT extended AND start_deadline_at IS NULL AND elapsed_hours > limit_hours
            THEN elapsed_hours / limit_hours - 1
        END AS open_multiple
    FROM open_clock
)
SELECT
    s.case_id,
    s.district_code,
    s.street_code,
    s.community_code,
    s.grid_code,
    s.is_public,
    NOT s.voided AND NOT s.shelved AS is_due,
    s.voided,
    s.shelved,
    s.shelved_dept,
    s.last_dept,
    s.close_dept,
    s.closed AS is_closed,
    s.closed AND NOT s.overdue AS is_on_time_closed,
    s.dispatched AS is_dispatched,
    s.handled AS is_handled,
    s.dispatched AND s.handled AND NOT s.overdue AS is_on_time_handled,
    s.awaiting_redispatch,
    s.reworked AS is_reworked,
    s.overdue OR coalesce(oo.open_overdue, false) AS is_overdue,
    coalesce(oo.open_overdue, false) AS is_open_overdue,
    oo.open_multiple,
    CASE WHEN s.handled AND s.first_dispatch_at IS NOT NULL THEN
        eval_wm(s.last_feedback_at, f.cum_before, f.working) - eval_wm(s.first_dispatch_at, d.cum_before, d.working)
    END AS handle_minutes,
    -- for eval_department_fact: a "fast" case's single department and what happened while it had the case
    s.slow,
    CASE WHEN NOT s.slow AND s.n_dispatch = 1 THEN s.last_dept END AS fast_dept,
    s.bits,
    s.late_multiple,
    {% if exclusions %}x.excluded{% else %}CAST(NULL AS VARCHAR[]) AS excluded{% endif %}
FROM cohort s
LEFT JOIN open_overdue oo USING (case_id)
LEFT JOIN eval_calendar d ON d.day = CAST(s.first_dispatch_at AS DATE)
LEFT JOIN eval_calendar f ON f.day = CAST(s.last_feedback_at AS DATE)
{%- if exclusions %}
LEFT JOIN (
    SELECT case_id, list(coalesce(indicator, '*')) AS excluded
    FROM eval_exclusion WHERE object = 'region' GROUP BY case_id
) x USING (case_id)
{%- endif %};

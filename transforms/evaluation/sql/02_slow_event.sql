-- Model eval_slow_event: the events (before the cut-off) of the few cases whose department attribution or 回退
-- judgement needs the order of their events — those with more than one dispatch, or with an event that belongs to
-- a department (see first_after_seq) before their only dispatch — when they are in the cohort (first 立案 in the
-- period) or have an approved 回退 (was a dispatch followed by a return?). All other cases are answered from
-- eval_case_summary's bit mask.
-- resp_dept: the department responsible when the event happened = department_code of the latest dispatch up to and
-- including this event (回退/延期/挂账/反馈/返工/结案 belong to the department that had the case then).
-- next_dr: for a dispatch, the next dispatch or return of the case (a return = the dispatch was 派遣不当).
CREATE OR REPLACE TEMP MACRO eval_slow_kind(action) AS CASE action
    WHEN 'dispatch' THEN true WHEN 'return' THEN true WHEN 'feedback' THEN true
    WHEN 'check' THEN true WHEN 'rework' THEN true WHEN 'shelve' THEN true WHEN 'extend' THEN true
    WHEN 'close' THEN true ELSE false
END;

CREATE OR REPLACE TEMP TABLE eval_slow_event AS
WITH slow_case AS (
    SELECT case_id
    FROM eval_case_summary
    WHERE (n_dispatch >= 2 OR (n_dispatch = 1 AND first_after_seq <= dispatch_seq))
      AND ((registered_at >= getvariable('eval_start') AND registered_at < getvariable('eval_window_end'))
           OR bits & 512 <> 0)
),
-- their events from the history bound on (see 01), and those before it of the cases reported before it
ev AS (
    SELECT e.case_id, e.seq, eval_act(e.action, e.outcome, e.actor_role) AS act, e.occurred_at, e.department_code,
           e.deadline_met, e.overdue_multiple
    FROM core.case_event e
    SEMI JOIN slow_case USING (case_id)
    WHERE e.occurred_at >= getvariable('eval_lower') AND e.occurred_at < getvariable('eval_as_of')
      -- only the kinds attribution and 回退 read (a department row exists for every dispatch naming one anyway);
      -- a CASE, not IN (…): DuckDB turns a long IN list into a join with the list
      AND eval_slow_kind(e.action)
    UNION ALL
    SELECT e.case_id, e.seq, eval_act(e.action, e.outcome, e.actor_role) AS act, e.occurred_at, e.department_code,
           e.deadline_met, e.overdue_multiple
    FROM core.case_event e
    SEMI JOIN (SELECT case_id FROM slow_case SEMI JOIN eval_early_case USING (case_id)) early USING (case_id)
    WHERE e.occurred_at >= getvariable('eval_early_lower') AND e.occurred_at < getvariable('eval_lower')
      AND eval_slow_kind(e.action)
)
SELECT
    case_id,
    seq,
    act,
    occurred_at,
    deadline_met,
    overdue_multiple,
    last_value(CASE WHEN act = 'dispatch' THEN department_code END IGNORE NULLS) OVER (
        PARTITION BY case_id ORDER BY seq ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS resp_dept,
    lead(act) OVER (PARTITION BY case_id, act IN ('dispatch', 'return') ORDER BY seq) AS next_dr
FROM ev;

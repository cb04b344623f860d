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

-- the kinds eval_slow_event reads, and those whose bit (01) eval_case_clock reads: the same and 解除挂账 (unshelve);
-- a MAP look-up (once per distinct value of a dictionary-compressed vector), as it filters every event
CREATE OR REPLACE TEMP MACRO eval_subset_kind(action) AS coalesce(MAP {
    'dispatch': true, 'return': true, 'feedback': true, 'check': true, 'rework': true, 'shelve': true,
    'extend': true, 'close': true, 'unshelve': true}[action], false);

-- eval_case_subset: the cases whose events are read again, one by one — the slow cases above (slow), and the
-- candidates of eval_case_clock (03: clock), a cohort case with an approved 回退 or 挂账, or neither 结案 nor 作废.
CREATE OR REPLACE TEMP TABLE eval_case_subset AS
SELECT * FROM (
    SELECT
        case_id,
        bits,
        kind,
        subclass_code,
        (n_dispatch >= 2 OR (n_dispatch = 1 AND first_after_seq <= dispatch_seq))
            AND ((registered_at >= getvariable('eval_start') AND registered_at < getvariable('eval_window_end'))
                 OR bits & 512 <> 0) AS slow,
        registered_at >= getvariable('eval_start') AND registered_at < getvariable('eval_window_end')
            AND (bits & (512 | 1024) <> 0 OR bits & (2 | 8) = 0) AS clock
    FROM eval_case_summary
)
WHERE slow OR clock;

-- eval_subset_event: their events of those kinds, read in one scan for both (a scan filtered by case costs about as
-- much as the events it writes here): from the history bound on (see 01), and those before it of the cases reported
-- before it
CREATE OR REPLACE TEMP TABLE eval_subset_event AS
SELECT e.case_id, e.seq, e.action, e.outcome, e.actor_role, e.occurred_at, e.department_code, e.deadline_met,
       e.overdue_multiple, e.deadline_at, e.step, k.slow, k.clock
FROM core.case_event e
JOIN eval_case_subset k USING (case_id)
WHERE e.occurred_at >= getvariable('eval_lower') AND e.occurred_at < getvariable('eval_as_of')
  AND eval_subset_kind(e.action)
UNION ALL
SELECT e.case_id, e.seq, e.action, e.outcome, e.actor_role, e.occurred_at, e.department_code, e.deadline_met,
       e.overdue_multiple, e.deadline_at, e.step, k.slow, k.clock
FROM core.case_event e
JOIN (SELECT * FROM eval_case_subset SEMI JOIN eval_early_case USING (case_id)) k USING (case_id)
WHERE e.occurred_at >= getvariable('eval_early_lower') AND e.occurred_at < getvariable('eval_lower')
  AND eval_subset_kind(e.action);

CREATE OR REPLACE TEMP TABLE eval_slow_event AS
WITH ev AS (
    -- only the kinds attribution and 回退 read (a department row exists for every dispatch naming one anyway)
    SELECT case_id, seq, eval_act(action, outcome, actor_role) AS act, occurred_at, department_code, deadline_met,
           overdue_multiple
    FROM eval_subset_event
    WHERE slow AND eval_slow_kind(action)
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

-- Model eval_event: the events the evaluation reads.
-- Scope: every case with at least one event in the period window [eval_start, eval_window_end); of those cases,
-- every event before the cut-off eval_as_of (earlier history, e.g. a report before the month, is needed too).
-- act: the action normalised over the ways sources record the same step —
--   check with outcome 'failed'                          → rework            (核查不通过 = 返工)
--   verify with outcome 'not_found'/'rejected', or reject by a supervisor → verify_not_found (核实不属实)
--   return/extend/shelve/void with outcome 'requested' or 'denied' → <action>_requested / <action>_denied: only an
--   approved one (outcome 'approved' or not recorded) counts as 回退/延期/挂账/作废
-- resp_dept: the department responsible when the event happened = department_code of the latest dispatch up to and
-- including this event (回退/延期/挂账/反馈/返工/结案 belong to the department that had the case then).
CREATE OR REPLACE TEMP TABLE eval_event AS
WITH scope AS (
    SELECT DISTINCT case_id
    FROM core.case_event
    WHERE occurred_at >= getvariable('eval_start') AND occurred_at < getvariable('eval_window_end')
)
SELECT
    e.case_id,
    e.seq,
    CASE
        WHEN e.action = 'check' AND e.outcome = 'failed' THEN 'rework'
        WHEN e.action = 'verify' AND e.outcome IN ('not_found', 'rejected') THEN 'verify_not_found'
        WHEN e.action = 'reject' AND e.actor_role = 'supervisor' THEN 'verify_not_found'
        WHEN e.action IN ('return', 'extend', 'shelve', 'void') AND e.outcome IN ('requested', 'denied')
            THEN e.action || '_' || e.outcome
        ELSE e.action
    END AS act,
    e.occurred_at,
    e.actor_id,
    e.actor_role,
    e.outcome,
    e.deadline_met,
    e.overdue_multiple,
    last_value(CASE WHEN e.action = 'dispatch' THEN e.department_code END IGNORE NULLS) OVER (
        PARTITION BY e.case_id ORDER BY e.seq ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS resp_dept
FROM core.case_event e
SEMI JOIN scope USING (case_id)
WHERE e.occurred_at < getvariable('eval_as_of');

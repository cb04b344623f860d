-- Model eval_case_summary: one row per case in scope, what its events (before the cut-off) say about it.
--   registered_at      first 立案
--   voided             作废 at any time
--   shelved            挂账 now: the latest of shelve/unshelve is a shelve (shelved_dept: who had it then)
--   closed / close_dept 结案, and the department responsible at 结案
--   overdue            a 处置 completion was judged late. The 处置 step's judgement is recorded on the event that
--                      completes it: 'feedback' in the case service, 'handle' in some sources — both are read
--   feedback_all_met   no 处置 completion was judged late (deadline_met = false); true when none was judged
--   last_verify_seq    the latest 核实 (属实 or 不属实): an accept before it was a 派发核实
--   is_public          the case's source is a 公众举报 source (scheme rules.public_sources)
CREATE OR REPLACE TEMP TABLE eval_case_summary AS
WITH per_case AS (
SELECT
    case_id,
    min(occurred_at) FILTER (WHERE act = 'register') AS registered_at,
    bool_or(act = 'register') AS any_register,
    bool_or(act = 'void') AS voided,
    bool_or(act = 'reject' AND actor_role = 'shift_leader') AS rejected_at_register,
    coalesce(arg_max(act, seq) FILTER (WHERE act IN ('shelve', 'unshelve')) = 'shelve', false) AS shelved,
    arg_max(resp_dept, seq) FILTER (WHERE act = 'shelve') AS shelved_dept,
    arg_max(resp_dept, seq) FILTER (WHERE act = 'dispatch') AS last_dept,
    bool_or(act = 'close') AS closed,
    arg_max(resp_dept, seq) FILTER (WHERE act = 'close') AS close_dept,
    bool_or(act = 'dispatch') AS dispatched,
    bool_or(act = 'feedback') AS handled,
    bool_or(act = 'rework') AS reworked,
    bool_or(act IN ('handle', 'feedback') AND deadline_met = false) AS overdue,
    coalesce(bool_and(deadline_met IS DISTINCT FROM false) FILTER (WHERE act IN ('handle', 'feedback')), true)
        AS feedback_all_met,
    min(occurred_at) FILTER (WHERE act = 'dispatch') AS first_dispatch_at,
    max(occurred_at) FILTER (WHERE act = 'feedback') AS last_feedback_at,
    max(seq) FILTER (WHERE act IN ('verify', 'verify_not_found')) AS last_verify_seq
FROM eval_event
GROUP BY case_id
)
SELECT p.*, coalesce(list_contains(getvariable('eval_public_sources'), c.source), false) AS is_public
FROM per_case p LEFT JOIN core."case" c USING (case_id);

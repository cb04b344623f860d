-- Model eval_slow_case: for the cases of eval_slow_event, what their ordered events say (eval_case_fact uses these
-- instead of the bit mask):
--   last_dept     the department of the latest dispatch (the one that has the case)
--   shelved_dept  the department that had the case at its latest 挂账
--   close_dept    the department that had the case at 结案
--   last_dispatch_at, done_since_dispatch, extended_since_dispatch, extend_deadline_at: the 处置 clock of the latest
--                 dispatch, to judge a case still open at the cut-off (04)
CREATE OR REPLACE TEMP TABLE eval_slow_case AS
SELECT
    case_id,
    arg_max(resp_dept, seq) FILTER (WHERE act = 'shelve') AS shelved_dept,
    arg_max(resp_dept, seq) FILTER (WHERE act = 'dispatch') AS last_dept,
    arg_max(resp_dept, seq) FILTER (WHERE act = 'close') AS close_dept,
    arg_max(occurred_at, seq) FILTER (WHERE act = 'dispatch') AS last_dispatch_at,
    coalesce(bool_or(act IN ('handle', 'feedback') AND after_last_dispatch), false) AS done_since_dispatch,
    coalesce(bool_or(act = 'extend' AND after_last_dispatch), false) AS extended_since_dispatch,
    max(deadline_at) FILTER (WHERE act = 'extend' AND after_last_dispatch) AS extend_deadline_at
FROM eval_slow_event
GROUP BY case_id;

-- eval_returned_dispatch: every dispatch of eval_slow_event's cases, and whether an approved 回退 follows it before
-- the next dispatch (派遣不当). A dispatch of any other case with a 回退 is its only one, and every 回退 follows it.
CREATE OR REPLACE TEMP TABLE eval_returned_dispatch AS
SELECT case_id, seq, coalesce(next_dr = 'return', false) AS returned
FROM eval_slow_event
WHERE act = 'dispatch';

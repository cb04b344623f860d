-- Model eval_slow_case: for the cases of eval_slow_event, what their ordered events say (eval_case_fact uses these
-- instead of the bit mask):
--   last_dept     the department of the latest dispatch (the one that has the case)
--   shelved_dept  the department that had the case at its latest 挂账
--   close_dept    the department that had the case at 结案
-- (the 处置 clock of a case still open at the cut-off needs no order: eval_case_summary answers it for every case)
CREATE OR REPLACE TEMP TABLE eval_slow_case AS
SELECT
    case_id,
    arg_max(resp_dept, seq) FILTER (WHERE act = 'shelve') AS shelved_dept,
    arg_max(resp_dept, seq) FILTER (WHERE act = 'dispatch') AS last_dept,
    arg_max(resp_dept, seq) FILTER (WHERE act = 'close') AS close_dept
FROM eval_slow_event
GROUP BY case_id;

-- eval_returned_dispatch: every dispatch of eval_slow_event's cases, and whether an approved 回退 follows it before
-- the next dispatch (派遣不当). A dispatch of any other case with a 回退 is its only one, and every 回退 follows it.
CREATE OR REPLACE TEMP TABLE eval_returned_dispatch AS
SELECT case_id, seq, coalesce(next_dr = 'return', false) AS returned
FROM eval_slow_event
WHERE act = 'dispatch';

-- Model eval_case_clock: what the order of a cohort case's events says about where it stands at the cut-off, for
-- the few cohort cases where that can matter — the others get the defaults in eval_case_fact (04):
--   shelved             挂账 now: the latest of the approved 挂账 (1024) and 解除挂账 (8192) is a 挂账; only a case
--                       with an approved 挂账 can be (default false)
--   awaiting_redispatch an approved 回退 (512) follows the latest dispatch: the case waits at 立案 for re-dispatch;
--                       only a case with an approved 回退 can (default false)
--   the 处置 clock (casework.workflow.handle_clock_effects, in the conformed vocabulary), read only for a case not
--   结案 (8), not 作废 (2) and not 挂账 (04's open_clock):
--     clock_running      the latest of the starts (派遣 16, 返工 256, 解除挂账 8192), completions (反馈 64) and
--                        stops (approved 回退 512, approved 挂账 1024) is a start (2×seq + 1 for an end: even)
--     clock_started_at   the latest start
--     start_deadline_at  the 处置 deadline recorded on the latest start itself (step 'handle' on a 派遣: a legacy
--                        export's 处置时限, legacy_import.py); a live 派遣 records its own step's deadline (step
--                        'dispatch'), which is not the 处置 one and is not read here
--     extended           an approved 延期 (2048) follows the latest start (2×seq + 1 for a 延期: odd)
--     extend_deadline_at the deadline recorded on the latest approved 延期 (the one in force)
--   open_clock         the clock runs and the case is neither 结案, 作废 nor 挂账: 04 judges it at the cut-off
--                      (超期未处置) with the case's kind and subclass_code (eval_handle_limit)
-- Why a pass of its own: these are seven aggregates, three of them arg_max, and every aggregate of the case pass
-- (01) costs time on every event of every case in scope; here they run over the events of the candidates only —
-- a cohort case with an approved 回退 or 挂账, or neither 结案 nor 作废 (≈ 10–15 % of a month's cohort), read in
-- the same scan as the slow cases' (eval_subset_event, 02).
CREATE OR REPLACE TEMP TABLE eval_case_clock AS
WITH ev AS (
    SELECT case_id, seq, occurred_at, deadline_at, step, eval_bit(action, outcome, actor_role, deadline_met) AS bit
    FROM eval_subset_event
    WHERE clock
),
per_case AS (
    SELECT
        case_id,
        max(2 * seq + CASE WHEN bit & 1024 <> 0 THEN 1 ELSE 0 END) FILTER (WHERE bit & (1024 | 8192) <> 0) AS shelf,
        -- packed: one max per question instead of a max per kind of event
        max(2 * seq + CASE WHEN bit & (64 | 512 | 1024) <> 0 THEN 1 ELSE 0 END)
            FILTER (WHERE bit & (16 | 256 | 8192 | 64 | 512 | 1024) <> 0) AS clock_last,
        arg_max(occurred_at, seq) FILTER (WHERE bit & (16 | 256 | 8192) <> 0) AS clock_started_at,
        arg_max_null(CASE WHEN step = 'handle' THEN deadline_at END, seq) FILTER (WHERE bit & (16 | 256 | 8192) <> 0)
            AS start_deadline_at,
        max(2 * seq + CASE WHEN bit & 2048 <> 0 THEN 1 ELSE 0 END)
            FILTER (WHERE bit & (16 | 256 | 8192 | 2048) <> 0) AS extend_last,
        arg_max_null(deadline_at, seq) FILTER (WHERE bit & 2048 <> 0) AS extend_deadline_at,
        max(2 * seq + CASE WHEN bit & 512 <> 0 THEN 1 ELSE 0 END) FILTER (WHERE bit & (16 | 512) <> 0) AS redispatch
    FROM ev
    GROUP BY case_id
)
SELECT
    p.case_id,
    coalesce(p.shelf % 2 = 1, false) AS shelved,
    coalesce(p.redispatch % 2 = 1, false) AS awaiting_redispatch,
    coalesce(p.clock_last % 2 = 0, false) AND k.bits & (2 | 8) = 0 AND NOT coalesce(p.shelf % 2 = 1, false)
        AS open_clock,
    p.clock_started_at,
    p.start_deadline_at,
    coalesce(p.extend_last % 2 = 1, false) AS extended,
    p.extend_deadline_at,
    k.kind,
    k.subclass_code
FROM per_case p
JOIN eval_case_subset k USING (case_id);

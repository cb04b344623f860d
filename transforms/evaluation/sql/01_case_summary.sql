-- eval_act: the action normalised over the ways sources record the same step —
--   check with outcome 'failed'                          → rework            (核查不通过 = 返工)
--   verify with outcome 'not_found'/'rejected', or reject by a supervisor → verify_not_found (核实不属实)
--   return/extend/shelve/void with outcome 'requested' or 'denied' → <action>_requested / <action>_denied: only an
--   approved one (outcome 'approved' or not recorded) counts as 回退/延期/挂账/作废
CREATE OR REPLACE TEMP MACRO eval_act(action, outcome, actor_role) AS CASE
    WHEN action = 'check' AND outcome = 'failed' THEN 'rework'
    WHEN action = 'verify' AND outcome IN ('not_found', 'rejected') THEN 'verify_not_found'
    WHEN action = 'reject' AND actor_role = 'supervisor' THEN 'verify_not_found'
    WHEN action IN ('return', 'extend', 'shelve', 'void') AND outcome IN ('requested', 'denied')
        THEN action || '_' || outcome
    ELSE action
END;

-- eval_bit: the case-summary bit (see Bits below) of one event, straight from the raw columns — the same mapping as
-- eval_act followed by a bit per act, without building the act string for every event (the costliest part of the
-- pass at scale). A request or denial (outcome 'requested'/'denied') sets no bit; deadline_met = false on a 处置
-- completion (反馈) adds 128. 签收 (handle) sets no bit: it moves the case to 处置中 and the 处置 clock keeps running
-- (casework.workflow.handle_clock_effects; a judgement recorded on a handle is not the 处置 judgement).
CREATE OR REPLACE TEMP MACRO eval_bit(action, outcome, actor_role, deadline_met) AS CASE action
    WHEN 'register' THEN 1
    WHEN 'void' THEN CASE WHEN outcome IN ('requested', 'denied') THEN 0 ELSE 2 END
    WHEN 'close' THEN 8
    WHEN 'dispatch' THEN 16
    WHEN 'feedback' THEN CASE WHEN deadline_met = false THEN 224 ELSE 96 END
    WHEN 'rework' THEN 256
    WHEN 'check' THEN CASE WHEN outcome = 'failed' THEN 256 ELSE 0 END
    WHEN 'return' THEN CASE WHEN outcome IN ('requested', 'denied') THEN 0 ELSE 512 END
    WHEN 'shelve' THEN CASE WHEN outcome IN ('requested', 'denied') THEN 0 ELSE 1024 END
    WHEN 'extend' THEN CASE WHEN outcome IN ('requested', 'denied') THEN 0 ELSE 2048 END
    WHEN 'unshelve' THEN 8192
    WHEN 'verify' THEN 16384
    WHEN 'reject' THEN CASE actor_role WHEN 'supervisor' THEN 16384 WHEN 'shift_leader' THEN 4 ELSE 0 END
    ELSE 0
END;

-- eval_event_bit: eval_bit, cheaper on many events — strings are looked up in MAPs, and a function of one column is
-- evaluated once per distinct value of a dictionary-compressed vector, where eval_bit's CASE compares strings on
-- every event. eval_action_bit is the bit when the action alone decides it, else minus a code for the rule that
-- also reads the outcome, role or judgement (an action not listed: 0); the same rules as eval_bit
-- (tests/transforms/evaluation/test_event_bit.py compares the two on every combination).
CREATE OR REPLACE TEMP MACRO eval_action_bit(action) AS coalesce(MAP {
    'register': 1, 'close': 8, 'dispatch': 16, 'rework': 256, 'unshelve': 8192, 'verify': 16384,
    'void': -2, 'return': -512, 'shelve': -1024, 'extend': -2048, 'feedback': -96, 'check': -256,
    'reject': -4}[action], 0);
CREATE OR REPLACE TEMP MACRO eval_event_bit(action, outcome, actor_role, deadline_met) AS CASE
    WHEN eval_action_bit(action) >= 0 THEN eval_action_bit(action)
    WHEN eval_action_bit(action) = -96 THEN CASE WHEN deadline_met = false THEN 224 ELSE 96 END
    WHEN eval_action_bit(action) = -256 THEN CASE WHEN MAP {'failed': true}[outcome] THEN 256 ELSE 0 END
    WHEN eval_action_bit(action) = -4 THEN coalesce(MAP {'supervisor': 16384, 'shift_leader': 4}[actor_role], 0)
    -- void, return, shelve, extend: a request or a denial is not approved
    WHEN coalesce(MAP {'requested': true, 'denied': true}[outcome], false) THEN 0
    ELSE -eval_action_bit(action)
END;

-- Model eval_case_summary: one row per case in scope, in ONE aggregate pass over core.case_event (no window, no
-- sort), with the case's fixed attributes from core.case (location and source — never its mutable status).
-- Scope: every case with at least one event in the period window [eval_start, eval_window_end); of those cases,
-- every event before the cut-off eval_as_of (earlier history, e.g. a report before the month, is needed too).
-- The engine picks how the scope is applied (template variable ``scope``): 'window', a semi join with the window's
-- cases, or 'having' — when the window holds most events, e.g. a year — aggregating every case and keeping those
-- with an event in the window; or 'early' (the second pass, below), the cases of eval_early_case.
-- History bound: only events from eval_history_from on are read. Events are stored in time order, so the bound
-- skips the row groups before it (zone maps). The engine first sets it a little before the period (eval_lower) and
-- then recomputes, from their earliest report on, the few cases in scope reported before that (eval_early_case):
-- no event of a case precedes its report (core."case".reported_at, a fixed attribute), so both give every event.
-- That second pass (scope 'early') adds their rows to the table and looks their case rows up without report bounds.
-- Few aggregates, because each costs time on every event: what a case did is one bit mask (eval_bit), plus
--   registered_at      first 立案
--   shelf              the latest of shelve/unshelve (2×seq + 1 for a shelve: odd = 挂账 now)
--   first_dispatch_at, last_feedback_at, last_verify_seq (the latest 核实: an accept before it was a 派发核实)
--   n_dispatch, dispatch_seq (the latest), dispatch_dept (the department of a single dispatch)
--   first_after_seq    the first event that belongs to the department holding the case (回退/反馈/处置/返工/挂账/延期/
--                      结案): when it follows the only dispatch, every such event belongs to that department, so the
--                      bit mask answers department attribution; other cases go through eval_slow_event (02)
--   late_multiple      the largest 超时倍数 recorded on a 处置 completion judged late
--   what the order of the events says about where a cohort case stands (挂账 now, waiting for re-dispatch, the
--   处置 clock) is not aggregated here but for the few cases where it can matter (eval_case_clock, 03): each
--   aggregate of this pass costs time on every event of every case in scope
--   what the bits say alone (立案 = registered_at not NULL, 作废, 结案, 派遣, 反馈, 返工, a 处置 completion judged
--   late, 公众举报) is read from bits where it is used, not stored: every column of this table is written for
--   every case in scope (1.2 M for a month, 10 M for a year at 10 M cases a year), and nine boolean columns cost
--   ≈ 18 % of the statement
--   bits | 32768       the case's source is a 公众举报 source (scheme rules.public_sources)
-- Bits: 1 立案 register, 2 作废 void, 4 不予立案 (reject by a shift leader), 8 结案 close, 16 派遣 dispatch,
-- 32 反馈 feedback, 64 处置 completion (反馈: the event that completes the 指挥手册 step 'handle' and records its
-- judgement), 128 a 处置 completion judged late (deadline_met = false on the 反馈), 256 返工 rework, 512 回退
-- return, 1024 挂账 shelve, 2048 延期 extend, (4096 in the window, 8192 unshelve, 16384 核实: used inside this model
-- only).
{% if scope == 'early' -%}
INSERT INTO eval_case_summary
{%- else -%}
CREATE OR REPLACE TEMP TABLE eval_case_summary AS
{%- endif %}
WITH flagged AS (
    SELECT
        e.case_id, e.seq, e.occurred_at, e.department_code, e.overdue_multiple,
        eval_event_bit(e.action, e.outcome, e.actor_role, e.deadline_met)
        + CASE WHEN e.occurred_at >= getvariable('eval_start') AND e.occurred_at < getvariable('eval_window_end')
               THEN 4096 ELSE 0 END AS bit
    FROM core.case_event e
    {%- if scope == 'window' %} SEMI JOIN (SELECT DISTINCT case_id FROM core.case_event
        WHERE occurred_at >= getvariable('eval_start') AND occurred_at < getvariable('eval_window_end')) scope
        USING (case_id)
    {%- elif scope == 'early' %} SEMI JOIN eval_early_case early USING (case_id)
    {%- endif %}
    WHERE e.occurred_at >= getvariable('eval_history_from') AND e.occurred_at < getvariable('eval_as_of')
),
per_case AS (
    SELECT
        case_id,
        bit_or(bit) & 8191 AS bits,
        min(occurred_at) FILTER (WHERE bit & 1 <> 0) AS registered_at,
        min(occurred_at) FILTER (WHERE bit & 16 <> 0) AS first_dispatch_at,
        max(occurred_at) FILTER (WHERE bit & 32 <> 0) AS last_feedback_at,
        max(seq) FILTER (WHERE bit & 16384 <> 0) AS last_verify_seq,
        count(*) FILTER (WHERE bit & 16 <> 0) AS n_dispatch,
        max(seq) FILTER (WHERE bit & 16 <> 0) AS dispatch_seq,
        max(department_code) FILTER (WHERE bit & 16 <> 0) AS dispatch_dept,
        -- 回退 512, 处置 64, 返工 256, 挂账 1024, 延期 2048, 结案 8
        min(seq) FILTER (WHERE bit & (512 | 64 | 256 | 1024 | 2048 | 8) <> 0) AS first_after_seq,
        max(overdue_multiple) FILTER (WHERE bit & 128 <> 0) AS late_multiple
    FROM flagged
    GROUP BY case_id
    {%- if scope == 'having' %}
    HAVING bit_or(bit) & 4096 <> 0
    {%- endif %}
)
SELECT
    p.case_id,
    p.bits | CASE WHEN list_contains(getvariable('eval_public_sources'), c.source) THEN 32768 ELSE 0 END AS bits,
    p.registered_at,
    p.first_dispatch_at,
    p.last_feedback_at,
    p.last_verify_seq,
    p.n_dispatch,
    p.dispatch_seq,
    p.dispatch_dept,
    p.first_after_seq,
    p.late_multiple,
    c.district_code,
    c.street_code,
    c.community_code,
    c.grid_code,
    c.kind,
    c.subclass_code,
    c.reported_at
FROM per_case p
-- the report bounds the history (see above): a case reported before eval_history_from is recomputed anyway, and one
-- in scope cannot be reported after the cut-off (plus the clock slack), so the case table is read between the two
-- (it is appended as cases are reported: the bounds skip most of it); a case not found here is recomputed too
LEFT JOIN core."case" c ON c.case_id = p.case_id
{%- if scope != 'early' %} AND c.reported_at >= getvariable('eval_history_from')
    AND c.reported_at < getvariable('eval_report_until')
{%- endif %};

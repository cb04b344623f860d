-- Model eval_post_fact (岗位评价): one row per event a 监督员/受理员/值班长/派遣员 performed in the period window.
-- object = the actor's role; entity = actor_id. Flags say which counts the event enters:
--   监督员  is_report (上报), is_valid_report (the case was 立案 by the cut-off), is_missed (核实属实 of a 公众举报:
--           a problem in the supervisor's grid that a member of the public found first), verify_* (核实 step),
--           check_* (核查 step: check or rework)
--   受理员  is_accept, is_accurate_accept (not later 不予立案 by the shift leader, not 作废),
--           vdispatch_* (an accept with outcome sent_to_verify, or followed by a 核实: 派发核实), cdispatch_* (outcome send_check: 派发核查)
--   值班长  is_register, is_voided (the registered case was later 作废), register_* (立案 or 不予立案 decision),
--           close_*
--   派遣员  is_dispatch, is_returned (the next dispatch/return event of the case is a 回退), dispatch_*
-- *_judged = the step carries a recorded deadline judgement; *_met = it was on time.
CREATE OR REPLACE TEMP TABLE eval_post_fact AS
WITH next_dr AS (
    SELECT case_id, seq, act, lead(act) OVER (PARTITION BY case_id ORDER BY seq) AS next_act
    FROM eval_event WHERE act IN ('dispatch', 'return')
    QUALIFY act = 'dispatch'
),
ev AS (
    SELECT e.*, e.actor_role AS object, e.deadline_met IS NOT NULL AS judged, coalesce(e.deadline_met, false) AS met,
           s.any_register, s.voided, s.rejected_at_register, s.last_verify_seq, n.next_act, s.is_public
    FROM eval_event e
    JOIN eval_case_summary s USING (case_id)
    LEFT JOIN next_dr n ON n.case_id = e.case_id AND n.seq = e.seq
    WHERE e.occurred_at >= getvariable('eval_start') AND e.occurred_at < getvariable('eval_window_end')
      AND e.actor_id IS NOT NULL
      AND (
           (e.actor_role = 'supervisor' AND e.act IN ('report', 'verify', 'verify_not_found', 'check', 'rework'))
        OR (e.actor_role = 'operator' AND (e.act = 'accept' OR e.outcome = 'send_check'))
        OR (e.actor_role = 'shift_leader' AND e.act IN ('register', 'reject', 'close'))
        OR (e.actor_role = 'dispatcher' AND e.act = 'dispatch')
      )
)
SELECT
    ev.case_id,
    ev.seq,
    ev.object,
    ev.actor_id,
    ev.object = 'supervisor' AND ev.act = 'report' AS is_report,
    ev.any_register AS is_valid_report,
    ev.object = 'supervisor' AND ev.act = 'verify' AND ev.is_public AS is_missed,
    ev.object = 'supervisor' AND ev.act IN ('verify', 'verify_not_found') AND ev.judged AS verify_judged,
    ev.met AS verify_met,
    ev.object = 'supervisor' AND ev.act IN ('check', 'rework') AND ev.judged AS check_judged,
    ev.met AS check_met,
    ev.object = 'operator' AND ev.act = 'accept' AS is_accept,
    NOT ev.rejected_at_register AND NOT ev.voided AS is_accurate_accept,
    ev.object = 'operator' AND ev.act = 'accept' AND ev.judged
        AND (ev.outcome = 'sent_to_verify' OR coalesce(ev.last_verify_seq > ev.seq, false))
        AS vdispatch_judged,
    ev.met AS vdispatch_met,
    ev.object = 'operator' AND ev.outcome = 'send_check' AND ev.judged AS cdispatch_judged,
    ev.met AS cdispatch_met,
    ev.object = 'shift_leader' AND ev.act = 'register' AS is_register,
    ev.voided AS is_voided,
    ev.object = 'shift_leader' AND ev.act IN ('register', 'reject') AND ev.judged AS register_judged,
    ev.met AS register_met,
    ev.object = 'shift_leader' AND ev.act = 'close' AND ev.judged AS close_judged,
    ev.met AS close_met,
    ev.object = 'dispatcher' AND ev.act = 'dispatch' AS is_dispatch,
    coalesce(ev.next_act = 'return', false) AS is_returned,
    ev.object = 'dispatcher' AND ev.act = 'dispatch' AND ev.judged AS dispatch_judged,
    ev.met AS dispatch_met,
    x.excluded
FROM ev
LEFT JOIN (
    SELECT object, entity_code, case_id, list(coalesce(indicator, '*')) AS excluded
    FROM eval_exclusion WHERE object NOT IN ('region', 'department') GROUP BY ALL
) x ON x.object = ev.object AND x.entity_code = ev.actor_id AND x.case_id = ev.case_id;

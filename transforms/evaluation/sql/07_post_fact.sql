-- Model eval_post_fact (岗位评价): the flags of each eval_post_base row (one per event a 监督员/受理员/值班长/派遣员
-- performed in the period window).
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
-- The indicator aggregate evaluates this same SELECT over pre-counted cells of eval_post_base (FROM replaced), so
-- the flags are written once; the table itself is built for lineage only.
{% if not select_only %}CREATE OR REPLACE {{ relation }} eval_post_fact AS{% endif %}
SELECT
    b.*,
    b.object = 'supervisor' AND b.act = 'report' AS is_report,
    b.case_bits & 1 <> 0 AS is_valid_report,
    b.object = 'supervisor' AND b.act = 'verify' AND b.case_bits & 32768 <> 0 AS is_missed,
    b.object = 'supervisor' AND b.act IN ('verify', 'verify_not_found') AND b.deadline_met IS NOT NULL
        AS verify_judged,
    coalesce(b.deadline_met, false) AS verify_met,
    b.object = 'supervisor' AND b.act IN ('check', 'rework') AND b.deadline_met IS NOT NULL AS check_judged,
    coalesce(b.deadline_met, false) AS check_met,
    b.object = 'operator' AND b.act = 'accept' AS is_accept,
    b.case_bits & (2 | 4) = 0 AS is_accurate_accept,
    b.object = 'operator' AND b.act = 'accept' AND b.deadline_met IS NOT NULL
        AND (b.outcome = 'sent_to_verify' OR b.verified_later) AS vdispatch_judged,
    coalesce(b.deadline_met, false) AS vdispatch_met,
    b.object = 'operator' AND b.outcome = 'send_check' AND b.deadline_met IS NOT NULL AS cdispatch_judged,
    coalesce(b.deadline_met, false) AS cdispatch_met,
    b.object = 'shift_leader' AND b.act = 'register' AS is_register,
    b.case_bits & 2 <> 0 AS is_voided,
    b.object = 'shift_leader' AND b.act IN ('register', 'reject') AND b.deadline_met IS NOT NULL AS register_judged,
    coalesce(b.deadline_met, false) AS register_met,
    b.object = 'shift_leader' AND b.act = 'close' AND b.deadline_met IS NOT NULL AS close_judged,
    coalesce(b.deadline_met, false) AS close_met,
    b.object = 'dispatcher' AND b.act = 'dispatch' AS is_dispatch,
    b.returned AS is_returned,
    b.object = 'dispatcher' AND b.act = 'dispatch' AND b.deadline_met IS NOT NULL AS dispatch_judged,
    coalesce(b.deadline_met, false) AS dispatch_met
FROM {{ post_source }} b;

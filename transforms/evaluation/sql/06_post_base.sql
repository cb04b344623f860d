-- Model eval_post_base (岗位评价): one row per event a 监督员/受理员/值班长/派遣员 performed in the period window,
-- with what the flags of eval_post_fact (07) read: the event (object = the actor's role, act, outcome,
-- deadline_met) and its case —
--   case_bits       eval_case_summary.bits: 1 立案 by the cut-off, 2 作废, 4 不予立案, 32768 公众举报 source
--   verified_later  a 核实 of the case follows this event (an accept before it was a 派发核实)
--   returned        a dispatch whose next dispatch/return of the case is an approved 回退: the case has a 回退 and
--                   the dispatch is not one of eval_returned_dispatch's kept (not returned) dispatches of the case —
--                   a dispatch not in that table is its case's only one and every 回退 follows it. The kept seqs
--                   ride along with the case row (a list per slow case), so no event probes a second table.
-- Without lineage the engine makes it a view: the indicator aggregate counts its rows per (object, actor, action,
-- outcome, these columns) in one pass, and computes act and the flags once per such cell (act is a function of
-- action, outcome and object).
CREATE OR REPLACE {{ relation }} eval_post_base AS
WITH ev AS (
    -- the events a post is judged on, selected on the raw action (cheap, before the join): supervisor report/
    -- verify/reject(核实不属实)/check/rework, operator accept or send_check, shift leader register/reject/close,
    -- dispatcher dispatch: the roles that may perform the action (a bit per role), or the outcome (send_check), meet
    -- the actor's role. MAP look-ups of one column each: evaluated once per distinct value of a dictionary-compressed
    -- vector, where a CASE compares strings on every event (OR-ed conditions with IN lists were worse still: the
    -- optimizer expanded them into a costly filter and a join with the list).
    SELECT e.case_id, e.seq, e.action, e.actor_id, e.actor_role AS object, e.outcome, e.deadline_met,
           -- the events whose flags read their case: report, verify (not 核实不属实), accept, register, dispatch
           CASE coalesce(MAP {'report': 1, 'accept': 1, 'register': 1, 'dispatch': 1, 'verify': 2}[e.action], 0)
               WHEN 1 THEN true
               WHEN 2 THEN coalesce(e.outcome NOT IN ('not_found', 'rejected'), true)
               ELSE false END AS reads_case
    FROM core.case_event e
    WHERE e.occurred_at >= getvariable('eval_start') AND e.occurred_at < getvariable('eval_window_end')
      AND e.actor_id IS NOT NULL
      -- roles: 1 supervisor, 2 operator, 4 shift_leader, 8 dispatcher
      AND (coalesce(MAP {'report': 1, 'verify': 1, 'check': 1, 'rework': 1, 'reject': 1 | 4, 'accept': 2,
                         'register': 4, 'close': 4, 'dispatch': 8}[e.action], 0)
           | coalesce(MAP {'send_check': 2}[e.outcome], 0))
          & coalesce(MAP {'supervisor': 1, 'operator': 2, 'shift_leader': 4, 'dispatcher': 8}[e.actor_role], 0) <> 0
)
SELECT
    ev.case_id,
    ev.seq,
    ev.object,
    ev.actor_id,
    eval_act(ev.action, ev.outcome, ev.object) AS act,
    ev.action,
    ev.outcome,
    ev.deadline_met,
    s.bits & (1 | 2 | 4 | 32768) AS case_bits,
    coalesce(s.last_verify_seq > ev.seq, false) AS verified_later,
    ev.action = 'dispatch' AND s.bits & 512 <> 0 AND NOT coalesce(list_contains(s.kept_dispatch_seqs, ev.seq), false)
        AS returned,
    {% if exclusions %}x.excluded{% else %}CAST(NULL AS VARCHAR[]) AS excluded{% endif %}
FROM ev
-- only reports, verifies, accepts, registers and dispatches read their case: the others join on NULL, which skips
-- the look-up in the large case table (the costliest part at scale); their case columns are not read
LEFT JOIN (
    SELECT s.case_id, s.bits, s.last_verify_seq, k.kept_dispatch_seqs
    FROM eval_case_summary s
    LEFT JOIN (SELECT case_id, list(seq) FILTER (WHERE NOT returned) AS kept_dispatch_seqs
               FROM eval_returned_dispatch GROUP BY case_id) k USING (case_id)
) s ON s.case_id = CASE WHEN ev.reads_case THEN ev.case_id END
{%- if exclusions %}
LEFT JOIN (
    SELECT object, entity_code, case_id, list(coalesce(indicator, '*')) AS excluded
    FROM eval_exclusion WHERE object NOT IN ('region', 'department') GROUP BY ALL
) x ON x.object = ev.object AND x.entity_code = ev.actor_id AND x.case_id = ev.case_id
{%- endif %};

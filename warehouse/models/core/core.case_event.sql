-- materialized: view
-- One row per workflow action, whatever the source: the evaluation's facts (migration 0002's columns, 0020's
-- origin_action and step). Stored in three tables: core.case_event_row as given, core.case_event_bulk as a bulk file
-- carries it (migration 0102), core.case_event_legacy one row per legacy-imported case (migration 0105). For a bulk
-- row the columns its file lacks are derived here, with the values the import used to store: event_id
-- '<origin case id>:<seq>', origin_system and batch_id of its load, origin_action = action, the rest NULL. A legacy
-- case gives one event per step whose time is known, exactly as the legacy import used to store it: seq its place
-- among the case's steps by (time, step order), stored 3 bits a step in `places`; event_id '<origin case id>:<step>'.
-- DuckDB computes a derived column only for a query that reads it (the projection is pruned otherwise); the joins
-- with core.case_event_load (a few rows) stay, at the cost measured in bench/cases/README.md (what a reader of
-- legacy events pays: the legacy import's section there).
-- Writers insert into the stored tables (transforms/cases/model.py), never through this view.
{%- macro place(k) %}(places >> {{ 3 * k }}) & 7{% endmacro %}
SELECT case_id, seq, event_id, action, from_state, to_state, occurred_at, actor_id, actor_role, department_code,
       district_code, outcome, deadline_at, deadline_met, overdue_multiple, limit_hours, limit_basis,
       handbook_version, comment, origin_system, batch_id, origin_action, step
FROM core.case_event_row
UNION ALL
SELECT e.case_id, e.seq, substr(e.case_id, length(l.origin_system) + 2) || ':' || e.seq AS event_id, e.action,
       e.from_state, e.to_state, e.occurred_at, e.actor_id, e.actor_role, e.department_code,
       CAST(NULL AS VARCHAR) AS district_code, CAST(NULL AS VARCHAR) AS outcome, e.deadline_at, e.deadline_met,
       CAST(NULL AS DOUBLE) AS overdue_multiple, CAST(NULL AS DOUBLE) AS limit_hours,
       CAST(NULL AS VARCHAR) AS limit_basis, CAST(NULL AS VARCHAR) AS handbook_version,
       CAST(NULL AS VARCHAR) AS comment, l.origin_system, l.batch_id, e.action AS origin_action, e.step
FROM core.case_event_bulk e
JOIN core.case_event_load l ON l.load_no = e.load_no
UNION ALL
SELECT e.case_id, e.seq, substr(e.case_id, length(l.origin_system) + 2) || ':' || e.word AS event_id, e.action,
       CAST(NULL AS VARCHAR) AS from_state, e.to_state, e.occurred_at, CAST(NULL AS VARCHAR) AS actor_id,
       CAST(NULL AS VARCHAR) AS actor_role, e.department_code, CAST(NULL AS VARCHAR) AS district_code,
       CAST(NULL AS VARCHAR) AS outcome, e.deadline_at, e.deadline_met, CAST(NULL AS DOUBLE) AS overdue_multiple,
       CAST(NULL AS DOUBLE) AS limit_hours, CAST(NULL AS VARCHAR) AS limit_basis,
       CAST(NULL AS VARCHAR) AS handbook_version, CAST(NULL AS VARCHAR) AS comment, l.origin_system, l.batch_id,
       e.origin_action, e.step
FROM (  -- a legacy case's steps (上报, 受理, 立案, 派遣, 处置反馈, 核查, then 结案 / 作废 / 不予立案), those with a time
    SELECT load_no, case_id, {{ place(0) }} AS seq, 'report' AS word, 'report' AS action,
           'reported' AS to_state, reported_at AS occurred_at, 'created' AS origin_action,
           CAST(NULL AS VARCHAR) AS department_code, CAST(NULL AS TIMESTAMP) AS deadline_at,
           CAST(NULL AS BOOLEAN) AS deadline_met, CAST(NULL AS VARCHAR) AS step
    FROM core.case_event_legacy WHERE reported_at IS NOT NULL
    UNION ALL
    SELECT load_no, case_id, {{ place(1) }}, 'accept', 'accept', 'accepted', accepted_at, 'column:accepted_at', NULL,
           NULL, NULL, NULL
    FROM core.case_event_legacy WHERE accepted_at IS NOT NULL
    UNION ALL
    SELECT load_no, case_id, {{ place(2) }}, 'register', 'register', 'registered', registered_at,
           CASE WHEN registered_inferred THEN 'steps.registered' ELSE 'column:registered_at' END, NULL, NULL, NULL,
           NULL
    FROM core.case_event_legacy WHERE registered_at IS NOT NULL
    UNION ALL
    SELECT load_no, case_id, {{ place(3) }}, 'dispatch', 'dispatch', 'dispatched', dispatched_at,
           CASE WHEN dispatched_inferred THEN 'steps.dispatched' ELSE 'column:dispatched_at' END, department_code,
           deadline_at, NULL, CASE WHEN deadline_at IS NULL THEN NULL ELSE 'handle' END
    FROM core.case_event_legacy WHERE dispatched_at IS NOT NULL
    UNION ALL
    SELECT load_no, case_id, {{ place(4) }}, 'feedback', 'feedback', 'handled', handled_at,
           CASE WHEN handled_inferred THEN 'steps.handled' ELSE 'column:handled_at' END, department_code,
           deadline_at, deadline_met, 'handle'
    FROM core.case_event_legacy WHERE handled_at IS NOT NULL
    UNION ALL
    SELECT load_no, case_id, {{ place(5) }}, 'check', 'check', 'checked', checked_at, 'column:checked_at', NULL, NULL,
           NULL, NULL
    FROM core.case_event_legacy WHERE checked_at IS NOT NULL
    UNION ALL
    SELECT load_no, case_id, {{ place(6) }}, 'close',
           CASE end_state WHEN 'closed' THEN 'close' WHEN 'voided' THEN 'void' WHEN 'rejected' THEN 'reject' END,
           end_state, ended_at, 'status:' || coalesce(origin_status, ''), department_code, NULL, NULL, NULL
    FROM core.case_event_legacy WHERE ended_at IS NOT NULL
) e
JOIN core.case_event_load l ON l.load_no = e.load_no

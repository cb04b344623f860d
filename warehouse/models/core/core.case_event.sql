-- materialized: view
-- One row per workflow action, whatever the source: the evaluation's facts (migration 0002's columns, 0020's
-- origin_action and step). Stored in two tables (migration 0102): core.case_event_row as given, core.case_event_bulk
-- as a bulk file carries it. For a bulk row the columns its file lacks are derived here, with the values the import
-- used to store: event_id '<origin case id>:<seq>', origin_system and batch_id of its load, origin_action = action,
-- the rest NULL. DuckDB computes a derived column only for a query that reads it (the projection is pruned
-- otherwise); the join with core.case_event_load (a few rows) stays, at the cost measured in bench/cases/README.md.
-- Writers insert into the stored tables (transforms/cases/model.py), never through this view.
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

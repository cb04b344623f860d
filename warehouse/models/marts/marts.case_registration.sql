-- materialized: table
-- 立案, one meaning for every reader: a case is registered when it has a 立案 event (action 'register'), and it is
-- registered in the month of its first one — whether the event came from the case service, a Parquet import or a
-- legacy export's column or declared step (transforms/cases/legacy_import.py, steps.registered). The case's status
-- is not read: a legacy export's status says where a case ended, not whether it was ever registered (a report
-- 作废 or closed as not a 城管 matter before 立案 is not 立案). The evaluation's cohort is this same rule (its
-- registered_at: the first event with bit 1 in transforms/evaluation/sql/01_case_summary.sql, applied inline in its
-- one pass over the events) and the monthly report counts the evaluation's cohort; the cockpit (summary_case_month)
-- and the per-case view (dash_case) read this table. tests/warehouse/test_one_meaning_of_register.py checks all
-- agree on a warehouse holding an imported legacy month and live cases.
SELECT case_id, min(occurred_at) AS registered_at
FROM core.case_event
WHERE action = 'register'
GROUP BY case_id

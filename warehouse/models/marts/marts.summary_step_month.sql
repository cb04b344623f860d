-- materialized: table
-- Workflow steps that had a deadline, by month done, district (the step's, else its case's, as
-- marts.dash_case_step) and step (指挥手册 step, else the action): on time, with a deadline.
-- Steps that record their district need no join; only the others look up their case's district.
-- Rebuilt from core before every publish by the mart builder dashboards.marts (table: migration 0043).
SELECT CAST(date_trunc('month', occurred_at) AS DATE), district_code, step,
       count(*) FILTER (WHERE deadline_met), count(*)
FROM (
    SELECT occurred_at, district_code, coalesce(step, action) AS step, deadline_met
    FROM core.case_event WHERE deadline_met IS NOT NULL AND district_code IS NOT NULL
    UNION ALL
    SELECT e.occurred_at, c.district_code, coalesce(e.step, e.action), e.deadline_met
    FROM core.case_event e LEFT JOIN core."case" c ON c.case_id = e.case_id
    WHERE e.deadline_met IS NOT NULL AND e.district_code IS NULL
)
GROUP BY ALL

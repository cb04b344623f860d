-- 立案, one meaning (issue 20): the registration of every case that has one — its first 立案 event. Written before
-- every publish from the table model warehouse/models/marts/marts.case_registration.sql (dashboards.marts), and read
-- by the cockpit's monthly summary (marts.summary_case_month.registered) and the per-case view (marts.dash_case).
CREATE TABLE marts.case_registration (
    case_id        VARCHAR   NOT NULL,
    registered_at  TIMESTAMP NOT NULL      -- its first 立案 (action 'register')
);

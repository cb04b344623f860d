-- core.case and core.case_event without PRIMARY KEY / UNIQUE (owner: transforms/cases).
--
-- Why: DuckDB maintains an ART index per key on every insert and holds it in memory; for the 10 M-case load
-- (≈ 80 M events) those indexes alone would need ≈ 20 GiB and were the largest cost of a bulk insert. Uniqueness
-- is still a rule, enforced twice instead:
--   * in every load path (feed pull, legacy import, Parquet import): a row whose key is already in core is
--     skipped (feed events, by event_id) or quarantined with reason already_loaded — never inserted twice;
--   * in the cases_conformed publish audit (quality/cases.py): a duplicate case_id, (origin_system,
--     origin_case_id) or (case_id, seq) fails the audit, so a duplicate can never reach readers.
-- Columns, their order, types, NOT NULLs and data are unchanged; views over these tables (0040–0042) bind late.

CREATE TABLE core.case_new (
    case_id         VARCHAR NOT NULL,      -- <origin_system>:<origin_case_id>; unique (audit cases_conformed)
    origin_system   VARCHAR NOT NULL,
    origin_case_id  VARCHAR NOT NULL,
    edition         VARCHAR,
    kind            VARCHAR,
    subclass_code   VARCHAR,
    source          VARCHAR NOT NULL,
    description     VARCHAR,
    reported_at     TIMESTAMP NOT NULL,
    reporter_id     VARCHAR,
    grid_code       VARCHAR,
    community_code  VARCHAR,
    street_code     VARCHAR,
    district_code   VARCHAR,
    lon             DOUBLE,
    lat             DOUBLE,
    department_code VARCHAR,
    handling_class  VARCHAR,
    status          VARCHAR NOT NULL,
    closed_at       TIMESTAMP,
    flags           VARCHAR[],
    batch_id        VARCHAR NOT NULL,
    origin_timezone VARCHAR,
    origin_status   VARCHAR,
    origin_category VARCHAR,
    origin_source   VARCHAR,
    origin_department VARCHAR,
    address         VARCHAR,
    due_at          TIMESTAMP,
    area_method     VARCHAR
);
INSERT INTO core.case_new SELECT * FROM core."case";
DROP TABLE core."case";
ALTER TABLE core.case_new RENAME TO "case";

CREATE TABLE core.case_event_new (
    case_id          VARCHAR NOT NULL,     -- (case_id, seq) unique (audit cases_conformed)
    seq              INTEGER NOT NULL,
    event_id         VARCHAR NOT NULL,
    action           VARCHAR NOT NULL,
    from_state       VARCHAR,
    to_state         VARCHAR,
    occurred_at      TIMESTAMP NOT NULL,
    actor_id         VARCHAR,
    actor_role       VARCHAR,
    department_code  VARCHAR,
    district_code    VARCHAR,
    outcome          VARCHAR,
    deadline_at      TIMESTAMP,
    deadline_met     BOOLEAN,
    overdue_multiple DOUBLE,
    limit_hours      DOUBLE,
    limit_basis      VARCHAR,
    handbook_version VARCHAR,
    comment          VARCHAR,
    origin_system    VARCHAR NOT NULL,
    batch_id         VARCHAR NOT NULL,
    origin_action    VARCHAR,
    step             VARCHAR
);
INSERT INTO core.case_event_new SELECT * FROM core.case_event;
DROP TABLE core.case_event;
ALTER TABLE core.case_event_new RENAME TO case_event;

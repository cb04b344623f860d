-- Lineage by derivation (issue 23): what each case contributed to a scorecard version is stored once, as bit masks
-- of the (indicator, role) pairs it counted in, and "the cases behind this score" is derived when read by the view
-- marts.score_lineage (warehouse/models/marts/marts.score_lineage.sql), with the columns the table had.
--
-- Why: one row per (entity, indicator, role, case) was 81 rows per cohort case at 10 M cases a year (65 M rows for
-- one month), written again by every re-issue and accepted appeal. The rows below are per case (区域: one with its
-- four area codes; 专业部门: one per department it was dispatched to) and per post entity (监督员/受理员/值班长/派遣员:
-- one per person, its events as a list), frozen with the version like the other scorecard tables.
--
-- Versions computed before this migration keep their materialised rows, renamed marts.score_lineage_legacy and read
-- through the same view, so their content hash (marts.scorecard.content_sha256) is unchanged.
ALTER TABLE marts.score_lineage RENAME TO score_lineage_legacy;

CREATE TABLE marts.score_lineage_fact (     -- per version: what each case (or post event) counted in
    period         VARCHAR NOT NULL,
    version        INTEGER NOT NULL,
    object         VARCHAR NOT NULL,        -- region | department | supervisor | operator | shift_leader | dispatcher
    entity_code    VARCHAR,                 -- department code, or the post's staff id; NULL for region rows
    case_id        VARCHAR,                 -- NULL for post rows (their cases are in events)
    district_code  VARCHAR,                 -- region rows: the case's 区县/街道/社区/网格 (the entities it counts for)
    street_code    VARCHAR,
    community_code VARCHAR,
    grid_code      VARCHAR,
    roles          BIGINT,                  -- region/department rows: bit k set = counted in role k of the object
    events         STRUCT(case_id VARCHAR, event_seq INTEGER, roles BIGINT)[]  -- post rows: the person's events
);

CREATE TABLE marts.score_lineage_role (     -- per version: which (indicator, role) bit k of an object's roles means
    period    VARCHAR NOT NULL,
    version   INTEGER NOT NULL,
    object    VARCHAR NOT NULL,
    indicator VARCHAR NOT NULL,
    role      VARCHAR NOT NULL CHECK (role IN ('numerator', 'denominator')),
    bit       INTEGER NOT NULL CHECK (bit BETWEEN 0 AND 62),
    PRIMARY KEY (period, version, object, bit)
);

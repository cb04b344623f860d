-- 综合评价 (evaluation): versioned scorecards, their indicator values, scores, lineage, appeals and audit trail.
-- Version 0 of a period is the working draft (replaced by every `szcg evaluate compute`); versions 1, 2, … are
-- published and frozen: their rows are never updated or deleted. A re-issue or an accepted appeal adds a version.

CREATE TABLE marts.scorecard (            -- one row per (period, version): what was computed, how, and why
    period          VARCHAR NOT NULL,     -- '2026-10' (a month) or '2026-01-01..2026-12-31' (any date range)
    version         INTEGER NOT NULL,     -- 0 = draft; published versions count up from 1
    status          VARCHAR NOT NULL CHECK (status IN ('draft', 'published')),
    period_start    DATE NOT NULL,
    period_end      DATE NOT NULL,        -- inclusive last day
    as_of           TIMESTAMP NOT NULL,   -- events at or after this instant were not counted
    scheme_id       VARCHAR NOT NULL,
    scheme_version  VARCHAR NOT NULL,
    scheme_sha256   VARCHAR NOT NULL,
    reason          VARCHAR NOT NULL,     -- 'draft', 'first publication', or the re-issue / appeal reason
    supersedes      INTEGER,              -- the published version this one replaces
    exclusions      INTEGER NOT NULL,     -- accepted appeal exclusions applied
    content_sha256  VARCHAR NOT NULL,     -- hash of this version's score, indicator and lineage rows
    created_at      TIMESTAMP NOT NULL,
    created_by      VARCHAR NOT NULL,
    PRIMARY KEY (period, version)
);

CREATE TABLE marts.indicator_value (      -- one row per entity and indicator
    period       VARCHAR NOT NULL,
    version      INTEGER NOT NULL,
    object       VARCHAR NOT NULL,        -- region, department, supervisor, operator, shift_leader, dispatcher
    level        VARCHAR NOT NULL,        -- region: district/street/community/grid; otherwise = object
    entity_code  VARCHAR NOT NULL,
    indicator    VARCHAR NOT NULL,        -- identifier, e.g. on_time_close_rate
    label        VARCHAR NOT NULL,        -- 按期结案率
    numerator    DOUBLE,
    denominator  DOUBLE,
    value        DOUBLE,                  -- rate 0…1, a count, or hours; NULL when the denominator is 0
    score        DOUBLE,                  -- 0…100 by the scheme; NULL when not scored or no sample
    weight       DOUBLE,                  -- the scheme's weight in percent (NULL when not scored)
    PRIMARY KEY (period, version, object, level, entity_code, indicator)
);

CREATE TABLE marts.score (                -- one row per evaluated entity: total, grade, rank
    period        VARCHAR NOT NULL,
    version       INTEGER NOT NULL,
    object        VARCHAR NOT NULL,
    level         VARCHAR NOT NULL,
    entity_code   VARCHAR NOT NULL,
    entity_name   VARCHAR,
    sample_size   BIGINT NOT NULL,        -- the scheme's sample measure (e.g. 应处置数)
    ranked        BOOLEAN NOT NULL,       -- false: below the minimum sample size, scored but not ranked
    total_score   DOUBLE,
    grade         VARCHAR,
    colour        VARCHAR,
    rank          INTEGER,
    tie_break     VARCHAR,                -- how a tie on the rounded total was broken, NULL when no tie
    mom_score     DOUBLE,                 -- 环比: same entity, previous period, latest published version
    yoy_score     DOUBLE,                 -- 同比: same entity, same period a year earlier
    scheme_version VARCHAR NOT NULL,
    PRIMARY KEY (period, version, object, level, entity_code)
);

CREATE TABLE marts.score_lineage (        -- which cases made each count: the drill-down behind every score
    period      VARCHAR NOT NULL,
    version     INTEGER NOT NULL,
    object      VARCHAR NOT NULL,
    level       VARCHAR NOT NULL,
    entity_code VARCHAR NOT NULL,
    indicator   VARCHAR NOT NULL,
    case_id     VARCHAR NOT NULL,
    role        VARCHAR NOT NULL CHECK (role IN ('numerator', 'denominator')),
    event_seq   INTEGER                   -- the event that counted (post indicators), NULL for case-level facts
);

CREATE TABLE marts.appeal (               -- 申诉: an entity contests cases counted against it
    appeal_id        INTEGER PRIMARY KEY,
    period           VARCHAR NOT NULL,
    contested_version INTEGER NOT NULL,
    object           VARCHAR NOT NULL,
    entity_code      VARCHAR NOT NULL,
    indicator        VARCHAR,             -- NULL: every indicator of the entity
    case_id          VARCHAR NOT NULL,
    reason           VARCHAR NOT NULL,
    filed_by         VARCHAR NOT NULL,
    filed_at         TIMESTAMP NOT NULL,
    status           VARCHAR NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected')),
    decided_by       VARCHAR,
    decided_at       TIMESTAMP,
    decision_reason  VARCHAR,
    resulting_version INTEGER             -- the scorecard version an accepted appeal produced
);

CREATE TABLE marts.evaluation_audit (     -- who did what to which scorecard, in order
    audit_id   INTEGER PRIMARY KEY,
    occurred_at TIMESTAMP NOT NULL,
    actor      VARCHAR NOT NULL,
    action     VARCHAR NOT NULL,          -- compute, publish, reissue, appeal_filed, appeal_accepted, appeal_rejected
    period     VARCHAR NOT NULL,
    version    INTEGER,
    detail     VARCHAR NOT NULL           -- JSON
);

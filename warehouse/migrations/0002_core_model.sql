-- The conformed core model: one shape for every source (case service, legacy systems, synthetic city, hotline).
-- Vocabulary (see README glossary):
--   case_event.action ∈ report, accept, verify, register, dispatch, handle, feedback, check, close,
--                       rework, return, extend, shelve, unshelve, void, reject
--   case.source       ∈ supervisor, hotline, public, video, leader, other
-- All timestamps are China Standard Time wall clock (UTC+8, no DST), stored as TIMESTAMP.

CREATE TABLE core.subclass (              -- catalogue of 部件/事件 subclasses, per edition
    edition     VARCHAR NOT NULL,         -- e.g. gbt47678.5-2026
    kind        VARCHAR NOT NULL CHECK (kind IN ('component', 'event')),
    major_code  VARCHAR NOT NULL,
    major_name  VARCHAR NOT NULL,
    code        VARCHAR NOT NULL,
    name        VARCHAR NOT NULL,
    provenance  VARCHAR NOT NULL,
    PRIMARY KEY (edition, kind, code)
);

CREATE TABLE core.admin_area (            -- 市 → 区县/管理区 → 街道 → 社区, versioned
    code        VARCHAR NOT NULL,
    name        VARCHAR NOT NULL,
    level       VARCHAR NOT NULL,         -- city, district, management_area, street, community
    parent_code VARCHAR,
    valid_from  DATE NOT NULL,
    valid_to    DATE,
    PRIMARY KEY (code, valid_from)
);

CREATE TABLE core.department (            -- 专业部门
    code          VARCHAR PRIMARY KEY,
    name          VARCHAR NOT NULL,
    level         VARCHAR NOT NULL,       -- city, district
    district_code VARCHAR,
    kind          VARCHAR
);

CREATE TABLE core.staff (                 -- people whose posts are evaluated (监督员, 受理员, 值班长, 派遣员)
    staff_id      VARCHAR PRIMARY KEY,
    name          VARCHAR,
    role          VARCHAR NOT NULL,       -- supervisor, operator, shift_leader, dispatcher, department_user
    district_code VARCHAR,
    department_code VARCHAR,
    origin_system VARCHAR NOT NULL
);

CREATE TABLE core.grid (                  -- 单元网格, versioned
    grid_code      VARCHAR NOT NULL,      -- 15 digits
    community_code VARCHAR NOT NULL,      -- 12 digits: 6 admin + 3 street + 3 community
    street_code    VARCHAR NOT NULL,      -- 9 digits
    district_code  VARCHAR NOT NULL,      -- 6 digits
    area_m2        DOUBLE,
    geometry_wkt   VARCHAR NOT NULL,      -- CGCS2000 lon/lat (EPSG:4490)
    valid_from     DATE NOT NULL,
    valid_to       DATE,
    batch_id       VARCHAR NOT NULL,
    PRIMARY KEY (grid_code, valid_from)
);

CREATE TABLE core.component (             -- 部件 inventory with history (SCD type 2)
    component_id   VARCHAR NOT NULL,      -- 16 (2007/2013) or 17 (2026) digits
    edition        VARCHAR NOT NULL,
    subclass_code  VARCHAR NOT NULL,
    name           VARCHAR,
    grid_code      VARCHAR,
    district_code  VARCHAR NOT NULL,
    owner_department_code       VARCHAR,  -- 主管
    property_department_code    VARCHAR,  -- 权属
    maintenance_department_code VARCHAR,  -- 养护
    state          VARCHAR NOT NULL,      -- intact, damaged, missing, occupied (完好/破损/丢失/占用)
    lon            DOUBLE,
    lat            DOUBLE,
    geometry_wkt   VARCHAR,               -- for line/polygon components
    surveyed_on    DATE,
    photo          VARCHAR,
    valid_from     TIMESTAMP NOT NULL,
    valid_to       TIMESTAMP,             -- NULL = current version
    change_source  VARCHAR NOT NULL,      -- census batch id or case id that changed it
    PRIMARY KEY (component_id, valid_from)
);

CREATE TABLE core."case" (                -- 案件, one row per case whatever its source
    case_id        VARCHAR PRIMARY KEY,   -- <origin_system>:<origin_case_id>
    origin_system  VARCHAR NOT NULL,
    origin_case_id VARCHAR NOT NULL,
    edition        VARCHAR,
    kind           VARCHAR,               -- component, event (NULL when unmapped)
    subclass_code  VARCHAR,
    source         VARCHAR NOT NULL,
    description    VARCHAR,
    reported_at    TIMESTAMP NOT NULL,
    reporter_id    VARCHAR,
    grid_code      VARCHAR,
    community_code VARCHAR,
    street_code    VARCHAR,
    district_code  VARCHAR,
    lon            DOUBLE,
    lat            DOUBLE,
    department_code VARCHAR,              -- last department dispatched to
    handling_class VARCHAR,               -- urgent, normal, engineering
    status         VARCHAR NOT NULL,      -- state after the last event
    closed_at      TIMESTAMP,
    flags          VARCHAR[],             -- defects kept, not fixed (e.g. closed_before_opened)
    batch_id       VARCHAR NOT NULL,
    UNIQUE (origin_system, origin_case_id)
);

CREATE TABLE core.case_event (            -- one row per workflow action: the evaluation's facts
    case_id          VARCHAR NOT NULL,
    seq              INTEGER NOT NULL,    -- order within the case
    event_id         VARCHAR NOT NULL,    -- the origin system's id (feed cursor for the case service)
    action           VARCHAR NOT NULL,
    from_state       VARCHAR,
    to_state         VARCHAR,
    occurred_at      TIMESTAMP NOT NULL,
    actor_id         VARCHAR,
    actor_role       VARCHAR,
    department_code  VARCHAR,
    district_code    VARCHAR,
    outcome          VARCHAR,             -- e.g. check passed/failed, verify confirmed/not_found
    deadline_at      TIMESTAMP,           -- the 指挥手册 deadline that applied to this step, as recorded
    deadline_met     BOOLEAN,
    overdue_multiple DOUBLE,
    limit_hours      DOUBLE,
    limit_basis      VARCHAR,             -- working, natural
    handbook_version VARCHAR,
    comment          VARCHAR,
    origin_system    VARCHAR NOT NULL,
    batch_id         VARCHAR NOT NULL,
    PRIMARY KEY (case_id, seq)
);

CREATE TABLE core.hotline_call (          -- 12319 热线 calls; personal data masked or hashed before it lands here
    call_id        VARCHAR PRIMARY KEY,
    called_at      TIMESTAMP NOT NULL,
    caller_hash    VARCHAR,               -- salted hash of the number: counts repeat callers, reveals nobody
    caller_masked  VARCHAR,               -- 139****1234
    content        VARCHAR,
    category       VARCHAR,
    subclass_code  VARCHAR,
    case_id        VARCHAR,
    link_method    VARCHAR,               -- logged, matched, none
    is_repeat      BOOLEAN NOT NULL,      -- same caller, same problem: counted once
    repeat_of      VARCHAR,
    satisfaction   VARCHAR,               -- callback: satisfied, basically_satisfied, dissatisfied, unreached
    district_code  VARCHAR,
    grid_code      VARCHAR,
    lon            DOUBLE,
    lat            DOUBLE,
    batch_id       VARCHAR NOT NULL
);

-- Incremental pulls remember where they stopped (the case service's change-feed cursor).
CREATE TABLE landing.feed_cursor (
    feed        VARCHAR PRIMARY KEY,
    cursor      VARCHAR NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);

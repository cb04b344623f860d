-- core.component without its PRIMARY KEY (component_id, valid_from).
--
-- Why: the ART index behind the key was the largest fixed cost of a census load (~25 % of ingesting 1M rows:
-- every inserted row is probed and indexed, and the index is rewritten at COMMIT). Uniqueness of
-- (component_id, valid_from) is still enforced, twice: the census load quarantines any row whose version already
-- exists (anti-join against core.component, rule date.version_exists) before it writes, and the publish audit
-- `component_history` (quality/census.py) refuses to publish a snapshot holding two versions with the same key.
-- Same columns, order, types and NOT NULL constraints as 0002; views reading core.component bind by name.
CREATE TABLE core.component_unkeyed (      -- 部件 inventory with history (SCD type 2)
    component_id   VARCHAR NOT NULL,       -- 16 (2007/2013) or 17 (2026) digits
    edition        VARCHAR NOT NULL,
    subclass_code  VARCHAR NOT NULL,
    name           VARCHAR,
    grid_code      VARCHAR,
    district_code  VARCHAR NOT NULL,
    owner_department_code       VARCHAR,   -- 主管
    property_department_code    VARCHAR,   -- 权属
    maintenance_department_code VARCHAR,   -- 养护
    state          VARCHAR NOT NULL,       -- intact, damaged, missing, occupied (完好/破损/丢失/占用)
    lon            DOUBLE,
    lat            DOUBLE,
    geometry_wkt   VARCHAR,                -- for line/polygon components
    surveyed_on    DATE,
    photo          VARCHAR,
    valid_from     TIMESTAMP NOT NULL,
    valid_to       TIMESTAMP,              -- NULL = current version
    change_source  VARCHAR NOT NULL        -- census batch id or case id that changed it
);
INSERT INTO core.component_unkeyed SELECT * FROM core.component ORDER BY component_id, valid_from;
DROP TABLE core.component;
ALTER TABLE core.component_unkeyed RENAME TO component;

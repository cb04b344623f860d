-- Cases and hotline calls from every source keep what the origin said, in its own words, next to the conformed
-- values (owner: transforms/cases, transforms/hotline).
--
-- Time zones: core timestamps are China Standard Time wall clock. A case imported from a system abroad keeps the
-- origin's LOCAL wall clock (its day, working hours and deadlines only make sense there) and names the zone in
-- origin_timezone; NULL means CST. To compare instants across zones use timezone(origin_timezone, reported_at).
ALTER TABLE core."case" ADD COLUMN origin_timezone VARCHAR;     -- IANA zone of the wall-clock times; NULL = CST
ALTER TABLE core."case" ADD COLUMN origin_status VARCHAR;       -- status as the origin wrote it
ALTER TABLE core."case" ADD COLUMN origin_category VARCHAR;     -- category/type as the origin wrote it
ALTER TABLE core."case" ADD COLUMN origin_source VARCHAR;       -- channel as the origin wrote it
ALTER TABLE core."case" ADD COLUMN origin_department VARCHAR;   -- agency/owner as the origin wrote it
ALTER TABLE core."case" ADD COLUMN address VARCHAR;
ALTER TABLE core."case" ADD COLUMN due_at TIMESTAMP;            -- the deadline the origin recorded (NULL: none)
ALTER TABLE core."case" ADD COLUMN area_method VARCHAR;         -- recorded, point_in_grid, none

ALTER TABLE core.case_event ADD COLUMN origin_action VARCHAR;   -- the origin's action (e.g. approve_extension)
ALTER TABLE core.case_event ADD COLUMN step VARCHAR;            -- 指挥手册 step this action completed, if any

ALTER TABLE core.hotline_call ADD COLUMN origin_call_id VARCHAR;
ALTER TABLE core.hotline_call ADD COLUMN origin_case_ref VARCHAR;  -- the case number the log gave, as written
ALTER TABLE core.hotline_call ADD COLUMN link_distance_m DOUBLE;  -- for matched links: how far the case was

-- Each page pulled from a change feed: which cursor range it covered and the landed JSON file that holds it.
CREATE TABLE landing.feed_page (
    feed          VARCHAR NOT NULL,
    after_cursor  VARCHAR NOT NULL,
    last_cursor   VARCHAR NOT NULL,
    events        INTEGER NOT NULL,
    batch_id      VARCHAR NOT NULL,
    PRIMARY KEY (feed, after_cursor)
);

-- Case facts the case service denormalises onto every feed event (kind, subclass, source, grid, details) have no
-- column in core.case_event; kept per event so a case can be rebuilt from its events alone.
CREATE TABLE staging.casework_event_extra (
    event_id      VARCHAR PRIMARY KEY,
    kind          VARCHAR,
    subclass_code VARCHAR,
    edition       VARCHAR,
    source        VARCHAR,
    grid_code     VARCHAR,
    data          JSON
);

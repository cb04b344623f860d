-- The warehouse's layers and its bookkeeping. Every later schema change is a new numbered file.
CREATE SCHEMA IF NOT EXISTS landing;     -- registry of input files kept byte-for-byte on disk
CREATE SCHEMA IF NOT EXISTS staging;     -- typed copies of one batch, audited before they reach core
CREATE SCHEMA IF NOT EXISTS core;        -- conformed dimensions and facts
CREATE SCHEMA IF NOT EXISTS marts;       -- what readers (evaluation, dashboards, reports) query
CREATE SCHEMA IF NOT EXISTS quarantine;  -- rejected rows with their reasons

-- One row per landed input file. The file itself lives under <warehouse>/landing/, read-only, named by its hash.
CREATE TABLE landing.landed_file (
    batch_id      VARCHAR PRIMARY KEY,        -- <kind>-<first 16 hex of sha256>: same content, same batch
    kind          VARCHAR NOT NULL,           -- census, grids, hotline, legacy_cases, …
    original_name VARCHAR NOT NULL,
    sha256        VARCHAR NOT NULL,
    size_bytes    BIGINT  NOT NULL,
    landed_path   VARCHAR NOT NULL,           -- relative to the landing directory
    landed_at     TIMESTAMP NOT NULL
);

-- Row accounting: for every load of a batch into a target, rows_in = rows_loaded + rows_quarantined.
CREATE TABLE landing.load (
    batch_id          VARCHAR NOT NULL,
    target            VARCHAR NOT NULL,       -- e.g. core.component
    rows_in           BIGINT  NOT NULL,
    rows_loaded       BIGINT  NOT NULL,
    rows_quarantined  BIGINT  NOT NULL,
    loaded_at         TIMESTAMP NOT NULL,
    detail            JSON,
    PRIMARY KEY (batch_id, target),
    CHECK (rows_in = rows_loaded + rows_quarantined)
);

CREATE TABLE quarantine.rejected_row (
    batch_id    VARCHAR NOT NULL,
    target      VARCHAR NOT NULL,
    file_name   VARCHAR NOT NULL,
    row_number  BIGINT  NOT NULL,             -- 1-based data row; 0 = the file as a whole
    field       VARCHAR NOT NULL,
    rule        VARCHAR NOT NULL,
    message     VARCHAR NOT NULL,
    raw_record  JSON                          -- the row as read, so nothing is lost
);

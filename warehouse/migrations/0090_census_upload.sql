-- Census batches uploaded through the web portal: who sent which file for which district, and when.
--
-- Why here: the batch ledger (landing.landed_file, landing.load, quarantine.rejected_row) already lives in the
-- warehouse, and a survey team's history is the ledger seen through its uploads. One row per upload (the same file
-- sent twice is two uploads of one batch). Account names only — never a person's name or number.
CREATE TABLE landing.census_upload (
    upload_id     VARCHAR PRIMARY KEY,        -- random, made by the portal; also the upload's name on disk
    batch_id      VARCHAR NOT NULL,           -- census-<first 16 hex of sha256>, as landing names the file
    district_code VARCHAR NOT NULL,           -- 6 digits, one of the uploading team's districts
    mapping       VARCHAR,                    -- preset name; NULL = chosen by the loader
    file_name     VARCHAR NOT NULL,           -- the name the team gave the file (shown, never used on disk)
    size_bytes    BIGINT  NOT NULL,
    uploaded_by   VARCHAR NOT NULL,           -- portal account (e.g. surveyor-140602)
    uploaded_at   TIMESTAMP NOT NULL,
    corrects      VARCHAR                     -- upload_id of the batch this file corrects, if any
);

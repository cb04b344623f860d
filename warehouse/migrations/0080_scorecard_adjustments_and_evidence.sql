-- 扣分/加分 adjustments of scorecards and the evidence files of appeals (the evaluation office's portal pages).
-- An adjustment is decided once and kept: every version computed after it (a re-issue, an accepted appeal, a new
-- draft) adds its points to the engine's total of the entity; score_adjustment_lineage says, per version, which
-- adjustments moved which total and from what, so a published total is never a silent edit of the engine's.

CREATE TABLE marts.score_adjustment (         -- 扣分 (points < 0) or 加分 (points > 0), with its reason and approver
    adjustment_id  INTEGER PRIMARY KEY,
    period         VARCHAR NOT NULL,
    object         VARCHAR NOT NULL,
    level          VARCHAR NOT NULL,
    entity_code    VARCHAR NOT NULL,
    points         DOUBLE NOT NULL CHECK (points <> 0),
    reason         VARCHAR NOT NULL,
    approver       VARCHAR NOT NULL,          -- who approved it (named on the form; not necessarily the user)
    requested_by   VARCHAR NOT NULL,          -- the user who entered it
    created_at     TIMESTAMP NOT NULL,
    first_version  INTEGER                    -- the published version it first applied to
);

CREATE TABLE marts.score_adjustment_lineage ( -- per version: the engine's total, the adjustments added, the result
    period          VARCHAR NOT NULL,
    version         INTEGER NOT NULL,
    object          VARCHAR NOT NULL,
    level           VARCHAR NOT NULL,
    entity_code     VARCHAR NOT NULL,
    adjustment_id   INTEGER NOT NULL,
    points          DOUBLE NOT NULL,
    engine_total    DOUBLE,                   -- the engine's total before any adjustment
    adjusted_total  DOUBLE                    -- the stored total (engine + every adjustment, kept within 0–100)
);

CREATE TABLE marts.appeal_evidence (          -- files a department attached to its appeal (kept under the data dir)
    appeal_id     INTEGER NOT NULL,
    file_no       INTEGER NOT NULL,
    file_name     VARCHAR NOT NULL,           -- the uploaded name, made safe (no path, no control characters)
    stored_path   VARCHAR NOT NULL,           -- relative to the data directory
    content_type  VARCHAR NOT NULL,
    size_bytes    BIGINT NOT NULL,
    sha256        VARCHAR NOT NULL,
    uploaded_by   VARCHAR NOT NULL,
    uploaded_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (appeal_id, file_no)
);

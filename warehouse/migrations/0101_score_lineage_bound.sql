-- The earliest report time of the cases behind each scorecard version (issue 23): per (version, object), the
-- minimum core."case".reported_at over the cases its lineage holds. The dashboards' drill-down
-- (marts.dash_score_case) joins a unit's cases to core."case" with `reported_at >= reported_from`: core."case" is
-- written in report order, so DuckDB skips the row groups reported before the bound instead of scanning and probing
-- all of them (≈ 90 % of the drill-down's time at 10 M cases). It is a lower bound by construction (the minimum), and
-- reported_at is a fixed attribute of a case (the evaluation relies on it too), so the join finds the same rows.
--
-- The evaluation writes the row when it stores a version (transforms/evaluation/store.py); versions stored before
-- this migration get theirs below, from their stored rows: the fact rows (and post events) of versions stored by
-- derivation, the materialised rows of older ones. A (version, object) whose cases are all gone from core."case" has
-- no row: the drill-down then reads it unbounded (it finds none of them either way).
--
-- Not part of a version's content hash: it is derived from core."case", not from the scorecard, like an index.
CREATE TABLE marts.score_lineage_bound (
    period        VARCHAR NOT NULL,
    version       INTEGER NOT NULL,
    object        VARCHAR NOT NULL,
    reported_from TIMESTAMP NOT NULL,   -- no case behind the version's scores of this object was reported earlier
    PRIMARY KEY (period, version, object)
);

INSERT INTO marts.score_lineage_bound
WITH cases AS (
    SELECT DISTINCT period, version, object, case_id FROM marts.score_lineage_legacy
    UNION
    SELECT period, version, object, case_id FROM marts.score_lineage_fact WHERE case_id IS NOT NULL
    UNION
    SELECT period, version, object, unnest(events).case_id FROM marts.score_lineage_fact WHERE events IS NOT NULL
)
SELECT c.period, c.version, c.object, min(k.reported_at)
FROM cases c JOIN core."case" k ON k.case_id = c.case_id
GROUP BY ALL;

"""扣分/加分: the evaluation office's adjustments added on top of the engine's totals, then graded and ranked again.

The engine (engine.run → eval_score) knows nothing of adjustments; :func:`apply` runs after it on the same
connection, so every computation — a draft, a re-issue, an accepted appeal — carries the period's adjustments, and
``eval_adjustment_lineage`` records for each one the engine's total and the adjusted total it led to.

Grades and ranks follow the rules of ``sql/10_score.sql`` (grade: the highest band whose minimum the total
reaches; rank within (object, level) among ranked entities by total desc, sample size desc, code asc; ties
described). :data:`RERANK_SQL` restates them for adjusted totals; a test runs it without adjustments and requires
the engine's own eval_score back, so the two cannot drift apart silently.
"""

from __future__ import annotations

import duckdb

# Totals are kept within 0–100 like the engine's (a 加分 cannot lift a total above 100).
RERANK_SQL = """
CREATE OR REPLACE TEMP TABLE eval_score AS
WITH adjusted AS (
    SELECT s.object, s.level, s.entity_code, s.sample_size, s.ranked,
           CASE WHEN a.points IS NULL OR s.total_score IS NULL THEN s.total_score
                ELSE round(greatest(0, least(100, s.total_score + a.points)), 2) END AS total_score
    FROM eval_score s
    LEFT JOIN (SELECT object, level, entity_code, sum(points) AS points FROM eval_adjustment GROUP BY ALL) a
        USING (object, level, entity_code)
),
graded AS (
    SELECT j.*, g.grade, g.colour
    FROM adjusted j ASOF LEFT JOIN eval_grade g ON j.total_score >= g.lo
)
SELECT
    object, level, entity_code, sample_size, ranked, total_score, grade, colour,
    CASE WHEN ranked THEN CAST(row_number() OVER (
        PARTITION BY object, level, ranked ORDER BY total_score DESC, sample_size DESC, entity_code
    ) AS INTEGER) END AS rank,
    CASE WHEN ranked AND count(*) OVER (PARTITION BY object, level, ranked, total_score) > 1 THEN
        printf('与另外 %d 个对象同分 %.2f：按样本量降序（本对象 %d）、再按编码升序排定',
               CAST(count(*) OVER (PARTITION BY object, level, ranked, total_score) - 1 AS INTEGER),
               total_score, sample_size)
    END AS tie_break
FROM graded
"""


def apply(con: duckdb.DuckDBPyConnection, period: str) -> int:
    """Add the period's adjustments to eval_score (re-graded, re-ranked) and describe them in
    eval_adjustment_lineage. Returns how many adjustments applied (an entity without a total takes none)."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE eval_adjustment AS SELECT a.adjustment_id, a.object, a.level, a.entity_code, "
        "a.points FROM marts.score_adjustment a SEMI JOIN (SELECT object, level, entity_code FROM eval_score "
        "WHERE total_score IS NOT NULL) s USING (object, level, entity_code) WHERE a.period = ?", [period])
    con.execute("CREATE OR REPLACE TEMP TABLE eval_engine_total AS SELECT object, level, entity_code, total_score "
                "FROM eval_score SEMI JOIN eval_adjustment USING (object, level, entity_code)")
    row = con.execute("SELECT count(*) FROM eval_adjustment").fetchone()
    applied = int(row[0]) if row else 0
    if applied:
        con.execute(RERANK_SQL)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE eval_adjustment_lineage AS SELECT a.object, a.level, a.entity_code, "
        "a.adjustment_id, a.points, e.total_score AS engine_total, s.total_score AS adjusted_total "
        "FROM eval_adjustment a JOIN eval_engine_total e USING (object, level, entity_code) "
        "JOIN eval_score s USING (object, level, entity_code)")
    return applied

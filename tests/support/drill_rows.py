"""The dashboards' drill-down rows (marts.dash_score_case) taken apart into one row per (indicator, role, case).

The drill-down lists a case once, its indicators as two lists of labels (计入分子 / 计入分母, '无' for none, a count
as ``（n次）`` when a post's events count the case more than once). Taken apart, its rows must be exactly the rows
the lineage holds for the unit — one per (indicator, role, case, event) — which is what the table listed before it
was one row per case. ``EXPLODED`` does that in SQL (so ``ORDER BY ALL`` orders as DuckDB orders); ``FROM_LINEAGE``
is the expected answer read from ``marts.score_lineage`` (the view over both ways a version is stored).
"""

from __future__ import annotations

# every column of the drill-down with the two lists replaced by (indicator_label, counted_as), in the order the
# table had when it listed one row per (indicator, role, case)
EXPLODED = """
WITH d AS (SELECT * FROM marts.dash_score_case),
items AS (
    SELECT *, '计入分子' AS counted_as, unnest(string_split(numerator_indicators, '、')) AS item
    FROM d WHERE numerator_indicators <> '无'
    UNION ALL
    SELECT *, '计入分母' AS counted_as, unnest(string_split(denominator_indicators, '、')) AS item
    FROM d WHERE denominator_indicators <> '无'
)
SELECT period_month, object_name, level_name, entity_name,
       regexp_extract(item, '^(.*?)(（\\d+次）)?$', 1) AS indicator_label, counted_as, case_number, reported_at,
       closed_at, status_name, subclass_name, department_name, street_name, district_code, district_name
FROM items, range(coalesce(TRY_CAST(regexp_extract(item, '（(\\d+)次）$', 1) AS INTEGER), 1))
ORDER BY ALL
"""

# (month, object, level, unit, indicator label, role, case number) of every lineage row of the shown versions
FROM_LINEAGE = """
SELECT s.period_month, s.object_name, s.level_name, s.entity_name, coalesce(iv.label, l.indicator),
       CASE WHEN l.role = 'numerator' THEN '计入分子' ELSE '计入分母' END, k.origin_case_id
FROM marts.dash_score s
JOIN marts.score_lineage l ON l.period = s.period_month AND l.version = s.version AND l.object = s.object
    AND l.level = s.level AND l.entity_code = s.entity_code
JOIN core."case" k ON k.case_id = l.case_id
LEFT JOIN marts.indicator_value iv ON iv.period = l.period AND iv.version = l.version AND iv.object = l.object
    AND iv.level = l.level AND iv.entity_code = l.entity_code AND iv.indicator = l.indicator
ORDER BY ALL
"""

# the same seven columns of the exploded drill-down
EXPLODED_KEYS = ("SELECT period_month, object_name, level_name, entity_name, indicator_label, counted_as, case_number "
                 f"FROM ({EXPLODED}) ORDER BY ALL")

-- The cases behind every score (the drill-down), one row per (entity, indicator, role, case[, event]) as the table
-- of migration 0030 had them, derived from the version's frozen rows (migration 0100): a region case counts for
-- the district, street, community and grid it lies in; a department row for its department; a post event for the
-- person who performed it — in the (indicator, role) pairs whose bit is set in its roles. Each branch keeps the
-- entity column a plain column of the stored table, so a filter on one entity is pushed into the scan. Versions
-- computed before 0100 are read from their materialised rows (score_lineage_legacy).
SELECT period, version, object, level, entity_code, indicator, case_id, role, event_seq
FROM marts.score_lineage_legacy
{%- for level in ("district", "street", "community", "grid") %}
UNION ALL
SELECT f.period, f.version, 'region' AS object, '{{ level }}' AS level, f.{{ level }}_code AS entity_code,
       r.indicator, f.case_id, r.role, CAST(NULL AS INTEGER) AS event_seq
FROM marts.score_lineage_fact f
JOIN marts.score_lineage_role r ON r.period = f.period AND r.version = f.version AND r.object = 'region'
    AND (f.roles >> r.bit) & 1 = 1
WHERE f.object = 'region' AND f.{{ level }}_code IS NOT NULL
{%- endfor %}
UNION ALL
SELECT f.period, f.version, 'department' AS object, 'department' AS level, f.entity_code, r.indicator, f.case_id,
       r.role, CAST(NULL AS INTEGER) AS event_seq
FROM marts.score_lineage_fact f
JOIN marts.score_lineage_role r ON r.period = f.period AND r.version = f.version AND r.object = 'department'
    AND (f.roles >> r.bit) & 1 = 1
WHERE f.object = 'department'
UNION ALL
SELECT f.period, f.version, f.object, f.object AS level, f.entity_code, r.indicator, f.event.case_id, r.role,
       f.event.event_seq
FROM (SELECT period, version, object, entity_code, unnest(events) AS event
      FROM marts.score_lineage_fact WHERE object NOT IN ('region', 'department')) f
JOIN marts.score_lineage_role r ON r.period = f.period AND r.version = f.version AND r.object = f.object
    AND (f.event.roles >> r.bit) & 1 = 1

-- Model eval_lineage: the cases behind every indicator of the run, one row per (entity, indicator, role, case[,
-- event]), derived from eval_lineage_fact and the bit table eval_lineage_role (lineage.py) — the rows the stored
-- lineage had, and the same derivation as the warehouse view marts.score_lineage (warehouse/models/marts/).
CREATE OR REPLACE TEMP VIEW eval_lineage AS
{%- for level in ("district", "street", "community", "grid") %}
SELECT 'region' AS object, '{{ level }}' AS level, f.{{ level }}_code AS entity_code, r.indicator, f.case_id, r.role,
       CAST(NULL AS INTEGER) AS event_seq
FROM eval_lineage_fact f
JOIN eval_lineage_role r ON r.object = 'region' AND (f.roles >> r.bit) & 1 = 1
WHERE f.object = 'region' AND f.{{ level }}_code IS NOT NULL
UNION ALL
{%- endfor %}
SELECT 'department', 'department', f.entity_code, r.indicator, f.case_id, r.role, CAST(NULL AS INTEGER)
FROM eval_lineage_fact f
JOIN eval_lineage_role r ON r.object = 'department' AND (f.roles >> r.bit) & 1 = 1
WHERE f.object = 'department'
UNION ALL
SELECT f.object, f.object, f.entity_code, r.indicator, f.event.case_id, r.role, f.event.event_seq
FROM (SELECT object, entity_code, unnest(events) AS event
      FROM eval_lineage_fact WHERE object NOT IN ('region', 'department')) f
JOIN eval_lineage_role r ON r.object = f.object AND (f.event.roles >> r.bit) & 1 = 1;

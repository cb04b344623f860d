-- The cases behind every score (drill-down): one row per case and indicator it counted in.
-- Superset's drill-down table filters this by the clicked unit's name and month (entity_name, period_month), so
-- the model starts from the score rows (marts.dash_score, where the name is) and joins each one to its own fact
-- rows through the column that names its entity — the level's code for a region, entity_code otherwise — the
-- way marts.score_lineage derives its branches: the filter picks one score row first, and only that unit's cases
-- are read and expanded into their (indicator, role) rows, not the month's ≈ 30 rows per case as the join to the
-- whole view did (at 10 M cases, every row of the month before the filter). The expansion takes the version's bits
-- as one list per object and unnests those set in a case's roles after the joins, so the optimiser cannot expand
-- first. The case's words are read from core."case" and the labels as marts.dash_case words them, for the chosen
-- cases only (dash_case computes its columns for every case). Versions stored before migration 0100 are read from
-- their materialised rows (score_lineage_legacy), one row each.
-- A case's words are looked up per row (a correlated subquery, at most one case per id) from reported_at >= the
-- version's bound for the object (score_lineage_bound, migration 0101: the minimum over its cases, so nothing is
-- lost). DuckDB plans the lookup as a join that builds on the unit's distinct cases and probes core."case" with the
-- cases' smallest bound pushed into the scan: core."case" is written in report order, so the row groups reported
-- before it are skipped. A plain join did neither: DuckDB cannot estimate the unit's rows (its name is filtered
-- after the score rows' joins), so it built the hash table on all 10 M case rows, ≈ 90 % of the drill-down's time.
WITH sc AS (
    SELECT s.period_month, s.version, s.object, s.level, s.entity_code, s.object_name, s.level_name, s.entity_name,
           coalesce(b.reported_from, TIMESTAMP '-infinity') AS reported_from
    FROM marts.dash_score s
    LEFT JOIN marts.score_lineage_bound b ON b.period = s.period_month AND b.version = s.version
        AND b.object = s.object
),
bits AS (  -- a version's (indicator, role) bits, one list per object
    SELECT period, version, object, list({'indicator': indicator, 'role': role, 'bit': bit}) AS bits
    FROM marts.score_lineage_role GROUP BY ALL
),
facts AS (
    SELECT sc.*, l.case_id, CAST(1 AS BIGINT) AS roles,
           [{'indicator': l.indicator, 'role': l.role, 'bit': 0}] AS bits
    FROM sc JOIN marts.score_lineage_legacy l ON l.period = sc.period_month AND l.version = sc.version
        AND l.object = sc.object AND l.level = sc.level AND l.entity_code = sc.entity_code
{%- for level in ("district", "street", "community", "grid") %}
    UNION ALL
    SELECT sc.*, f.case_id, f.roles, r.bits
    FROM sc
    JOIN marts.score_lineage_fact f ON f.period = sc.period_month AND f.version = sc.version AND f.object = 'region'
        AND f.{{ level }}_code = sc.entity_code
    JOIN bits r ON r.period = f.period AND r.version = f.version AND r.object = 'region'
    WHERE sc.object = 'region' AND sc.level = '{{ level }}'
{%- endfor %}
    UNION ALL
    SELECT sc.*, f.case_id, f.roles, r.bits
    FROM sc
    JOIN marts.score_lineage_fact f ON f.period = sc.period_month AND f.version = sc.version
        AND f.object = 'department' AND f.entity_code = sc.entity_code
    JOIN bits r ON r.period = f.period AND r.version = f.version AND r.object = 'department'
    WHERE sc.object = 'department' AND sc.level = 'department'
    UNION ALL
    SELECT * EXCLUDE (event, bits), event.case_id, event.roles, bits
    FROM (SELECT sc.*, r.bits, unnest(f.events) AS event  -- the person's events, once the person is chosen
          FROM sc
          JOIN marts.score_lineage_fact f ON f.period = sc.period_month AND f.version = sc.version
              AND f.object = sc.object AND f.entity_code = sc.entity_code
          JOIN bits r ON r.period = f.period AND r.version = f.version AND r.object = f.object
          WHERE sc.object NOT IN ('region', 'department') AND sc.level = sc.object)
),
cased AS (  -- each case (post event) of the unit once, with its words and their labels, before the expansion
    SELECT c.*,
           coalesce(st.label, c.k.status)                          AS status_name,
           coalesce(sub.name, c.k.subclass_code, '未分类')           AS subclass_name,
           coalesce(dep.name, c.k.department_code, '未派遣')         AS department_name,
           coalesce(s.name, c.k.street_code, '未落街道')             AS street_name,
           coalesce(d.name, c.k.district_code, '未落区')             AS district_name
    FROM (
        SELECT f.*,
               (SELECT {'origin_case_id': k.origin_case_id, 'reported_at': k.reported_at, 'closed_at': k.closed_at,
                        'status': k.status, 'subclass_code': k.subclass_code, 'department_code': k.department_code,
                        'street_code': k.street_code, 'district_code': k.district_code, 'edition': k.edition,
                        'kind': k.kind}
                FROM core."case" k WHERE k.case_id = f.case_id AND k.reported_at >= f.reported_from) AS k
        FROM facts f
    ) c
    LEFT JOIN marts.dash_area d ON d.code = c.k.district_code
    LEFT JOIN marts.dash_area s ON s.code = c.k.street_code
    LEFT JOIN core.department dep ON dep.code = c.k.department_code
    LEFT JOIN core.subclass sub ON sub.edition = c.k.edition AND sub.kind = c.k.kind AND sub.code = c.k.subclass_code
    LEFT JOIN marts.dash_label st ON st.domain = 'status' AND st.code = c.k.status
    WHERE c.k IS NOT NULL  -- the case is in core."case" (as the inner join had it)
)
SELECT
    sl.period_month,
    sl.object_name,
    sl.level_name,
    sl.entity_name,
    coalesce(iv.label, sl.indicator)                           AS indicator_label,
    CASE WHEN sl.role = 'numerator' THEN '计入分子' ELSE '计入分母' END AS counted_as,
    sl.k.origin_case_id                                         AS case_number,
    sl.k.reported_at,
    sl.k.closed_at,
    sl.status_name,
    sl.subclass_name,
    sl.department_name,
    sl.street_name,
    sl.k.district_code,
    sl.district_name
FROM (SELECT * EXCLUDE (bits, roles, b), b.indicator, b.role
      FROM (SELECT *, unnest(list_filter(bits, x -> (roles >> x.bit) & 1 = 1)) AS b FROM cased)) sl
LEFT JOIN marts.indicator_value iv ON iv.period = sl.period_month AND iv.version = sl.version AND iv.object = sl.object
    AND iv.level = sl.level AND iv.entity_code = sl.entity_code AND iv.indicator = sl.indicator

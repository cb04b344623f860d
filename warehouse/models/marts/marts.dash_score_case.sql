-- The cases behind every score (drill-down): one row per case of a unit, with the indicators it counted in.
-- Superset's drill-down table filters this by the clicked unit's name and month (entity_name, period_month), so
-- the model starts from the score rows (marts.dash_score, where the name is) and joins each one to its own fact
-- rows through the column that names its entity — the level's code for a region, entity_code otherwise — the
-- way marts.score_lineage derives its branches: the filter picks one score row first, and only that unit's cases
-- are read. Versions stored before migration 0100 are read from their materialised rows (score_lineage_legacy).
--
-- One row per case, not per (indicator, role, case): a district's ≈ 14 rows per case made Superset sort millions
-- of rows for its newest 1,000 at 10 M cases. numerator_indicators / denominator_indicators list the labels of the
-- indicators whose numerator / denominator the case counted in (in the scheme's order, the version's bits), '无'
-- for none — the (indicator, role) rows of the case, nothing dropped. A post counts events: a case counted more
-- than once in one (indicator, role) (a dispatcher dispatching it again after a 回退) says so, e.g. 派遣数（2次）.
-- The lists are computed once per distinct set of roles of the unit (its cases grouped by it, then unnested), not
-- once per case: a district's 442 k cases share 26 sets at 10 M. (As a correlated subquery per case, DuckDB 1.5
-- evaluated it per row: 55 s for that district.)
--
-- A case's words are looked up per case (a correlated subquery, at most one case per id) from reported_at >= the
-- version's bound for the object (score_lineage_bound, migration 0101: the minimum over its cases, so nothing is
-- lost). DuckDB plans the lookup as a join that builds on the unit's distinct cases and probes core."case" with the
-- cases' smallest bound pushed into the scan: core."case" is written in report order, so the row groups reported
-- before it are skipped. A plain join did neither: DuckDB cannot estimate the unit's rows (its name is filtered
-- after the score rows' joins), so it built the hash table on all 10 M case rows. The labels are marts.dash_case's.
WITH sc AS (
    SELECT s.period_month, s.version, s.object, s.level, s.entity_code, s.object_name, s.level_name, s.entity_name,
           coalesce(b.reported_from, TIMESTAMP '-infinity') AS reported_from
    FROM marts.dash_score s
    LEFT JOIN marts.score_lineage_bound b ON b.period = s.period_month AND b.version = s.version
        AND b.object = s.object
),
facts AS (  -- versions stored by derivation: the unit's cases, each with its fact rows' roles (a post: its events')
{%- for level in ("district", "street", "community", "grid") %}
    SELECT sc.*, f.case_id, [f.roles] AS roles
    FROM sc
    JOIN marts.score_lineage_fact f ON f.period = sc.period_month AND f.version = sc.version AND f.object = 'region'
        AND f.{{ level }}_code = sc.entity_code
    WHERE sc.object = 'region' AND sc.level = '{{ level }}'
    UNION ALL
{%- endfor %}
    SELECT sc.*, f.case_id, [f.roles] AS roles
    FROM sc
    JOIN marts.score_lineage_fact f ON f.period = sc.period_month AND f.version = sc.version
        AND f.object = 'department' AND f.entity_code = sc.entity_code
    WHERE sc.object = 'department' AND sc.level = 'department'
    UNION ALL
    SELECT * EXCLUDE (event), event.case_id, list(event.roles ORDER BY event.roles) AS roles
    FROM (SELECT sc.*, unnest(f.events) AS event  -- the person's events, once the person is chosen
          FROM sc
          JOIN marts.score_lineage_fact f ON f.period = sc.period_month AND f.version = sc.version
              AND f.object = sc.object AND f.entity_code = sc.entity_code
          WHERE sc.object NOT IN ('region', 'department') AND sc.level = sc.object)
    GROUP BY ALL
),
combos AS (  -- the unit's distinct sets of roles, each with its cases
    SELECT * EXCLUDE (case_id), list(case_id) AS case_ids FROM facts GROUP BY ALL
),
counted AS (  -- each case once, with the labels of the (indicator, role)s it counted in
    SELECT period_month, version, object, level, entity_code, object_name, level_name, entity_name, reported_from,
           unnest(case_ids) AS case_id, numerator_indicators, denominator_indicators
    FROM (  -- the labels of a set of roles, once for all its cases
        SELECT period_month, version, object, level, entity_code, object_name, level_name, entity_name, reported_from,
               roles, any_value(case_ids) AS case_ids,
               string_agg(label, '、' ORDER BY bit) FILTER (role = 'numerator') AS numerator_indicators,
               string_agg(label, '、' ORDER BY bit) FILTER (role = 'denominator') AS denominator_indicators
        FROM (
            SELECT c.*,
                   coalesce(iv.label, c.indicator) || CASE WHEN c.times > 1 THEN '（' || c.times || '次）' ELSE '' END
                       AS label
            FROM (SELECT c.*, r.bit, r.role, r.indicator,
                         len(list_filter(c.roles, m -> (m >> r.bit) & 1 = 1)) AS times  -- a post's events
                  FROM combos c
                  JOIN marts.score_lineage_role r ON r.period = c.period_month AND r.version = c.version
                      AND r.object = c.object) c
            LEFT JOIN marts.indicator_value iv ON iv.period = c.period_month AND iv.version = c.version
                AND iv.object = c.object AND iv.level = c.level AND iv.entity_code = c.entity_code
                AND iv.indicator = c.indicator
            WHERE c.times > 0
        )
        GROUP BY period_month, version, object, level, entity_code, object_name, level_name, entity_name,
                 reported_from, roles
    )
    UNION ALL
    SELECT * FROM (  -- versions stored before 0100: the unit's rows per (indicator, role, case), in label order
        SELECT sc.*, l.case_id,
               string_agg(label, '、' ORDER BY label) FILTER (role = 'numerator') AS numerator_indicators,
               string_agg(label, '、' ORDER BY label) FILTER (role = 'denominator') AS denominator_indicators
        FROM sc
        JOIN (SELECT l.period, l.version, l.object, l.level, l.entity_code, l.case_id, l.role,
                     coalesce(iv.label, l.indicator) || CASE WHEN count(*) > 1
                         THEN '（' || count(*) || '次）' ELSE '' END AS label
              FROM marts.score_lineage_legacy l
              LEFT JOIN marts.indicator_value iv ON iv.period = l.period AND iv.version = l.version
                  AND iv.object = l.object AND iv.level = l.level AND iv.entity_code = l.entity_code
                  AND iv.indicator = l.indicator
              GROUP BY l.period, l.version, l.object, l.level, l.entity_code, l.case_id, l.role, iv.label,
                  l.indicator) l
            ON l.period = sc.period_month AND l.version = sc.version AND l.object = sc.object
            AND l.level = sc.level AND l.entity_code = sc.entity_code
        GROUP BY ALL
    )
),
cased AS (  -- each case with its words and their labels
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
        FROM counted f
        WHERE f.numerator_indicators IS NOT NULL OR f.denominator_indicators IS NOT NULL
    ) c
    LEFT JOIN marts.dash_area d ON d.code = c.k.district_code
    LEFT JOIN marts.dash_area s ON s.code = c.k.street_code
    LEFT JOIN core.department dep ON dep.code = c.k.department_code
    LEFT JOIN core.subclass sub ON sub.edition = c.k.edition AND sub.kind = c.k.kind AND sub.code = c.k.subclass_code
    LEFT JOIN marts.dash_label st ON st.domain = 'status' AND st.code = c.k.status
    WHERE c.k IS NOT NULL  -- the case is in core."case" (as the inner join had it)
)
SELECT
    period_month,
    object_name,
    level_name,
    entity_name,
    coalesce(numerator_indicators, '无')                        AS numerator_indicators,
    coalesce(denominator_indicators, '无')                      AS denominator_indicators,
    k.origin_case_id                                            AS case_number,
    k.reported_at,
    k.closed_at,
    status_name,
    subclass_name,
    department_name,
    street_name,
    k.district_code,
    district_name
FROM cased

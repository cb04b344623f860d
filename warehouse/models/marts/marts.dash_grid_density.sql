-- Problem density per 单元网格 and month, from the monthly summary (marts.summary_grid_month).
WITH grid AS (
    SELECT grid_code, district_code, street_code, area_m2, geometry_wkt
    FROM core.grid
    QUALIFY row_number() OVER (PARTITION BY grid_code ORDER BY valid_from DESC) = 1
)
SELECT
    strftime(m.period_start, '%Y-%m') AS period_month,
    g.grid_code,
    g.district_code,
    coalesce(d.name, g.district_code) AS district_name,
    coalesce(s.name, g.street_code)   AS street_name,
    m.cases,
    round(m.cases / nullif(g.area_m2 / 10000.0, 0), 2) AS cases_per_ha,
    '[' || regexp_replace(
        regexp_extract(g.geometry_wkt, '\(\(+([^()]+)\)', 1),
        '(-?[0-9.eE+-]+)\s+(-?[0-9.eE+-]+)', '[\1,\2]', 'g'
    ) || ']' AS polygon
FROM marts.summary_grid_month m
JOIN grid g ON g.grid_code = m.grid_code
LEFT JOIN marts.dash_area d ON d.code = g.district_code
LEFT JOIN marts.dash_area s ON s.code = g.street_code

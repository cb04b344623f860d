-- 普查覆盖率: share of each district's unit grids that hold at least one surveyed component.
WITH grid AS (
    SELECT grid_code, district_code FROM core.grid
    QUALIFY row_number() OVER (PARTITION BY grid_code ORDER BY valid_from DESC) = 1
), covered AS (
    SELECT DISTINCT grid_code FROM core.component WHERE valid_to IS NULL AND grid_code IS NOT NULL
)
SELECT
    g.district_code,
    coalesce(d.name, g.district_code)           AS district_name,
    count(*)                                    AS grids,
    count(cv.grid_code)                         AS grids_covered
FROM grid g
LEFT JOIN covered cv ON cv.grid_code = g.grid_code
LEFT JOIN marts.dash_area d ON d.code = g.district_code
GROUP BY ALL

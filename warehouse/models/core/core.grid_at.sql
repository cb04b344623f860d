-- materialized: macro
-- The current 单元网格 each point lies in: core.grid_at('<table or view>') over rows (k, lon, lat), one row per point
-- that lies in a grid: k, grid_code and that grid's community, street and district. Closed grids (core.point_in_grid);
-- a point on the edge shared by several grids takes the SMALLEST code (and that grid's areas), so the same point is
-- placed in the same grid whoever places it: a census component without a declared grid, a case with only
-- coordinates. (A census row that declares one of those grids keeps it: the declared grid is tested first.)
-- A point in no grid has no row. The spatial join (DuckDB spatial's SPATIAL_JOIN) parses each grid once per call.
(points) AS TABLE
WITH current_grid AS (
    SELECT grid_code, community_code, street_code, district_code, ST_GeomFromText(geometry_wkt) AS geom
    FROM core.grid
    WHERE valid_to IS NULL
)
SELECT
    p.k,
    min(g.grid_code)                          AS grid_code,
    arg_min(g.community_code, g.grid_code)    AS community_code,
    arg_min(g.street_code, g.grid_code)       AS street_code,
    arg_min(g.district_code, g.grid_code)     AS district_code
FROM query_table(points) p
JOIN current_grid g ON core.point_in_grid(g.geom, p.lon, p.lat)
GROUP BY p.k

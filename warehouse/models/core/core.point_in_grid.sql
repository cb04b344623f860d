-- materialized: macro
-- The point-in-grid rule, the one place it is spelled (census ingest, case import and every later reader use it):
-- a 单元网格 is a CLOSED area, so a point on its edge lies in it. ST_Intersects, not ST_Contains: ST_Contains leaves
-- the boundary out, and a component surveyed on the kerb line between two grids would then lie in none. Where a point
-- lies on the edge shared by two grids it is in both; who wins is core.grid_at's rule (a declared grid first, else
-- the smaller code).
(grid_geom, lon, lat) AS ST_Intersects(grid_geom, ST_Point(lon, lat))

"""Geography of the synthetic city: built-up areas inside the real district boundaries, 街道 parts, generated
社区 and ~100 m × 100 m unit grids (万米单元网格) with 15-digit codes, plus a synthetic road lattice.

Work happens in a CGCS2000 3-degree Gauss-Krüger projection chosen per district (metres); outputs are CGCS2000
lon/lat (EPSG:4490). Grids are lattice cells clipped to the built-up area, so they tile it without overlap; edge
slivers are merged into a neighbour. Grid serials run from north to south and, within a row, west to east.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import shapely
import shapely.affinity
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry

GEOGRAPHIC_EPSG = 4490  # CGCS2000 lon/lat


def gauss_kruger_epsg(lon: float) -> int:
    """EPSG code of the CGCS2000 3-degree Gauss-Krüger zone (without zone prefix) whose central meridian is
    nearest ``lon``: CM 75°E is EPSG:4534 … CM 135°E is EPSG:4554 (112.43°E → CM 111°E → EPSG:4546)."""
    cm = 3 * round(lon / 3)
    if not 75 <= cm <= 135:
        raise ValueError(f"longitude {lon} is outside China's CGCS2000 3-degree zones")
    epsg = 4534 + (cm - 75) // 3
    name = CRS.from_epsg(epsg).name
    if f"CM {cm}E" not in name:  # guard against a wrong table rather than trusting arithmetic
        raise ValueError(f"EPSG:{epsg} is {name!r}, expected CM {cm}E")
    return epsg


@dataclass
class StreetInput:
    code: str  # 12-digit statistical code of the 街道/乡镇
    name: str


@dataclass
class DistrictGeography:
    """One district's built-up area in its projected CRS, with the lattice that maps points to grids."""

    district_code: str
    district_name: str
    epsg: int
    to_projected: Transformer
    to_geographic: Transformer
    built_up: BaseGeometry  # projected
    x0: float
    y0: float
    lattice: np.ndarray  # [row from south, column from west] -> global grid index, -1 outside
    inner: BaseGeometry  # built_up shrunk by 1 m: points placed here are safely inside a grid
    roads: np.ndarray = field(default_factory=lambda: np.zeros((0, 4)))  # x0, y0, x1, y1 (axis-aligned)


@dataclass
class CityGeography:
    districts: list[DistrictGeography]
    grids: pd.DataFrame  # one row per grid; geometry_xy = projected shapely polygons, geometry = lon/lat
    communities: pd.DataFrame
    size_m: float

    def district(self, code: str) -> DistrictGeography:
        for d in self.districts:
            if d.district_code == code:
                return d
        raise KeyError(code)

    def locate(self, district: DistrictGeography, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Global grid index of projected points (−1 where no grid)."""
        col = np.floor((x - district.x0) / self.size_m).astype(np.int64)
        row = np.floor((y - district.y0) / self.size_m).astype(np.int64)
        ny, nx = district.lattice.shape
        ok = (col >= 0) & (col < nx) & (row >= 0) & (row < ny)
        out = np.full(len(x), -1, dtype=np.int64)
        out[ok] = district.lattice[row[ok], col[ok]]
        return out

    def keep_off_edges(self, x: np.ndarray, y: np.ndarray,
                       district: DistrictGeography) -> tuple[np.ndarray, np.ndarray]:
        """Nudge points lying within 0.5 m of a lattice line so rounding never moves them into another grid."""
        s = self.size_m
        for arr, origin in ((x, district.x0), (y, district.y0)):
            frac = np.mod(arr - origin, s)
            arr[frac < 0.5] += 0.5
            arr[frac > s - 0.5] -= 0.5
        return x, y


def _blob(cx: float, cy: float, area_m2: float, rng: np.random.Generator) -> BaseGeometry:
    """A compact, irregular town outline of the requested area around (cx, cy)."""
    theta = np.linspace(0, 2 * np.pi, 96, endpoint=False)
    r = np.ones_like(theta)
    for k in (2, 3, 4, 5):
        r += rng.uniform(0.02, 0.09) * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    poly = shapely.Polygon(np.c_[cx + r * np.cos(theta), cy + r * np.sin(theta)])
    return shapely.affinity.scale(poly, *(2 * [np.sqrt(area_m2 / poly.area)]), origin=(cx, cy))


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


_Cells = tuple[list[Any], list[tuple[int, int]], dict[tuple[int, int], int], float, float, int, int]


def _cells(built_up: BaseGeometry, size: float, sliver_m2: float) -> _Cells:
    minx, miny, maxx, maxy = built_up.bounds
    x0, y0 = np.floor(minx / size) * size, np.floor(miny / size) * size
    nx, ny = int(np.ceil((maxx - x0) / size)), int(np.ceil((maxy - y0) / size))
    grid_cols, grid_rows = np.meshgrid(np.arange(nx), np.arange(ny))
    cols, rows = grid_cols.ravel(), grid_rows.ravel()
    boxes = shapely.box(x0 + cols * size, y0 + rows * size, x0 + (cols + 1) * size, y0 + (rows + 1) * size)
    shapely.prepare(built_up)
    inside = shapely.contains(built_up, boxes)
    touching = shapely.intersects(built_up, boxes) & ~inside
    geoms = np.array(boxes, dtype=object)
    geoms[touching] = [_polygonal(g) for g in shapely.intersection(boxes[touching], built_up)]
    keep = (inside | touching) & (shapely.area(geoms) > 1.0)
    cells = {(int(c), int(r)): g for c, r, g in zip(cols[keep], rows[keep], geoms[keep], strict=True)}
    # Merge small edge pieces into the neighbour they share most boundary with.
    owner: dict[tuple[int, int], tuple[int, int]] = {k: k for k in cells}
    for key in sorted(k for k, g in cells.items() if g.area < sliver_m2):
        c, r = key
        best, best_len = None, 1.0
        for nb in ((c - 1, r), (c + 1, r), (c, r - 1), (c, r + 1)):
            if nb in cells and cells[nb].area >= sliver_m2 and owner[nb] == nb:
                shared = cells[key].boundary.intersection(cells[nb].boundary).length
                if shared > best_len:
                    best, best_len = nb, shared
        if best is not None:
            owner[key] = best
    merged: dict[tuple[int, int], list[Any]] = {}
    for key, target in owner.items():
        merged.setdefault(target, []).append(cells[key])
    keys = sorted(merged, key=lambda k: (k[1], k[0]))
    polys = [g[0] if len(g) == 1 else _polygonal(shapely.union_all(g)) for g in (merged[k] for k in keys)]
    index = {k: i for i, k in enumerate(keys)}
    lookup = {k: index[t] for k, t in owner.items()}
    return polys, keys, lookup, float(x0), float(y0), nx, ny


def _kmeans(points: np.ndarray, k: int, rng: np.random.Generator, iters: int = 8) -> np.ndarray:
    centres = points[rng.choice(len(points), size=k, replace=False)]
    for _ in range(iters):
        label = np.argmin(((points[:, None, :] - centres[None, :, :]) ** 2).sum(-1), axis=1)
        for j in range(k):
            if np.any(label == j):
                centres[j] = points[label == j].mean(axis=0)
    return centres


def _roads(built_up: BaseGeometry, spacing: tuple[float, float], rng: np.random.Generator) -> np.ndarray:
    minx, miny, maxx, maxy = built_up.bounds
    inner = built_up.buffer(-15)
    segs: list[tuple[float, float, float, float]] = []
    for vertical in (True, False):
        lo, hi = (minx, maxx) if vertical else (miny, maxy)
        pos = lo + rng.uniform(*spacing) / 2
        while pos < hi:
            line = shapely.LineString([(pos, miny), (pos, maxy)] if vertical else [(minx, pos), (maxx, pos)])
            for part in shapely.get_parts(line.intersection(inner)):
                if part.geom_type == "LineString" and part.length > 50:
                    (ax, ay), (bx, by) = part.coords[0], part.coords[-1]
                    segs.append((ax, ay, bx, by))
            pos += rng.uniform(*spacing)
    return np.array(segs, dtype=float).reshape(-1, 4)


def community_names(params: dict[str, Any], n: int, rng: np.random.Generator) -> list[str]:
    first, second = params["community_names"]["first"], params["community_names"]["second"]
    base = [f"{a}{b}社区" for a in first for b in second]
    names = [base[i] for i in rng.permutation(len(base))]
    extra = 2
    while len(names) < n:  # more communities than name combinations: 第二、第三… 社区
        names += [f"{c[:-2]}{extra}社区" for c in names[: len(base)]]
        extra += 1
    return names[:n]


def area_growth(params: dict[str, Any], scale: float) -> float:
    """Factor by which every built-up area grows at ``scale``: 1 up to scale 1, then scale ** exponent (a city
    grows outwards much slower than its workload; see docs/synthetic-city.md)."""
    exponent = float(params.get("built_up_growth", {}).get("exponent", 0.0))
    return float(max(1.0, scale) ** exponent)


def _ring_seeds(cx: float, cy: float, area_m2: float, n: int) -> np.ndarray:
    """Seed points of the 街道/乡镇 that take over the grown ring: evenly around the centre, 3/4 of the way out."""
    radius = 0.75 * np.sqrt(area_m2 / np.pi)
    theta = np.pi / 2 - 2 * np.pi * np.arange(n) / max(n, 1)  # from north, clockwise
    return np.c_[cx + radius * np.cos(theta), cy + radius * np.sin(theta)]


def build_geography(
    params: dict[str, Any],
    districts: dict[str, tuple[str, BaseGeometry]],
    streets: dict[str, list[StreetInput]],
    scale: float = 1.0,
) -> CityGeography:
    """Build the city. ``districts`` maps district code → (name, lon/lat boundary); ``streets`` maps district
    code → its 街道/乡镇 (real 12-digit codes). Above scale 1 each built-up outline is enlarged by
    ``area_growth`` (capped at ``built_up_growth.max_district_share`` of the district, and clipped to its real
    boundary); the grown ring is shared among the district's other 街道/乡镇, one per ``ring_street_km2``."""
    rng = np.random.default_rng(int(params["geography_seed"]))
    size = float(params["grid_size_m"])
    growth_cfg = params.get("built_up_growth", {})
    growth = area_growth(params, scale)
    grid_rows: list[dict[str, Any]] = []
    comm_rows: list[dict[str, Any]] = []
    out: list[DistrictGeography] = []
    expected_km2 = growth * sum(float(b["area_km2"]) for b in params["built_up"])
    names_pool = iter(community_names(params, max(2000, int(3 * expected_km2 / float(params["community_area_km2"]))),
                                      rng))
    for spec in params["built_up"]:
        dcode = str(spec["district"])
        dname, boundary = districts[dcode]
        lon, lat = spec["centre"]
        epsg = gauss_kruger_epsg(lon)
        fwd = Transformer.from_crs(GEOGRAPHIC_EPSG, epsg, always_xy=True)
        inv = Transformer.from_crs(epsg, GEOGRAPHIC_EPSG, always_xy=True)
        cx, cy = fwd.transform(lon, lat)
        district_xy = shapely.make_valid(
            shapely.transform(boundary, lambda xy, fwd=fwd: np.c_[fwd.transform(xy[:, 0], xy[:, 1])]))
        area_m2 = float(spec["area_km2"]) * 1e6
        blob = _blob(cx, cy, area_m2, rng)
        core = blob
        if growth > 1.0:
            cap = float(growth_cfg.get("max_district_share", 1.0)) * district_xy.area
            grown_m2 = max(area_m2, min(area_m2 * growth, cap))
            blob = shapely.affinity.scale(blob, *(2 * [np.sqrt(grown_m2 / area_m2)]), origin=(cx, cy))
        built = _polygonal(shapely.make_valid(blob.intersection(district_xy)))
        polys, keys, lookup, x0, y0, nx, ny = _cells(built, size, float(params.get("sliver_merge_m2", 3000)))
        built = _polygonal(shapely.union_all(polys))
        lattice = np.full((ny, nx), -1, dtype=np.int64)
        base = len(grid_rows)
        for (c, r), i in lookup.items():
            lattice[r, c] = base + i
        # 街道 parts: nearest street seed; 社区: k-means inside each part.
        cent = np.array([[p.centroid.x, p.centroid.y] for p in polys])
        by_code = {s.code[6:9]: s for s in streets[dcode]}
        street_keys = list(spec["streets"])
        missing = [k for k in street_keys if k not in by_code]
        if missing:
            raise KeyError(f"district {dcode}: streets {missing} not in the area tree")
        seeds = np.array([[cx + 1000 * spec["streets"][k][0], cy + 1000 * spec["streets"][k][1]] for k in street_keys])
        street_of = np.argmin(((cent[:, None, :] - seeds[None]) ** 2).sum(-1), axis=1)
        if growth > 1.0:  # the grown ring goes to the district's other 街道/乡镇, in area-tree order
            in_ring = ~shapely.contains_xy(core, cent[:, 0], cent[:, 1])
            ring_km2 = sum(polys[i].area for i in np.flatnonzero(in_ring)) / 1e6
            others = [k for k in by_code if k not in spec["streets"]]
            n_ring = min(len(others), max(1, round(ring_km2 / float(growth_cfg.get("ring_street_km2", 40)))))
            if n_ring and in_ring.any():
                ring_seeds = _ring_seeds(cx, cy, built.area, n_ring)
                near = np.argmin(((cent[in_ring][:, None, :] - ring_seeds[None]) ** 2).sum(-1), axis=1)
                street_of[in_ring] = len(street_keys) + near
                street_keys += others[:n_ring]
        community_of = np.zeros(len(polys), dtype=np.int64)
        comm_code_of = np.empty(len(polys), dtype=object)
        for s_i, skey in enumerate(street_keys):
            members = np.flatnonzero(street_of == s_i)
            if len(members) == 0:
                continue
            area_km2 = sum(polys[m].area for m in members) / 1e6
            k = int(max(1, min(len(members), round(area_km2 / float(params["community_area_km2"])))))
            centres = _kmeans(cent[members], k, rng)
            label = np.argmin(((cent[members][:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
            # community serials follow the same north→south, west→east order as grids
            order = sorted(range(k), key=lambda j: (-round(centres[j][1], -2), centres[j][0]))
            rank = {j: n for n, j in enumerate(order)}
            street = by_code[skey]
            for j in range(k):
                sel = members[label == j]
                if len(sel) == 0:
                    continue
                ccode = f"{street.code[:9]}{rank[j] + 1:03d}"
                comm_code_of[sel] = ccode
                community_of[sel] = len(comm_rows)
                comm_rows.append({"community_code": ccode, "community_name": next(names_pool),
                                  "street_code": street.code, "street_name": street.name,
                                  "district_code": dcode, "district_name": dname})
        for ci in np.unique(community_of):
            sel = np.flatnonzero(community_of == ci)
            sel = sorted(sel, key=lambda i: (-keys[i][1], keys[i][0]))  # north→south, then west→east
            if len(sel) > 999:
                raise ValueError(f"community {comm_rows[ci]['community_code']} has {len(sel)} grids (max 999)")
            for serial, i in enumerate(sel, 1):
                crow = comm_rows[ci]
                grid_rows.append({
                    "_local": i,
                    "grid_code": f"{dcode}{crow['street_code'][6:9]}{crow['community_code'][9:12]}{serial:03d}",
                    "community_code": crow["community_code"], "street_code": crow["street_code"],
                    "district_code": dcode, "col": keys[i][0], "row": keys[i][1], "geometry_xy": polys[i],
                })
        # grid_rows for this district were appended community by community: remap the lattice to that order
        local_to_global = np.empty(len(polys), dtype=np.int64)
        for g in range(base, len(grid_rows)):
            local_to_global[grid_rows[g]["_local"]] = g
        lat_ok = lattice >= 0
        lattice[lat_ok] = local_to_global[lattice[lat_ok] - base]
        roads = _roads(built, tuple(params["roads"]["spacing_m"]), rng)
        out.append(DistrictGeography(dcode, dname, epsg, fwd, inv, built, x0, y0, lattice, built.buffer(-1.0), roads))
    grids = pd.DataFrame(grid_rows).drop(columns="_local")
    grids["area_m2"] = shapely.area(np.array(grids["geometry_xy"], dtype=object)).round(1)
    geo = []
    for d in out:
        sel = grids["district_code"] == d.district_code
        geo += list(shapely.transform(np.array(grids.loc[sel, "geometry_xy"], dtype=object),
                                      lambda xy, d=d: np.c_[d.to_geographic.transform(xy[:, 0], xy[:, 1])],
                                      include_z=False))
    grids["geometry"] = geo
    communities = pd.DataFrame(comm_rows)
    cgeo = grids.groupby("community_code")["geometry"].agg(lambda s: shapely.union_all(list(s)))
    communities["geometry"] = communities["community_code"].map(cgeo)
    communities["grid_count"] = communities["community_code"].map(grids.groupby("community_code").size())
    return CityGeography(out, grids, communities, size)


def to_lonlat(district: DistrictGeography, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = district.to_geographic.transform(x, y)
    return np.asarray(lon), np.asarray(lat)

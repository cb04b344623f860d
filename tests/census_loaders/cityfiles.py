"""Small input files for the census tests: a lattice of unit grids inside 朔城区 and census batches on it."""

from __future__ import annotations

import csv
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import box

DISTRICT = "140602"  # 朔城区
STREET = "140602001"  # 北城街道
LON0, LAT0 = 112.43, 39.33  # south-west corner, inside 朔城区
DLON, DLAT = 0.0012, 0.0009  # about 100 m × 100 m
COLS, ROWS = 8, 6  # 48 grids, 4 communities of 2 × 6 columns
HEADER = ["OBJCODE", "OBJNAME", "DEPTCODE1", "DEPTNAME1", "DEPTCODE2", "DEPTNAME2", "DEPTCODE3", "DEPTNAME3",
          "BGCODE", "OBJSTATE", "ORDATE", "CHDATE", "PHOTO", "X", "Y"]


def grid_code(col: int, row: int) -> str:
    community = col // 2 + 1
    serial = (ROWS - 1 - row) * 2 + col % 2 + 1  # north to south, west to east within a community
    return f"{STREET}{community:03d}{serial:03d}"


def grid_frame() -> gpd.GeoDataFrame:
    records = []
    for col in range(COLS):
        for row in range(ROWS):
            x0, y0 = LON0 + col * DLON, LAT0 + row * DLAT
            records.append({"grid_code": grid_code(col, row), "community_name": f"测试社区{col // 2 + 1}",
                            "geometry": box(x0, y0, x0 + DLON, y0 + DLAT)})
    return gpd.GeoDataFrame(records, crs="EPSG:4490")


def write_grids(path: Path) -> Path:
    grid_frame().to_file(path, driver="GPKG" if path.suffix == ".gpkg" else "GeoJSON")
    return path


def cell_centre(col: int, row: int, dx: float = 0.5, dy: float = 0.5) -> tuple[float, float]:
    return LON0 + (col + dx) * DLON, LAT0 + (row + dy) * DLAT


def census_rows(n: int = 20, start_serial: int = 1, subclass: str = "01001", state: str = "完好",
                date: str = "20260801") -> list[dict[str, str]]:
    """``n`` valid manhole covers spread over the lattice, each in its declared grid."""
    rows = []
    for i in range(n):
        col, row = i % COLS, (i // COLS) % ROWS
        lon, lat = cell_centre(col, row, 0.2 + 0.6 * ((i * 7) % 10) / 10, 0.3 + 0.4 * ((i * 3) % 10) / 10)
        rows.append({
            "OBJCODE": f"{DISTRICT}{subclass}{start_serial + i:06d}", "OBJNAME": "供水井盖",
            "DEPTCODE1": "14060005", "DEPTNAME1": "朔州市市政设施服务中心", "DEPTCODE2": "", "DEPTNAME2": "",
            "DEPTCODE3": "", "DEPTNAME3": "", "BGCODE": grid_code(col, row), "OBJSTATE": state,
            "ORDATE": date, "CHDATE": "", "PHOTO": f"p{i}.jpg", "X": f"{lon:.7f}", "Y": f"{lat:.7f}",
        })
    return rows


def write_csv(path: Path, rows: list[dict[str, str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return path


def points_frame(rows: list[dict[str, str]]) -> gpd.GeoDataFrame:
    frame = pd.DataFrame(rows)
    geometry = gpd.points_from_xy(frame["X"].astype(float), frame["Y"].astype(float))
    return gpd.GeoDataFrame(frame.drop(columns=["X", "Y"]), geometry=geometry, crs="EPSG:4490")


def centre_lonlat() -> tuple[float, float]:
    return float(LON0 + COLS * DLON / 2), float(LAT0 + ROWS * DLAT / 2)




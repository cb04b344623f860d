"""--scale grows the city, not only its workload: bigger built-up areas inside the real districts, more grids,
communities and 街道/乡镇; defects reach every chunk; the call log is written month by month."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq
import shapely

from synth.city import Options, build_city_geography, generate_city
from synth.params import load_params


def test_a_larger_scale_grows_the_built_up_area_inside_the_real_districts(standards_inputs: dict,
                                                                        city_dir: Path) -> None:
    params = load_params()
    small = gpd.read_file(city_dir / "geography" / "grids.gpkg")  # scale 0.5 = the demo city
    geo = build_city_geography(standards_inputs, params, 3.0)
    grids = geo.grids
    assert 1.3 * len(small) < len(grids) < 1.7 * len(small)  # area × 3 ** 0.34 ≈ 1.45
    assert grids["grid_code"].is_unique and (grids["grid_code"].str.len() == 15).all()
    assert grids["street_code"].nunique() > small["grid_code"].str[6:9].nunique()  # the ring joins other 乡镇
    tree = standards_inputs["tree"]
    for d in geo.districts:
        boundary = tree.district_geometry(d.district_code)
        sel = grids[grids["district_code"] == d.district_code]
        centres = shapely.centroid(gpd.GeoSeries(sel["geometry"], crs="EPSG:4490").to_numpy())
        assert shapely.contains(boundary.buffer(1e-6), centres).all(), d.district_code


def test_dirty_defects_and_hotline_months_reach_every_chunk(tmp_path: Path) -> None:
    out = tmp_path / "chunked"
    summary = generate_city(Options(out, scale=0.3, months=2, seed=3, dirty=True, chunk_cases=300))
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for rel in ("cases/cases.parquet", "cases/case_events.parquet"):
        meta = pq.ParquetFile(out / rel).metadata
        assert meta.num_row_groups >= 5
        bounds = [0]
        for i in range(meta.num_row_groups):
            bounds.append(bounds[-1] + meta.row_group(i).num_rows)
        rows = [e["row"] for e in manifest["defects"] if e["file"] == rel]
        hit = {next(i for i in range(len(bounds) - 1) if bounds[i] < r <= bounds[i + 1]) for r in rows}
        assert hit == set(range(meta.num_row_groups)), rel
    assert not (out / "hotline" / ".spool").exists()
    calls = 0
    for f in sorted((out / "hotline" / "raw").glob("*.csv")):
        df = pd.read_csv(f, dtype=str, keep_default_na=False)
        calls += len(df)
        iso = df["called_at"].str.match(r"\d{4}-\d\d-\d\d ")
        assert (df.loc[iso, "called_at"].str[:7] == f.stem).all()  # every call in its month's file
    assert calls == summary["counts"]["hotline_calls"]

"""Census batches arrive in every format survey teams deliver, with valid ids, inside their declared grids."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from standards.codes import check_component_id
from synth.census import CENSUS_FIELDS


def read_batch(root: Path, rel: str, encoding: str | None = None) -> pd.DataFrame:
    """How an ingestion step would read one batch file (all values as text)."""
    path = root / rel
    if rel.endswith(".csv"):
        raw = path.read_bytes()
        enc = encoding or "utf-8"
        if raw.startswith(b"\xef\xbb\xbf"):
            enc = "utf-8-sig"
        return pd.read_csv(io.BytesIO(raw), encoding=enc, dtype=str, keep_default_na=False)
    if rel.endswith(".xlsx"):
        return pd.read_excel(path, dtype=str, keep_default_na=False)
    df = gpd.read_file(f"zip://{path}" if rel.endswith(".zip") else path)
    df = pd.DataFrame(df.drop(columns="geometry")).astype(object)
    return df.where(df.notna(), "")


def test_batches_cover_all_formats_with_standard_fields(city_dir: Path) -> None:
    batches = pd.read_csv(city_dir / "census" / "batches.csv", dtype=str)
    assert set(batches["format"]) == {"csv_utf8", "csv_gbk", "xlsx", "gpkg", "shp_zip"}
    total = 0
    for b in batches.itertuples():
        df = read_batch(city_dir, b.file, "gbk" if b.format == "csv_gbk" else None)
        assert list(df.columns)[: len(CENSUS_FIELDS)] == list(CENSUS_FIELDS), b.file
        assert len(df) == int(b.rows)
        total += len(df)
    truth = pd.read_parquet(city_dir / "census" / "components.parquet")
    assert total == len(truth)
    with zipfile.ZipFile(city_dir / batches.loc[batches["format"] == "shp_zip", "file"].iloc[0]) as zf:
        assert {n.rsplit(".", 1)[1] for n in zf.namelist()} >= {"shp", "shx", "dbf", "prj", "cpg"}


def test_gbk_batches_are_really_gbk(city_dir: Path) -> None:
    batches = pd.read_csv(city_dir / "census" / "batches.csv", dtype=str)
    rel = batches.loc[batches["format"] == "csv_gbk", "file"].iloc[0]
    raw = (city_dir / rel).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert "OBJNAME" in raw.decode("gbk")


def test_component_ids_valid_unique_and_for_the_city_edition(city_dir: Path, standards_inputs: dict) -> None:
    truth = pd.read_parquet(city_dir / "census" / "components.parquet")
    assert truth["OBJCODE"].is_unique
    cat, tree = standards_inputs["catalogue"], standards_inputs["tree"]
    bad = [str(c) for c in (check_component_id(v, cat, tree) for v in truth["OBJCODE"]) if not c.valid]
    assert bad == []
    assert (truth["OBJCODE"].str.len() == 6 + cat.code_digits + 6).all()
    assert set(truth["OBJSTATE"]) <= {"完好", "破损", "丢失", "占用"}


def test_every_component_lies_inside_its_declared_grid(city_dir: Path) -> None:
    grids = gpd.read_file(city_dir / "geography" / "grids.gpkg")
    truth = pd.read_parquet(city_dir / "census" / "components.parquet")
    pts = gpd.GeoDataFrame(truth, geometry=gpd.points_from_xy(truth["X"], truth["Y"]), crs=4490)
    joined = gpd.sjoin(pts, grids[["grid_code", "geometry"]], predicate="within", how="left")
    assert len(joined) == len(truth)
    assert (joined["grid_code"] == joined["BGCODE"]).all()


def test_street_furniture_follows_roads(city_dir: Path) -> None:
    """Lamps come in runs along roads: most have a neighbour lamp 25–45 m away."""
    truth = pd.read_parquet(city_dir / "census" / "components.parquet")
    lamps = truth[truth["OBJNAME"] == "路灯"]
    assert len(lamps) > 50
    pts = gpd.GeoSeries(gpd.points_from_xy(lamps["X"], lamps["Y"]), crs=4490).to_crs(4546)
    xy = pd.DataFrame({"x": pts.x, "y": pts.y}).to_numpy()
    import numpy as np

    d = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(d, np.inf)
    nearest = d.min(axis=1)
    assert np.median(nearest) == pytest.approx(35, abs=8)

"""One chunk as delivered → the canonical census frame the quality suite and the load use (vectorised)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from census_loaders.config import CensusConfig
from census_loaders.crs import GEOGRAPHIC, PROJECTED, PROJECTED_ZONE, SWAPPED, UNKNOWN, to_cgcs2000
from census_loaders.mapping import Mapping

STAGE_COLUMNS = (
    "row_number", "component_id", "subclass_code", "name",
    "owner_department_code", "property_department_code", "maintenance_department_code",
    "grid_code", "state", "initial_date", "change_date", "valid_from", "photo",
    "lon", "lat", "lon_gcj", "lat_gcj", "geometry_wkt",
)
TEXT_FIELDS = ("component_id", "name", "owner_department_code", "owner_department_name",
               "property_department_code", "property_department_name", "maintenance_department_code",
               "maintenance_department_name", "grid_code", "state", "photo")


@dataclass
class PrepareContext:
    mapping: Mapping
    columns: dict[str, str]  # target -> source column in this file
    config: CensusConfig
    edition: str
    id_digits: int
    subclass_digits: int
    city_bounds: tuple[float, float, float, float]
    declared_crs: str | None  # file CRS or mapping crs
    spatial: bool
    known_departments: frozenset[str]


def _parse_dates(text: pd.Series, formats: tuple[str, ...]) -> pd.Series:
    result = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]")
    todo = text.notna()
    for fmt in formats:
        if not todo.any():
            break
        parsed = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        hit = parsed.notna()
        result.loc[parsed.index[hit]] = parsed[hit].astype("datetime64[us]")
        todo.loc[parsed.index[hit]] = False
    return result


def _text(chunk: pd.DataFrame, column: str | None) -> pd.Series:
    if column is None:
        return pd.Series([None] * len(chunk), index=chunk.index, dtype="str")
    series = chunk[column].astype("str").where(chunk[column].notna(), None)
    series = series.str.strip()
    return series.where(series != "", None)


def prepare_chunk(chunk: pd.DataFrame, ctx: PrepareContext) -> pd.DataFrame:
    cols = ctx.columns
    out = pd.DataFrame({"row_number": chunk["row_number"].to_numpy()}, index=chunk.index)
    texts: dict[str | None, pd.Series] = {}  # each source column trimmed once, however many fields read it

    def text(target: str) -> pd.Series:
        column = cols.get(target)
        if column not in texts:
            texts[column] = _text(chunk, column)
        return texts[column]

    for target in TEXT_FIELDS:
        out[target] = text(target)
    for target in ctx.mapping.required:  # presence as delivered (a value may be present and still invalid)
        out[f"req_{target}"] = text(target)
    # State words: the mapping's own words first, then the census vocabulary (dict lookups, vectorised).
    vocabulary = {**ctx.config.states, **{v: v for v in set(ctx.config.states.values())}}
    lookup = {**vocabulary, **{w: vocabulary.get(v.lower(), v) for w, v in ctx.mapping.values.get("state", {}).items()}}
    lowered = out["state"].str.lower()
    out["state"] = lowered.map(lookup).astype("str")
    out["state_unknown"] = text("state").where(out["state"].isna() & lowered.notna(), None)
    cid = out["component_id"]
    good_id = cid.str.fullmatch(rf"[0-9]{{{ctx.id_digits}}}").fillna(False).astype(bool)
    out["subclass_code"] = cid.str.slice(6, 6 + ctx.subclass_digits).where(good_id, None)
    out["admin_prefix"] = cid.str.slice(0, 6).where(good_id, None)
    for target in ("initial_date", "change_date"):
        raw = text(target)
        parsed = _parse_dates(raw, ctx.mapping.date_formats)
        out[target] = parsed
        out[f"{target}_unparsed"] = raw.where(raw.notna() & parsed.isna(), None)
        # As a YYYYMMDD number: GX checks ranges of numbers vectorised, of datetimes row by row.
        out[f"{target}_day"] = (parsed.dt.year * 10000 + parsed.dt.month * 100 + parsed.dt.day).astype("Int64")
    out["valid_from"] = out["change_date"].fillna(out["initial_date"])
    # Coordinates: the geometry for spatial formats, X/Y columns otherwise.
    if ctx.spatial:
        x = pd.to_numeric(chunk["__x"], errors="coerce").to_numpy(dtype=float)
        y = pd.to_numeric(chunk["__y"], errors="coerce").to_numpy(dtype=float)
        geom_type = chunk["__geom_type"]
        wkt = chunk["__wkt"]
    else:
        x = pd.to_numeric(text("x"), errors="coerce").to_numpy(dtype=float)
        y = pd.to_numeric(text("y"), errors="coerce").to_numpy(dtype=float)
        geom_type = pd.Series("Point", index=chunk.index, dtype="str")
        wkt = pd.Series(None, index=chunk.index, dtype="str")
    missing = np.isnan(x) | np.isnan(y)
    lon, lat, kind, crs_used = to_cgcs2000(np.nan_to_num(x), np.nan_to_num(y), ctx.declared_crs, ctx.city_bounds)
    lon[missing] = np.nan
    lat[missing] = np.nan
    out.attrs["crs_used"] = crs_used
    kind = pd.Series(kind, index=chunk.index)
    kind[missing] = "missing"
    shown = pd.Series(None, index=chunk.index, dtype="str")
    odd = (kind != GEOGRAPHIC).to_numpy()  # text for the report only where a problem may be reported
    if odd.any():
        shown[odd] = [f"X={a}, Y={b}" for a, b in zip(x[odd], y[odd], strict=True)]
    out["coord_missing"] = shown.where(missing, None)
    out["coord_swapped"] = shown.where(kind == SWAPPED, None)
    out["coord_unknown"] = shown.where(kind == UNKNOWN, None)
    # Mixed CRS: rows of a usable kind other than the file's dominant one.
    usable = kind.isin([GEOGRAPHIC, PROJECTED, PROJECTED_ZONE])
    projected_like = kind.isin([PROJECTED, PROJECTED_ZONE])
    if ctx.declared_crs is None and usable.any():
        dominant_projected = projected_like.sum() > (kind == GEOGRAPHIC).sum()
        other = (kind == GEOGRAPHIC) if dominant_projected else projected_like
        out["coord_mixed"] = shown.where(other, None)
    else:
        out["coord_mixed"] = pd.Series(None, index=chunk.index, dtype="str")
    bad = (out["coord_swapped"].notna() | out["coord_unknown"].notna() | out["coord_mixed"].notna()).to_numpy()
    lon[bad] = np.nan
    lat[bad] = np.nan
    out["lon"] = lon
    out["lat"] = lat
    # Where the point would be if it were GCJ-02: filled later, only for the rows the GCJ-02 checks look at.
    out["lon_gcj"] = np.nan
    out["lat_gcj"] = np.nan
    # Geometry kind allowed for the subclass (points are the norm; lines/polygons only where configured).
    if ctx.spatial:
        actual = pd.Series(np.select([geom_type.str.contains("Point", na=False),
                                      geom_type.str.contains("Line", na=False),
                                      geom_type.str.contains("Polygon", na=False)],
                                     ["point", "line", "polygon"], default=""), index=chunk.index, dtype="str")
        actual = actual.where(geom_type.notna() & (actual != ""), None)
    else:
        actual = pd.Series("point", index=chunk.index, dtype="str")
    special = {code: kind for kind in ("line", "polygon")
               for code in ctx.config.geometry_types.get(ctx.edition, {}).get(kind, ())}
    allowed = out["subclass_code"].map(special).fillna("point").where(out["subclass_code"].notna(), None)
    mismatch = actual.notna() & allowed.notna() & (actual != allowed) & (actual != "point")
    out["geometry"] = actual
    out["geometry_mismatch"] = (actual.astype("str") + "（该小类应为 " + allowed.astype("str") + "）").where(
        mismatch, None)
    out["geometry_wkt"] = wkt.where(actual.isin(["line", "polygon"]), None)
    if ctx.known_departments:
        from quality.census import USCC_PATTERN

        code = out["owner_department_code"]
        fine = code.isna() | code.isin(list(ctx.known_departments)) | code.str.fullmatch(USCC_PATTERN).fillna(False)
        out["owner_department_unknown"] = code.where(~fine.astype(bool), None)
    return out

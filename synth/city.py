"""Generate the whole synthetic city into one folder (see docs/synthetic-city.md for the layout)."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from synth.params import load_params
from szcg.settings import Settings

CENSUS_EXT = {"csv_utf8": ("csv", "utf-8"), "csv_gbk": ("csv", "gbk"), "xlsx": ("xlsx", ""),
              "gpkg": ("gpkg", "utf-8"), "shp_zip": ("zip", "utf-8")}


@dataclass
class Options:
    out: Path
    scale: float = 1.0
    months: int = 3
    seed: int = 1
    dirty: bool = False
    progress: bool = False
    chunk_cases: int = 200_000  # cases per Parquet row group / random stream: part of the output's identity
    start: date | None = None  # first day of the case history; None: the city parameters' (cases.start)


def _rng(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, stream]))


def _progress(opts: Options, msg: str) -> None:
    if opts.progress:
        import sys

        print(f"synth: {msg}", file=sys.stderr, flush=True)


def starting_on(params: dict[str, Any], start: date) -> dict[str, Any]:
    """The parameters with the case history starting on ``start``; the census survey moves by as many days, so it
    still ends shortly before the first case, as in the parameters."""
    moved = copy.deepcopy(params)
    shift = start - date.fromisoformat(str(params["cases"]["start"]))
    moved["cases"]["start"] = start.isoformat()
    for key in ("survey_start", "survey_end"):
        moved["census"][key] = (date.fromisoformat(str(params["census"][key])) + shift).isoformat()
    return moved


def load_city_inputs(settings: Settings | None = None) -> dict[str, Any]:
    """The city's standards: configuration, area tree, catalogue, handbook, departments, calendar — of the
    installation's city, or without settings of the packaged synthetic city (Shuozhou) the generator was built for."""
    from standards.areas import load_area_tree
    from standards.calendar import load_calendar
    from standards.catalogue import load_catalogue
    from standards.city import load_city, packaged_city
    from standards.departments import load_departments, responsible_department
    from standards.handbook import load_handbook

    city = load_city(settings) if settings is not None else packaged_city()
    return {"city": city, "tree": load_area_tree(city), "catalogue": load_catalogue(city.edition, city.catalogue_table),
            "handbook": load_handbook(city), "departments": load_departments(city), "calendar": load_calendar(city),
            "responsible": responsible_department}


def build_city_geography(inputs: dict[str, Any], params: dict[str, Any], scale: float = 1.0) -> Any:
    from synth.geography import StreetInput, build_geography

    tree = inputs["tree"]
    wanted = {str(b["district"]) for b in params["built_up"]}
    districts = {d.code: (d.name, tree.district_geometry(d.code)) for d in tree.districts() if d.code in wanted}
    streets = {code: [StreetInput(s.code, s.name) for s in tree.streets(code)] for code in districts}
    return build_geography(params, districts, streets, scale)


def _gdf(df: pd.DataFrame, geometry: Any) -> Any:
    import geopandas as gpd

    return gpd.GeoDataFrame(df.reset_index(drop=True), geometry=list(geometry), crs="EPSG:4490")


def _points(df: pd.DataFrame) -> Any:
    import geopandas as gpd

    x = pd.to_numeric(df["X"], errors="coerce").to_numpy()
    y = pd.to_numeric(df["Y"], errors="coerce").to_numpy()
    return gpd.GeoDataFrame(df.reset_index(drop=True), geometry=gpd.points_from_xy(x, y), crs="EPSG:4490")


def generate_city(opts: Options, settings: Settings | None = None) -> dict[str, Any]:
    """Write the synthetic city into ``opts.out``; returns the summary (counts and outputs)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    import yaml

    from synth import census as census_mod
    from synth.cases import CASE_COLUMNS, EVENT_COLUMNS, arrow_schema, build_context, chunks
    from synth.dirty import Dirt
    from synth.geography import area_growth
    from synth.hotline import CALL_LEAD_MAX_S, calls_for_chunk
    from synth.hotline_log import HotlineLog
    from synth.organisation import build_organisation, users_yaml
    from synth.writers import write_csv, write_gpkg, write_shapefile_zip, write_xlsx

    if opts.scale <= 0:
        raise ValueError("--scale must be positive")
    if not 1 <= opts.months <= 60:
        raise ValueError("--months must be between 1 and 60")
    out = Path(opts.out)
    _prepare_out(out)
    inputs = load_city_inputs(settings)
    city = inputs["city"]
    params = load_params(city.key)
    if opts.start is not None:
        params = starting_on(params, opts.start)
    dirt = Dirt(params, _rng(opts.seed, 99)) if opts.dirty else None
    outputs: dict[str, str] = {}

    # --- geography ------------------------------------------------------------------------------------------
    _progress(opts, "geography")
    geo = build_city_geography(inputs, params, opts.scale)
    grids = geo.grids
    grid_cols = ["grid_code", "community_code", "street_code", "district_code", "area_m2"]
    comm = geo.communities
    write_gpkg({"grids": _gdf(grids[grid_cols], grids["geometry"])}, out / "geography" / "grids.gpkg")
    write_gpkg({"communities": _gdf(comm.drop(columns="geometry"), comm["geometry"])},
               out / "geography" / "communities.gpkg")
    import shapely

    bu = pd.DataFrame({"district_code": [d.district_code for d in geo.districts],
                       "district_name": [d.district_name for d in geo.districts],
                       "area_km2": [round(d.built_up.area / 1e6, 3) for d in geo.districts],
                       "projected_epsg": [d.epsg for d in geo.districts]})
    bu_geom = [shapely.transform(d.built_up, lambda xy, d=d: np.c_[d.to_geographic.transform(xy[:, 0], xy[:, 1])])
               for d in geo.districts]
    road_rows, road_geom = [], []
    for d in geo.districts:
        for k, (ax, ay, bx, by) in enumerate(d.roads):
            lon, lat = d.to_geographic.transform([ax, bx], [ay, by])
            road_rows.append({"road_id": f"{d.district_code}-R{k + 1:03d}", "district_code": d.district_code})
            road_geom.append(shapely.LineString(list(zip(lon, lat, strict=True))))
    write_gpkg({"built_up": _gdf(bu, bu_geom), "roads": _gdf(pd.DataFrame(road_rows), road_geom)},
               out / "geography" / "built_up.gpkg")
    outputs.update(grids="geography/grids.gpkg", communities="geography/communities.gpkg",
                   built_up="geography/built_up.gpkg")

    # --- census -------------------------------------------------------------------------------------------------
    _progress(opts, "census")
    depts = inputs["departments"]
    dname = {d.code: d.name for d in depts}
    plans = census_mod.plan_subclasses(inputs["catalogue"].components(), params)
    dept_map: dict[str, Any] = {"_names": dname}
    for plan in plans:
        rule = inputs["handbook"].rule_for(plan.code, "component")
        for d in geo.districts:
            upkeep = inputs["responsible"](depts, rule.department_code, d.district_code).code
            dept_map[f"{d.district_code}:{plan.code}"] = (rule.department_code, rule.department_code, upkeep)
    comp = census_mod.generate_components(geo, plans, opts.scale, params, dept_map, _rng(opts.seed, 1))
    comp, batches = census_mod.assign_batches(comp, params, _rng(opts.seed, 2))
    frames: dict[str, pd.DataFrame] = {}
    files = []
    for b in batches.itertuples(index=False):
        ext, enc = CENSUS_EXT[b.format]
        rel = f"census/{b.district_code}/{b.district_code}-{b.seq:03d}.{ext}"
        frames[rel] = comp.loc[comp["batch"] == b.batch, list(census_mod.CENSUS_FIELDS)].reset_index(drop=True)
        files.append((rel, enc))
    batches.insert(0, "file", [f for f, _ in files])
    batches["encoding"] = [e for _, e in files]
    if dirt is not None:
        dirt.census(frames)
    bom_file = next((f for f, b in zip(batches["file"], batches["format"], strict=True) if b == "csv_utf8"), None)
    for rel, df in frames.items():
        fmt = batches.loc[batches["file"] == rel, "format"].iloc[0]
        path = out / rel
        if fmt in ("csv_utf8", "csv_gbk"):
            bom = dirt is not None and rel == bom_file
            write_csv(df, path, "gbk" if fmt == "csv_gbk" else "utf-8", bom=bom)
            if bom and dirt is not None:
                dirt.file_defect(rel, "bom")
        elif fmt == "xlsx":
            write_xlsx({"部件普查": df}, path)
        elif fmt == "gpkg":
            write_gpkg({"components": _points(df)}, path)
        else:
            write_shapefile_zip(_points(df), path)
    write_csv(batches.drop(columns="batch"), out / "census" / "batches.csv")
    truth = comp[["OBJCODE", "OBJNAME", "subclass_code", "district_code", "community_code", "BGCODE", "X", "Y",
                  "OBJSTATE", "ORDATE", "CHDATE", "DEPTCODE1", "DEPTCODE2", "DEPTCODE3", "batch"]]
    truth = truth.merge(batches[["batch", "file"]], on="batch", how="left").drop(columns="batch")
    pq.write_table(pa.Table.from_pandas(truth, preserve_index=False), out / "census" / "components.parquet")
    outputs.update(census_batches="census/batches.csv", components_truth="census/components.parquet")

    # --- organisation ---------------------------------------------------------------------------------------------
    _progress(opts, "organisation")
    org = build_organisation(grids, depts, [d.district_code for d in geo.districts], opts.scale, params,
                             _rng(opts.seed, 3), area_growth(params, opts.scale))
    write_csv(org.people, out / "org" / "people.csv")
    write_csv(org.supervisor_grids, out / "org" / "supervisor_grids.csv")
    (out / "org" / "users.yaml").write_text(
        yaml.safe_dump(users_yaml(org, depts), allow_unicode=True, sort_keys=False), encoding="utf-8")
    outputs.update(people="org/people.csv", supervisor_grids="org/supervisor_grids.csv", users="org/users.yaml")

    # --- cases and hotline ------------------------------------------------------------------------------------------
    _progress(opts, "cases")
    ctx = build_context(geo, org, inputs["calendar"], inputs["handbook"], inputs["catalogue"], depts,
                        inputs["responsible"], comp, params, city.admin_code, opts.months, _rng(opts.seed, 4))
    total = round(float(params["cases"]["per_scale_per_month"]) * opts.scale * opts.months)
    (out / "cases").mkdir(parents=True, exist_ok=True)
    case_writer = event_writer = None
    n_cases = n_events = n_calls = 0
    status_counts: dict[str, int] = {}
    case_schema, event_schema = arrow_schema(CASE_COLUMNS), arrow_schema(EVENT_COLUMNS)
    log = HotlineLog(out, dirt)
    for k, (cases, events) in enumerate(chunks(ctx, total, opts.seed, opts.chunk_cases)):
        # calls come from the true cases; defects only touch what is written
        calls = calls_for_chunk(cases, params, n_calls + 1, city.admin_code, _rng(opts.seed, 1000 + k))
        if dirt is not None:
            chunk_rng = np.random.default_rng(np.random.SeedSequence([opts.seed, 99, k]))
            cases = dirt.cases(cases, "cases/cases.parquet", n_cases, chunk_rng)
            events = dirt.case_events(events, "cases/case_events.parquet", n_events, chunk_rng)
        ct = pa.Table.from_pandas(cases, schema=case_schema, preserve_index=False)
        et = pa.Table.from_pandas(events, schema=event_schema, preserve_index=False)
        if case_writer is None:
            case_writer = pq.ParquetWriter(out / "cases" / "cases.parquet", case_schema)
            event_writer = pq.ParquetWriter(out / "cases" / "case_events.parquet", event_schema)
        case_writer.write_table(ct)
        assert event_writer is not None
        event_writer.write_table(et)
        log.add(calls)
        # later chunks report from the next day on; their first calls come at most CALL_LEAD_MAX_S earlier
        next_day = cases["reported_at"].max().normalize() + pd.Timedelta(days=1)
        log.flush_before((next_day - pd.Timedelta(seconds=CALL_LEAD_MAX_S)).to_datetime64())
        n_calls += len(calls)
        n_cases += len(cases)
        n_events += len(events)
        for s, v in cases["status"].value_counts().items():
            status_counts[str(s)] = status_counts.get(str(s), 0) + int(v)
        _progress(opts, f"cases {n_cases}/{total}")
    if case_writer is not None and event_writer is not None:
        case_writer.close()
        event_writer.close()
    outputs.update(cases="cases/cases.parquet", case_events="cases/case_events.parquet")
    _progress(opts, "hotline")
    log.close()
    outputs.update(hotline="hotline/{utf8,gbk,xlsx,raw}/YYYY-MM.*")

    summary: dict[str, Any] = {
        "synthetic": True, "city": city.key, "edition": city.edition, "scale": opts.scale, "months": opts.months,
        "seed": opts.seed, "dirty": opts.dirty, "period": [ctx.start.isoformat(), ctx.end.isoformat()],
        "built_up_km2": round(sum(d.built_up.area for d in geo.districts) / 1e6, 1),
        "cases_per_grid_per_month": round(n_cases / max(len(grids), 1) / opts.months, 2),
        "counts": {"districts": len(geo.districts), "streets": int(comm["street_code"].nunique()),
                   "communities": len(comm), "grids": len(grids),
                   "components": len(comp), "census_batches": len(batches), "people": len(org.people),
                   "cases": n_cases, "case_events": n_events, "hotline_calls": n_calls,
                   "cases_by_status": dict(sorted(status_counts.items()))},
        "outputs": outputs,
    }
    if dirt is not None:
        manifest = dirt.manifest(opts.seed)
        (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1, default=str),
                                           encoding="utf-8")
        summary["counts"]["defects"] = len(manifest["defects"])
        outputs["manifest"] = "manifest.json"
    (out / "synth.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    return summary


OUTPUT_PARTS = ("geography", "census", "org", "cases", "hotline", "manifest.json", "synth.json")


def _prepare_out(out: Path) -> None:
    """Create ``out``, or clear an earlier synthetic city there (recognised by synth.json); refuse other folders
    with content so a typo never wipes real data."""
    import shutil

    if out.exists() and any(out.iterdir()):
        if not (out / "synth.json").is_file():
            raise FileExistsError(f"{out} is not empty and holds no earlier synthetic city (synth.json)")
        for part in OUTPUT_PARTS:
            target = out / part
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    out.mkdir(parents=True, exist_ok=True)


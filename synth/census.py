"""部件普查 (component census): components placed along the synthetic roads or across the built-up area, with
standard record fields, split into the batches survey teams deliver per district."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
import shapely

from synth.geography import CityGeography, DistrictGeography, to_lonlat

# Record fields of the CJ/T 214 / GB/T 30428.2 generation of census data (see standards NOTES §2.3).
CENSUS_FIELDS = ("OBJCODE", "OBJNAME", "DEPTCODE1", "DEPTNAME1", "DEPTCODE2", "DEPTNAME2", "DEPTCODE3",
                 "DEPTNAME3", "BGCODE", "OBJSTATE", "ORDATE", "CHDATE", "DATASOURCE", "PHOTO", "NOTE", "X", "Y")


@dataclass
class SubclassPlan:
    code: str
    name: str
    major_code: str
    count_per_scale: float
    placement: str
    spacing_m: float = 0.0
    run: tuple[int, int] = (1, 1)


def plan_subclasses(components: list[Any], params: dict[str, Any]) -> list[SubclassPlan]:
    """Match each catalogue subclass to its density rule (first ``match`` contained in the name)."""
    rules = params["census"]["subclasses"]
    default = params["census"]["default"]
    plans = []
    for sub in components:
        rule = next((r for r in rules if r["match"] in sub.name), default)
        plans.append(SubclassPlan(sub.code, sub.name, sub.major_code, float(rule["count_per_scale"]),
                                  str(rule.get("placement", "area")), float(rule.get("spacing_m", 0)),
                                  tuple(rule.get("run", (1, 1)))))  # type: ignore[arg-type]
    return plans


def _inside(d: DistrictGeography, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return shapely.contains_xy(d.inner, x, y)


def _place_street(d: DistrictGeography, n: int, plan: SubclassPlan,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    roads = d.roads
    lengths = np.hypot(roads[:, 2] - roads[:, 0], roads[:, 3] - roads[:, 1])
    lo, hi = plan.run
    runs = rng.integers(lo, hi + 1, size=max(1, int(np.ceil(1.3 * n / ((lo + hi) / 2))) + 1))
    road = rng.choice(len(roads), size=len(runs), p=lengths / lengths.sum())
    span = (runs - 1) * plan.spacing_m
    start = rng.uniform(0, 1, len(runs)) * np.maximum(lengths[road] - span, 0)
    side = rng.choice([-1.0, 1.0], size=len(runs)) * rng.uniform(6, 12, len(runs))
    run_id = np.repeat(np.arange(len(runs)), runs)
    k = np.arange(len(run_id)) - np.repeat(np.cumsum(runs) - runs, runs)
    t = start[run_id] + k * plan.spacing_m
    r = road[run_id]
    ok = t <= lengths[r]
    ux = (roads[r, 2] - roads[r, 0]) / lengths[r]
    uy = (roads[r, 3] - roads[r, 1]) / lengths[r]
    x = roads[r, 0] + ux * t - uy * side[run_id] + rng.normal(0, 0.8, len(t))
    y = roads[r, 1] + uy * t + ux * side[run_id] + rng.normal(0, 0.8, len(t))
    return x[ok], y[ok]


def _place_area(d: DistrictGeography, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    minx, miny, maxx, maxy = d.built_up.bounds
    m = int(n * 1.6) + 8
    return rng.uniform(minx, maxx, m), rng.uniform(miny, maxy, m)


def place(geo: CityGeography, d: DistrictGeography, n: int, plan: SubclassPlan,
          rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` projected points of one subclass in district ``d`` and their grid indices."""
    xs, ys = [], []
    have = 0
    for _ in range(20):
        if have >= n:
            break
        if plan.placement == "street" and len(d.roads):
            x, y = _place_street(d, n - have, plan, rng)
        else:
            x, y = _place_area(d, n - have, rng)
        x, y = geo.keep_off_edges(x, y, d)
        ok = _inside(d, x, y)
        xs.append(x[ok])
        ys.append(y[ok])
        have += int(ok.sum())
    x, y = np.concatenate(xs)[:n], np.concatenate(ys)[:n]
    grid = geo.locate(d, x, y)
    keep = grid >= 0
    return x[keep], y[keep], grid[keep]


def district_shares(geo: CityGeography) -> dict[str, float]:
    areas = {d.district_code: d.built_up.area for d in geo.districts}
    total = sum(areas.values())
    return {k: v / total for k, v in areas.items()}


def generate_components(
    geo: CityGeography,
    plans: list[SubclassPlan],
    scale: float,
    params: dict[str, Any],
    departments: dict[str, tuple[str, str, str]],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """All components. ``departments`` maps (subclass code) → dept codes (主管, 权属, 养护) per district via
    ``f"{district}:{code}"`` keys; names are filled by the caller's lookup in ``departments['_names']``."""
    shares = district_shares(geo)
    frames = []
    for d in geo.districts:
        for plan in plans:
            n = int(rng.poisson(plan.count_per_scale * scale * shares[d.district_code]))
            if n == 0:
                continue
            x, y, grid = place(geo, d, n, plan, rng)
            lon, lat = to_lonlat(d, x, y)
            frames.append(pd.DataFrame({
                "district_code": d.district_code, "subclass_code": plan.code, "OBJNAME": plan.name,
                "grid_index": grid, "X": np.round(lon, 7), "Y": np.round(lat, 7),
            }))
    comp = pd.concat(frames, ignore_index=True)
    grids = geo.grids
    comp["BGCODE"] = grids["grid_code"].to_numpy()[comp["grid_index"].to_numpy()]
    comp["community_code"] = grids["community_code"].to_numpy()[comp["grid_index"].to_numpy()]
    # Survey order: teams walk a district community by community, grid by grid.
    comp = comp.sort_values(["district_code", "BGCODE", "subclass_code", "X"], kind="stable").reset_index(drop=True)
    serial = comp.groupby(["district_code", "subclass_code"]).cumcount() + 1
    if serial.max() > 999_999:
        raise ValueError("more than 999,999 components of one subclass in one district: serial overflows")
    comp["OBJCODE"] = comp["district_code"] + comp["subclass_code"] + serial.map("{:06d}".format)
    names = departments["_names"]
    keys = comp["district_code"] + ":" + comp["subclass_code"]
    for i, col in enumerate(("DEPTCODE1", "DEPTCODE2", "DEPTCODE3")):
        lookup = {k: v[i] for k, v in departments.items() if k != "_names"}
        comp[col] = keys.map(lookup)
        comp[col.replace("CODE", "NAME")] = comp[col].map(names)
    cfg = params["census"]
    states = list(cfg["state_weights"])
    p = np.array([cfg["state_weights"][s] for s in states], dtype=float)
    comp["OBJSTATE"] = np.array(states)[rng.choice(len(states), size=len(comp), p=p / p.sum())]
    comp["DATASOURCE"] = "实测"
    comp["NOTE"] = ""
    return comp


def assign_batches(comp: pd.DataFrame, params: dict[str, Any],
                   rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split each district's components into contiguous survey batches with survey and change dates."""
    cfg = params["census"]
    start, end = date.fromisoformat(cfg["survey_start"]), date.fromisoformat(cfg["survey_end"])
    days = (end - start).days
    formats, teams = cfg["formats"], cfg["teams"]
    batch_id = np.zeros(len(comp), dtype=np.int64)
    fmt, team, ordate = [], [], np.empty(len(comp), dtype=object)
    rows_batches = []
    b = 0
    for dcode, idx in comp.groupby("district_code", sort=True).indices.items():
        k = max(int(cfg["min_batches_per_district"]), int(np.ceil(len(idx) / int(cfg["batch_rows"]))))
        parts = np.array_split(idx, k)
        for j, part in enumerate(parts):
            lo = start + timedelta(days=int(days * j / k))
            hi = start + timedelta(days=int(days * (j + 1) / k))
            span = max(1, (hi - lo).days)
            offs = np.sort(rng.integers(0, span, size=len(part)))
            ordate[part] = (np.datetime64(lo.isoformat(), "D") + offs).astype(str)
            batch_id[part] = b
            f = formats[b % len(formats)]
            t = teams[(b + j) % len(teams)]
            fmt.append(f)
            team.append(t)
            rows_batches.append({"batch": b, "district_code": dcode, "seq": j + 1, "format": f, "team": t,
                                 "survey_from": lo.isoformat(),
                                 "survey_to": (lo + timedelta(days=span - 1)).isoformat(),
                                 "delivered_on": (lo + timedelta(days=span + 2)).isoformat(), "rows": len(part)})
            b += 1
    comp["batch"] = batch_id
    comp["ORDATE"] = ordate
    changed = rng.random(len(comp)) < 0.04
    ch = pd.to_datetime(comp["ORDATE"]) + pd.to_timedelta(rng.integers(20, 120, len(comp)), unit="D")
    comp["CHDATE"] = np.where(changed, ch.dt.strftime("%Y-%m-%d"), "")
    comp["PHOTO"] = ("photos/" + comp["district_code"] + "/" + pd.Series(batch_id).map("b{:03d}".format).to_numpy()
                     + "/" + comp["OBJCODE"] + ".jpg")
    return comp, pd.DataFrame(rows_batches)

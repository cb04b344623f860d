"""Organisation: the city 监督指挥中心 (受理员 operators, 值班长 shift leaders), 派遣员 dispatchers per district
指挥分中心 and the city 指挥中心, 处置 staff of each 专业部门, and 监督员 supervisors each assigned a block of grids."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

ROLE_ZH = {"operator": "受理员", "shift_leader": "值班长", "dispatcher": "派遣员", "supervisor": "监督员",
           "handler": "处置人员"}


@dataclass
class Organisation:
    people: pd.DataFrame  # person_id, name, role, role_zh, organisation, district_code, department_code
    supervisor_of_grid: np.ndarray  # global grid index -> row in people
    supervisor_grids: pd.DataFrame  # person_id, grid_code

    def ids(self, role: str, district_code: str | None = None, department_code: str | None = None) -> np.ndarray:
        p = self.people
        sel = p["role"] == role
        if district_code is not None:
            sel &= p["district_code"] == district_code
        if department_code is not None:
            sel &= p["department_code"] == department_code
        return p.loc[sel, "person_id"].to_numpy()


def _names(n: int, params: dict[str, Any], rng: np.random.Generator) -> list[str]:
    org = params["organisation"]
    sur, given = org["surnames"], org["given"]
    s = rng.integers(0, len(sur), n)
    g1 = rng.integers(0, len(given), n)
    g2 = rng.integers(-len(given), len(given), n)  # negative: a one-character given name
    return [sur[a] + given[b] + (given[c] if c >= 0 else "") for a, b, c in zip(s, g1, g2, strict=True)]


def build_organisation(grids: pd.DataFrame, departments: list[Any], districts: list[str], scale: float,
                       params: dict[str, Any], rng: np.random.Generator, area_growth: float = 1.0) -> Organisation:
    """Staff grow with scale (capped); 监督员 are spread over the grids, which already grew with the built-up area
    (``area_growth``), so only the rest of the staff factor makes their beats smaller."""
    org = params["organisation"]
    factor = float(min(max(scale, 1.0), float(org["max_staff_factor"])))
    sup_factor = max(1.0, factor / max(area_growth, 1.0))
    rows: list[dict[str, Any]] = []

    def add(prefix: str, role: str, n: int, organisation: str, district: str = "", dept: str = "") -> None:
        for i in range(1, n + 1):
            rows.append({"person_id": f"{prefix}{i:03d}", "role": role, "organisation": organisation,
                         "district_code": district, "department_code": dept})

    add("OP", "operator", int(np.ceil(org["operators_per_scale"] * factor)), "supervision_center")
    add("SL", "shift_leader", int(np.ceil(org["shift_leaders_per_scale"] * factor)), "supervision_center")
    add("DS-CITY-", "dispatcher", int(np.ceil(org["dispatchers_per_district"] * factor)), "command_center")
    for d in districts:
        add(f"DS-{d}-", "dispatcher", int(np.ceil(org["dispatchers_per_district"] * factor)), "command_center", d)
    for dept in departments:
        add(f"H-{dept.code}-", "handler", int(np.ceil(org["handlers_per_department"] * factor)), "department",
            dept.district_code or "", dept.code)
    sup_start = len(rows)
    sup_of_grid = np.full(len(grids), -1, dtype=np.int64)
    for d in districts:
        idx = np.flatnonzero(grids["district_code"].to_numpy() == d)
        idx = idx[np.argsort(grids["grid_code"].to_numpy()[idx], kind="stable")]
        n = max(1, int(np.ceil(len(idx) / float(org["grids_per_supervisor"]) * sup_factor)))
        n = min(n, len(idx))
        for j, block in enumerate(np.array_split(idx, n)):
            sup_of_grid[block] = len(rows)
            rows.append({"person_id": f"SV-{d}-{j + 1:03d}", "role": "supervisor", "organisation": "supervision_center",
                         "district_code": d, "department_code": ""})
    people = pd.DataFrame(rows)
    people.insert(1, "name", _names(len(people), params, rng))
    people.insert(3, "role_zh", people["role"].map(ROLE_ZH))
    people["username"] = people["person_id"].str.lower()
    assert (sup_of_grid >= sup_start).all()
    sg = pd.DataFrame({"person_id": people["person_id"].to_numpy()[sup_of_grid],
                       "grid_code": grids["grid_code"].to_numpy()})
    return Organisation(people, sup_of_grid, sg.sort_values(["person_id", "grid_code"]).reset_index(drop=True))


def users_yaml(org: Organisation, departments: list[Any]) -> dict[str, Any]:
    """Seed data for the case service's users: one entry per person, with scope (district/department/grids)."""
    names = {d.code: d.name for d in departments}
    grids_of = org.supervisor_grids.groupby("person_id")["grid_code"].agg(list).to_dict()
    users = []
    for row in org.people.itertuples(index=False):
        entry: dict[str, Any] = {"username": row.username, "person_id": row.person_id, "name": row.name,
                                 "role": row.role, "organisation": row.organisation}
        if row.district_code:
            entry["district_code"] = row.district_code
        if row.department_code:
            entry["department_code"] = row.department_code
            entry["department_name"] = names.get(row.department_code, "")
        if row.role == "supervisor":
            entry["grid_count"] = len(grids_of.get(row.person_id, []))
        users.append(entry)
    return {"synthetic": True, "note": "SYNTHETIC people for tests and demos; not real staff.", "users": users}

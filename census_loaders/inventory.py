"""The component inventory with history (SCD type 2 in core.component): what the city had on a date, and state
changes coming from closed cases."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from szcg.settings import Settings

COLUMNS = ("component_id, edition, subclass_code, name, grid_code, district_code, owner_department_code,"
           " property_department_code, maintenance_department_code, state, lon, lat, geometry_wkt, surveyed_on,"
           " photo, valid_from, valid_to, change_source")


def inventory_on(con: Any, on: dt.date | dt.datetime, district_code: str | None = None) -> pd.DataFrame:
    """Every component as it was at the end of ``on`` (a date) or at the instant ``on`` (a datetime)."""
    at = on if isinstance(on, dt.datetime) else dt.datetime.combine(on, dt.time(23, 59, 59))
    sql = (f"SELECT {COLUMNS} FROM core.component WHERE valid_from <= ? AND (valid_to IS NULL OR valid_to > ?)"
           + (" AND district_code = ?" if district_code else "") + " ORDER BY component_id")
    params: list[Any] = [at, at] + ([district_code] if district_code else [])
    return con.execute(sql, params).df()


def apply_case_state_change(con: Any, component_id: str, new_state: str, at: dt.datetime, case_id: str, *,
                            settings: Settings) -> bool:
    """Record that case ``case_id`` changed the component's state at ``at`` (CST, naive): closes the current
    version and opens a new one. Returns False when nothing changed (same state already, or this case's change
    is already recorded — so replaying the case feed is harmless). Raises ValueError for an unknown component,
    an unknown state or a change dated before the current version."""
    from census_loaders.config import load_census_config

    states = set(load_census_config(settings).states.values())
    if new_state not in states:
        raise ValueError(f"state {new_state!r}: expected one of {', '.join(sorted(states))}")
    if con.execute("SELECT count(*) FROM core.component WHERE component_id = ? AND change_source = ?",
                   [component_id, case_id]).fetchone()[0]:
        return False
    current = con.execute("SELECT state, valid_from FROM core.component WHERE component_id = ? AND valid_to IS NULL",
                          [component_id]).fetchone()
    if current is None:
        raise ValueError(f"component {component_id} is not in the inventory (or no longer current)")
    if current[0] == new_state:
        return False
    if at <= current[1]:
        raise ValueError(f"component {component_id}: change at {at} is not after its current version "
                         f"({current[1]})")
    con.execute("UPDATE core.component SET valid_to = ? WHERE component_id = ? AND valid_to IS NULL",
                [at, component_id])
    con.execute(
        "INSERT INTO core.component SELECT component_id, edition, subclass_code, name, grid_code, district_code,"
        " owner_department_code, property_department_code, maintenance_department_code, ?, lon, lat, geometry_wkt,"
        " surveyed_on, photo, ?, NULL, ? FROM core.component WHERE component_id = ? AND valid_to = ?",
        [new_state, at, case_id, component_id, at])
    return True

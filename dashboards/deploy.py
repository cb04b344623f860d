"""`szcg dashboards up / import`: set up Superset, import the assets, wire filters and district security."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from dashboards.authoring import DASHBOARDS, DATASETS, PERIOD_DATASET, uid
from dashboards.bundle import build_bundle
from dashboards.client import SupersetClient
from dashboards.scoping import scope_filters
from dashboards.security import District, ensure_district_security
from dashboards.site import SupersetSite
from szcg import clock


@dataclass
class ImportResult:
    dashboards: dict[str, int] = field(default_factory=dict)  # slug → id
    latest_periods: dict[str, str | None] = field(default_factory=dict)
    district_roles: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"dashboards": self.dashboards, "latest_periods": self.latest_periods,
                "district_roles": self.district_roles}




def latest_complete_month(con: duckdb.DuckDBPyConnection, view: str, current_month: str) -> str | None:
    """The newest month of ``marts.<view>`` before ``current_month`` (today's month is still running: a leader's
    first look should be a whole month); a view with only the current month has that one."""
    row = con.execute(f"SELECT max(period_month) FILTER (WHERE period_month < ?), max(period_month) FROM marts.{view}",
                      [current_month]).fetchone()
    return (row[0] or row[1]) if row else None


def published_facts(site: SupersetSite) -> tuple[dict[str, str | None], list[District]]:
    """Default month per dashboard (the latest complete one) and the districts, read from the published snapshot
    (read-only)."""
    if not site.published_db.exists():
        return dict.fromkeys(DASHBOARDS), []
    con = duckdb.connect(str(site.published_db), read_only=True)
    try:
        periods: dict[str, str | None] = {}
        current = f"{clock.today():%Y-%m}"
        for board, dataset in PERIOD_DATASET.items():
            periods[board] = latest_complete_month(con, str(DATASETS[dataset]["view"]), current)
        districts = [District(str(c), str(n)) for c, n in con.execute(
            "SELECT code, name FROM marts.dash_area WHERE level IN ('district', 'management_area') ORDER BY code"
        ).fetchall()]
    finally:
        con.close()
    return periods, districts


def import_assets(site: SupersetSite) -> ImportResult:
    result = ImportResult()
    periods, districts = published_facts(site)
    result.latest_periods = periods
    with SupersetClient(site.url, site.admin_user, site.admin_password) as client:
        client.import_assets(build_bundle(site.database_uri))
        by_uuid = {d["uuid"]: d for d in client.list_all("dashboard", ["id", "uuid", "slug"])}
        for board, meta in DASHBOARDS.items():
            dashboard = by_uuid[uid("dashboard", board)]
            scope_filters(client, int(dashboard["id"]), periods.get(board))
            result.dashboards[str(meta["slug"])] = int(dashboard["id"])
        result.district_roles = ensure_district_security(client, districts)
    return result

"""After an import: wire each native filter to this installation's chart ids and to the latest month.

Superset's importer maps chart ids in ``scope.excluded`` but not in ``chartsInScope``, and the dashboard applies a
native filter only to the charts listed there. The list is derived (all charts of the dashboard but the excluded
ones), so it is written here rather than kept in the reviewed YAML. The period filter's default is the latest
complete month in the published warehouse (``deploy.latest_complete_month``; Superset 6.1 shows but does not
apply "default to first item" on load), so it is refreshed by every ``szcg dashboards import``. The drill-down's
cross-filter scopes (chart_configuration) get their chartsInScope the same way. Running it again changes nothing.
"""

from __future__ import annotations

import json
from typing import Any

from dashboards.client import SupersetClient


def chart_ids_of(position: dict[str, Any]) -> list[int]:
    return sorted(int(node["meta"]["chartId"]) for node in position.values()
                  if isinstance(node, dict) and node.get("type") == "CHART")


def period_mask(period: str | None) -> dict[str, Any]:
    if period is None:
        return {"extraFormData": {}, "filterState": {}, "ownState": {}}
    return {"extraFormData": {"filters": [{"col": "period_month", "op": "IN", "val": [period]}]},
            "filterState": {"value": [period], "label": period}, "ownState": {}}


def scope_filters(client: SupersetClient, dashboard_id: int, latest_period: str | None) -> bool:
    """Write chartsInScope (and the period default) of one dashboard's filters; True when something changed."""
    detail = client.get(f"/api/v1/dashboard/{dashboard_id}")["result"]
    metadata = json.loads(detail["json_metadata"] or "{}")
    charts = chart_ids_of(json.loads(detail["position_json"] or "{}"))
    changed = False
    for native_filter in metadata.get("native_filter_configuration", []):
        excluded = set(native_filter.get("scope", {}).get("excluded", []))
        in_scope = [c for c in charts if c not in excluded]
        if native_filter.get("chartsInScope") != in_scope:
            native_filter["chartsInScope"] = in_scope
            native_filter.setdefault("tabsInScope", [])
            changed = True
        wants_default = native_filter.get("controlValues", {}).pop("defaultToFirstItem", False)
        if native_filter["id"].endswith("-period") and (wants_default or native_filter.get("szcgLatestDefault")):
            native_filter["szcgLatestDefault"] = True  # remembered: later imports keep following the data
            mask = period_mask(latest_period)
            if native_filter.get("defaultDataMask") != mask or wants_default:
                native_filter["defaultDataMask"] = mask
                changed = True
    for chart_config in metadata.get("chart_configuration", {}).values():  # cross-filters (drill-down)
        cross = chart_config.get("crossFilters", {})
        scope = cross.get("scope")
        if isinstance(scope, dict):
            in_scope = [c for c in charts if c not in set(scope.get("excluded", []))]
            if cross.get("chartsInScope") != in_scope:
                cross["chartsInScope"] = in_scope
                changed = True
    if changed:
        client.put(f"/api/v1/dashboard/{dashboard_id}", {"json_metadata": json.dumps(metadata, ensure_ascii=False)})
    return changed

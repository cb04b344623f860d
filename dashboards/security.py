"""Row-level security per district: a role per 区县 whose users see only their district's rows.

Each district role gets read access to the dashboards' datasets and one RLS rule, ``district_code = '<code>'``, on
every dataset whose rows belong to a district (authoring.DISTRICT_DATASETS). A district user holds the Gamma role
(can open dashboards) plus their district role. Created through Superset's REST API; running it again updates the
same roles and rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dashboards.authoring import DATASETS, DISTRICT_DATASETS, uid
from dashboards.client import SupersetClient
from dashboards.server import SupersetError


@dataclass(frozen=True)
class District:
    code: str
    name: str

    @property
    def role_name(self) -> str:
        return f"区县用户-{self.name}-{self.code}"


def _dataset_ids(client: SupersetClient) -> dict[str, int]:
    """Our dataset keys → this installation's dataset ids (found by uuid)."""
    by_uuid = {row["uuid"]: row["id"] for row in client.list_all("dataset", ["id", "uuid"])}
    ids = {}
    for key in DATASETS:
        dataset_uuid = uid("dataset", key)
        if dataset_uuid not in by_uuid:
            raise SupersetError(f"dataset {key} ({dataset_uuid}) not found: import the assets first")
        ids[key] = int(by_uuid[dataset_uuid])
    return ids


def _role_id(client: SupersetClient, name: str) -> int:
    for role in client.list_all("security/roles", ["id", "name"]):
        if role["name"] == name:
            return int(role["id"])
    return int(client.post("/api/v1/security/roles/", {"name": name})["id"])


def _datasource_permission_ids(client: SupersetClient, dataset_ids: list[int]) -> list[int]:
    wanted = {f"(id:{i})" for i in dataset_ids}
    found = []
    page = 0
    while True:
        result = client.get("/api/v1/security/permissions-resources/", page=page, page_size=100)
        for row in result["result"]:
            if row["permission"]["name"] == "datasource_access" and any(
                    row["view_menu"]["name"].endswith(w) for w in wanted):
                found.append(int(row["id"]))
        if not result["result"] or (page + 1) * 100 >= result["count"]:
            break
        page += 1
    if len(found) != len(dataset_ids):
        raise SupersetError(f"datasource_access found for {len(found)} of {len(dataset_ids)} datasets")
    return found


def ensure_district_security(client: SupersetClient, districts: list[District]) -> dict[str, Any]:
    """Create or update one role and one RLS rule per district; returns {district code: role id}."""
    ids = _dataset_ids(client)
    permissions = _datasource_permission_ids(client, list(ids.values()))
    tables = [ids[k] for k in DISTRICT_DATASETS]
    rules = {r["name"]: r["id"] for r in client.list_all("rowlevelsecurity", ["id", "name"])}
    roles: dict[str, int] = {}
    for district in districts:
        role_id = _role_id(client, district.role_name)
        client.post(f"/api/v1/security/roles/{role_id}/permissions", {"permission_view_menu_ids": permissions})
        rule = {
            "name": f"district_{district.code}",
            "description": f"{district.name}用户只看本区县的数据",
            "filter_type": "Regular",
            "tables": tables,
            "roles": [role_id],
            "group_key": "district",
            "clause": f"district_code = '{district.code}'",
        }
        if rule["name"] in rules:
            client.put(f"/api/v1/rowlevelsecurity/{rules[rule['name']]}", rule)
        else:
            client.post("/api/v1/rowlevelsecurity/", rule)
        roles[district.code] = role_id
    return roles


def ensure_user(client: SupersetClient, username: str, password: str, role_names: list[str]) -> int:
    """Create or update a user holding exactly ``role_names``."""
    role_ids = {r["name"]: int(r["id"]) for r in client.list_all("security/roles", ["id", "name"])}
    missing = [n for n in role_names if n not in role_ids]
    if missing:
        raise SupersetError(f"roles not found: {missing}")
    body = {"first_name": username, "last_name": "szcg", "username": username, "email": f"{username}@localhost",
            "active": True, "roles": [role_ids[n] for n in role_names], "password": password}
    for user in client.list_all("security/users", ["id", "username"]):
        if user["username"] == username:
            client.put(f"/api/v1/security/users/{user['id']}", body)
            return int(user["id"])
    return int(client.post("/api/v1/security/users/", body)["id"])

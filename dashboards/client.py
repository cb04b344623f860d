"""Talking to Superset's REST API: login, CSRF, asset import, chart data, security objects."""

from __future__ import annotations

import json
import time
from types import TracebackType
from typing import Any

import httpx

from dashboards.server import SupersetError


class SupersetClient:
    """A logged-in session (bearer token + CSRF token + session cookie) against one Superset."""

    def __init__(self, base_url: str, username: str, password: str, *, timeout: float = 120.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = httpx.Client(base_url=self.base_url, timeout=timeout)
        response = self.http.post("/api/v1/security/login", json={
            "username": username, "password": password, "provider": "db", "refresh": False})
        if response.status_code != 200:
            raise SupersetError(f"login to {self.base_url} as {username!r} failed: HTTP {response.status_code}")
        self.http.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
        csrf = self.http.get("/api/v1/security/csrf_token/")
        csrf.raise_for_status()
        self.http.headers["X-CSRFToken"] = csrf.json()["result"]
        self.http.headers["Referer"] = self.base_url

    def __enter__(self) -> SupersetClient:
        return self

    def __exit__(self, *exc: object | TracebackType) -> None:
        self.http.close()

    def _check(self, response: httpx.Response, what: str) -> Any:
        if response.status_code >= 400:
            raise SupersetError(f"{what}: HTTP {response.status_code}: {response.text[:800]}")
        return response.json() if response.content else None

    def get(self, path: str, **params: Any) -> Any:
        query = {"q": _rison(params)} if params else None
        return self._check(self.http.get(path, params=query), f"GET {path}")

    def post(self, path: str, payload: dict[str, Any]) -> Any:
        return self._check(self.http.post(path, json=payload), f"POST {path}")

    def put(self, path: str, payload: dict[str, Any]) -> Any:
        return self._check(self.http.put(path, json=payload), f"PUT {path}")

    def import_assets(self, bundle: bytes, passwords: dict[str, str] | None = None) -> None:
        response = self.http.post(
            "/api/v1/assets/import/",
            files={"bundle": ("szcg_dashboards.zip", bundle, "application/zip")},
            data={"passwords": json.dumps(passwords or {}), "overwrite": "true"},
        )
        self._check(response, "asset import")

    def list_all(self, resource: str, columns: list[str], **filters: Any) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        page = 0
        while True:
            q: dict[str, Any] = {"columns": columns, "page": page, "page_size": 100}
            if filters:
                q["filters"] = [{"col": k, "opr": "eq", "value": v} for k, v in filters.items()]
            result = self.get(f"/api/v1/{resource}/", **q)
            rows.extend(result["result"])
            if len(rows) >= result["count"] or not result["result"]:
                return rows
            page += 1

    def replay(self, url: str, post_data: str | None, content_type: str | None) -> tuple[int, float]:
        """Send a chart's data request again (as a dashboard sent it); returns HTTP status and seconds."""
        path = url[len(self.base_url):] if url.startswith(self.base_url) else url
        headers = {"Content-Type": content_type} if content_type else {}
        started = time.perf_counter()
        response = self.http.post(path, content=(post_data or "").encode("utf-8"), headers=headers)
        return response.status_code, time.perf_counter() - started

    def chart_data(self, payload: dict[str, Any]) -> tuple[dict[str, Any], float]:
        """POST /api/v1/chart/data; returns the answer and the seconds it took."""
        started = time.perf_counter()
        answer = self.post("/api/v1/chart/data", payload)
        return answer, time.perf_counter() - started


def _rison(value: Any) -> str:
    """Encode a value as Rison (the query format of Superset's list endpoints)."""
    if value is True:
        return "!t"
    if value is False:
        return "!f"
    if value is None:
        return "!n"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        if value and all(c.isalnum() or c in "-_./~" for c in value) and not value[0].isdigit() \
                and value[0] != "-":
            return value
        return "'" + value.replace("!", "!!").replace("'", "!'") + "'"
    if isinstance(value, list | tuple):
        return "!(" + ",".join(_rison(v) for v in value) + ")"
    if isinstance(value, dict):
        return "(" + ",".join(f"{_rison(k)}:{_rison(v)}" for k, v in value.items()) + ")"
    raise TypeError(f"cannot encode {type(value).__name__} as rison")

"""Fixtures: the case service on SQLite and on a throwaway PostgreSQL, a settable clock, users per role.

``backend`` is parametrised over ``sqlite`` and ``postgresql``; the PostgreSQL server is started once per test
session (see :mod:`tests.casework.pg`) and each module gets its own database. Tests skip the PostgreSQL half
with the reason when the server binaries are absent.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from casework.accounts import create_api_client, create_user
from casework.app import create_app
from casework.deadlines import CaseStandards, load_standards
from casework.security import SecurityConfig
from szcg.settings import load_settings
from tests.casework.pg import PgServer, pg_available, start_server

PASSWORD = "correct-horse-1"
# 朔城区 grid (GB/T 30428.1: district 140602 + street + community + serial) and a 平鲁区 one.
GRID_SHUOCHENG = "140602001001001"
GRID_PINGLU = "140603001001001"
# The handbook's department for 01001 供水井盖 is the city water-supply company.
SUBCLASS, KIND, DEPARTMENT = "01001", "component", "14060014"
_db_names = itertools.count(1)


class Clock:
    """The service's clock, set by the test (naive CST)."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@dataclass
class Env:
    client: TestClient
    clock: Clock
    standards: CaseStandards
    backend: str
    tokens: dict[str, str] = field(default_factory=dict)
    api_key: str = ""

    def h(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def report(self, user: str = "supervisor", **body: Any) -> dict[str, Any]:
        payload = {"kind": KIND, "subclass_code": SUBCLASS, "grid_code": GRID_SHUOCHENG, "description": "井盖缺失",
                   **body}
        r = self.client.post("/cases", json=payload, headers=self.h(user))
        assert r.status_code == 201, r.text
        return r.json()["case"]  # type: ignore[no-any-return]

    def act(self, user: str, case: dict[str, Any], action: str, expect: int = 200, **body: Any) -> dict[str, Any]:
        r = self.client.post(f"/cases/{case['id']}/transitions", headers=self.h(user),
                             json={"action": action, "expected_version": case["version"], **body})
        assert r.status_code == expect, r.text
        return r.json()  # type: ignore[no-any-return]

    def case(self, case_id: int, user: str = "admin") -> dict[str, Any]:
        r = self.client.get(f"/cases/{case_id}", headers=self.h(user))
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]


# username -> (role, extra fields)
USERS: dict[str, tuple[str, dict[str, Any]]] = {
    "admin": ("admin", {}),
    "operator": ("operator", {}),
    "supervisor": ("supervisor", {"district_code": "140602", "grid_codes": [GRID_SHUOCHENG]}),
    "supervisor2": ("supervisor", {"district_code": "140603", "grid_codes": [GRID_PINGLU]}),
    "leader": ("shift_leader", {}),
    "dispatcher": ("dispatcher", {}),
    "dispatcher_sc": ("dispatcher", {"district_code": "140602"}),
    "dispatcher_pl": ("dispatcher", {"district_code": "140603"}),
    "water": ("department", {"department_code": DEPARTMENT}),
    "sanitation": ("department", {"department_code": "14060003"}),
    "evaluator": ("evaluator", {}),
}


@pytest.fixture(scope="session")
def standards() -> CaseStandards:
    return load_standards(load_settings())


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    reason = pg_available()
    if reason:
        pytest.skip(reason)
    server = start_server()
    yield server
    server.stop()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A fresh database URL for the module, on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('casework') / 'casework.sqlite'}"
    server: PgServer = request.getfixturevalue("pg_server")
    return server.create_database(f"casework_{next(_db_names)}")


def make_env(url: str, standards: CaseStandards, tmp: Path, start: datetime,
             security: SecurityConfig | None = None) -> Env:
    settings = load_settings().with_data_dir(tmp)
    from dataclasses import replace

    settings = replace(settings, casework_db_url=url)
    clock = Clock(start)
    app = create_app(settings, standards=standards, now=clock, security=security)
    service = app.state.service
    for username, (role, extra) in USERS.items():
        create_user(service.db, username, PASSWORD, role, at=start, **extra)
    client = TestClient(app)
    env = Env(client, clock, standards, "postgresql" if url.startswith("postgresql") else "sqlite")
    for username in USERS:
        r = client.post("/auth/token", json={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        env.tokens[username] = r.json()["access_token"]
    env.api_key = create_api_client(service.db, "hotline-12345", "hotline", at=start)
    return env


@pytest.fixture(scope="module")
def env(backend: str, standards: CaseStandards, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    # Monday 2026-11-23 09:00 CST, a working day.
    e = make_env(backend, standards, tmp_path_factory.mktemp("cw"), datetime(2026, 11, 23, 9, 0))
    with e.client:
        yield e
    e.client.app.state.service.db.dispose()  # type: ignore[attr-defined]

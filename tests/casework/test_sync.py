"""``szcg cases sync`` against a running case service: it logs in as SZCG_CASEWORK_USER/_PASSWORD when no token
is given, and the live events reach the warehouse with the 指挥手册 version their deadlines came from."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
import uvicorn

from casework.accounts import create_user
from casework.app import create_app
from casework.deadlines import CaseStandards
from szcg.cli import main
from szcg.settings import load_settings
from tests.casework.conftest import GRID_SHUOCHENG, PASSWORD, SUBCLASS
from warehouse.store import Warehouse


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def service(tmp_path: Path, standards: CaseStandards) -> Iterator[str]:
    settings = replace(load_settings().with_data_dir(tmp_path),
                       casework_db_url=f"sqlite:///{tmp_path / 'casework.sqlite'}")
    app = create_app(settings, standards=standards, now=lambda: datetime(2026, 11, 23, 9, 0))
    db = app.state.service.db
    at = datetime(2026, 11, 23, 8, 0)
    create_user(db, "feed-reader", PASSWORD, "evaluator", at=at)
    create_user(db, "op", PASSWORD, "operator", at=at)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_sync_logs_in_with_the_configured_user_and_keeps_the_handbook_version(
        service: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        standards: CaseStandards) -> None:
    import httpx

    token = httpx.post(f"{service}/auth/token", json={"username": "op", "password": PASSWORD}).json()["access_token"]
    r = httpx.post(f"{service}/cases", headers={"Authorization": f"Bearer {token}"}, json={
        "kind": "component", "subclass_code": SUBCLASS, "grid_code": GRID_SHUOCHENG, "source": "hotline"})
    assert r.status_code == 201, r.text
    warehouse_dir = tmp_path / "wh"
    monkeypatch.setenv("SZCG_DATA_DIR", str(warehouse_dir))
    monkeypatch.delenv("SZCG_CASEWORK_TOKEN", raising=False)
    monkeypatch.setenv("SZCG_CASEWORK_USER", "feed-reader")
    monkeypatch.setenv("SZCG_CASEWORK_PASSWORD", "not-the-password")
    assert main(["cases", "sync", "--url", service, "--json"]) == 1
    out = capsys.readouterr()
    assert "refused the login of 'feed-reader'" in out.out + out.err and "not-the-password" not in out.out + out.err
    monkeypatch.setenv("SZCG_CASEWORK_PASSWORD", PASSWORD)
    assert main(["cases", "sync", "--url", service, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["events_loaded"] == 1
    with Warehouse(load_settings()).writer() as con:
        versions = con.execute("SELECT DISTINCT handbook_version FROM core.case_event").fetchall()
    assert versions == [(standards.handbook.version,)]

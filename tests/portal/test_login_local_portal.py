"""The demo's portal: ``szcg portal up`` starts it in the background, the demo prints its URL and the accounts,
a demo account signs in there, ``szcg portal down`` stops it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from casework.cli import DEMO_PASSWORD, seed_demo_users
from szcg.cli import main as szcg
from tests.portal.conftest import city_settings, free_port


def test_the_demo_leaves_a_portal_running_that_demo_accounts_sign_in_to(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from szcg.demo import portal_up

    port = free_port()
    monkeypatch.setenv("SZCG_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SZCG_PORTAL_PORT", str(port))
    settings = replace(city_settings(tmp_path), portal_port=port)
    seed_demo_users(settings)
    try:
        portal_up(settings)
        said = capsys.readouterr().out
        assert f"web portal: http://127.0.0.1:{port} (started" in said
        assert "surveyor-140602" in said and "evaluator" in said and DEMO_PASSWORD in said
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            token = client.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
            r = client.post("/login", data={"username": "leader", "password": DEMO_PASSWORD, "csrf_token": token})
            assert r.status_code == 303
            assert client.get("/tasks").status_code == 200
        portal_up(settings)  # a re-run of the demo finds it running
        assert "already running" in capsys.readouterr().out
    finally:
        assert szcg(["portal", "down"]) == 0
    assert "portal stopped" in capsys.readouterr().out
    assert szcg(["portal", "status"]) == 1

"""The case service the demo leaves running: ``szcg casework up`` starts it in the background, ``szcg airflow up``
hands its URL (and, in the demo, the demo's feed reader) to the casework_sync DAG, ``szcg casework down`` stops it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from casework.cli import DEMO_PASSWORD, running_case_service
from orchestration import airflow_local
from szcg.cli import main as szcg
from szcg.settings import load_settings


def test_a_case_service_left_running_feeds_the_scheduled_airflow(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SZCG_DATA_DIR", str(tmp_path))
    for name in ("SZCG_CASEWORK_URL", "SZCG_CASEWORK_USER", "SZCG_CASEWORK_TOKEN", "SZCG_CASEWORK_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    site = airflow_local.local_airflow(tmp_path, 18999)
    assert "SZCG_CASEWORK_URL" not in airflow_local.component_env(site)
    try:
        assert szcg(["casework", "up"]) == 0
        said = capsys.readouterr().out
        url = running_case_service(settings)
        assert url is not None and f"case service: {url}  (started" in said
        assert httpx.get(f"{url}/health", timeout=10).status_code == 200
        assert szcg(["casework", "up"]) == 0 and "already running" in capsys.readouterr().out

        monkeypatch.delenv("SZCG_DEMO", raising=False)
        env = airflow_local.component_env(site)
        assert env["SZCG_CASEWORK_URL"] == url and "SZCG_CASEWORK_USER" not in env  # no demo: no demo password
        monkeypatch.setenv("SZCG_DEMO", "1")
        env = airflow_local.component_env(site)
        assert (env["SZCG_CASEWORK_USER"], env["SZCG_CASEWORK_PASSWORD"]) == ("evaluator", DEMO_PASSWORD)
        monkeypatch.setenv("SZCG_CASEWORK_URL", "http://cases.example:8000")  # the operator's own choice wins
        assert airflow_local.component_env(site)["SZCG_CASEWORK_URL"] == "http://cases.example:8000"
    finally:
        assert szcg(["casework", "down"]) == 0
    assert "case service stopped" in capsys.readouterr().out
    assert running_case_service(settings) is None
    monkeypatch.delenv("SZCG_CASEWORK_URL")
    assert "SZCG_CASEWORK_URL" not in airflow_local.component_env(site)
    assert szcg(["casework", "down"]) == 0 and "was not running" in capsys.readouterr().out

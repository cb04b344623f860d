"""``szcg casework …``: migrate, create users and API clients from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from casework.db import MIGRATIONS_DIR
from szcg.cli import main


def head_revision() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SZCG_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SZCG_CASEWORK_DB_URL", raising=False)
    return tmp_path


def test_an_operator_creates_a_user_and_a_second_one_with_the_same_name_is_refused(
        data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["casework", "migrate", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["revision"] == head_revision()
    assert (data_dir / "casework" / "casework.sqlite").is_file()
    args = ["casework", "create-user", "li.si", "--password", "secret-123", "--role", "dispatcher",
            "--district", "140602", "--json"]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out) | {"seconds": 0} == {
        "ok": True, "created": 1, "username": "li.si", "role": "dispatcher", "seconds": 0}
    assert main(args) == 1
    assert "exists already" in capsys.readouterr().out


def test_a_department_user_without_its_department_is_refused(data_dir: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["casework", "create-user", "w", "--password", "secret-123", "--role", "department"]) == 1
    assert "department_code" in capsys.readouterr().err


def test_an_api_client_gets_a_key_once(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["casework", "create-api-client", "12345-hotline", "--source", "hotline", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["source"] == "hotline" and len(out["api_key"]) >= 40


def test_serve_is_offered_under_both_names() -> None:
    assert main(["serve", "casework", "--help"]) == 0
    assert main(["casework", "serve", "--help"]) == 0

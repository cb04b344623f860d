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


def test_a_survey_team_is_given_each_of_its_districts(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from casework.db import Database
    from casework.models import UserDistrict
    from szcg.settings import load_settings

    assert main(["casework", "create-user", "team", "--password", "secret-123", "--role", "survey_team",
                 "--district", "140602", "--district", "140603"]) == 0
    assert main(["casework", "create-user", "two", "--password", "secret-123", "--role", "dispatcher",
                 "--district", "140602", "--district", "140603"]) == 1
    assert "only a survey_team may have several districts" in capsys.readouterr().err
    db = Database(load_settings().casework_db_url)
    try:
        with db.reading() as s:
            assert sorted(d.district_code for d in s.query(UserDistrict)) == ["140602", "140603"]
    finally:
        db.dispose()


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


@pytest.mark.parametrize("command", [["casework", "migrate"], ["casework", "seed-demo-users"],
                                     ["casework", "create-api-client", "x"]])
def test_a_database_path_that_is_a_directory_is_a_clear_error(
        data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        command: list[str]) -> None:
    monkeypatch.setenv("SZCG_CASEWORK_DB_URL", f"sqlite:///{data_dir}")
    assert main(command) == 1
    err = capsys.readouterr().err
    assert f"{data_dir} is a directory" in err and "Traceback" not in err
    (data_dir / "plain-file").write_text("x")
    monkeypatch.setenv("SZCG_CASEWORK_DB_URL", f"sqlite:///{data_dir / 'plain-file' / 'casework.sqlite'}")
    assert main(command) == 1
    assert "plain-file is a file" in capsys.readouterr().err


def test_cases_commands_name_a_missing_path_or_a_directory_given_for_a_file(
        data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mapping = Path(__file__).parents[2] / "transforms" / "mappings" / "nyc_311_2019.yaml"
    export = data_dir / "export.csv"
    export.write_text("unique_key\n1\n", encoding="utf-8")
    for args, said in ((["cases", "import", str(data_dir), "--mapping", str(mapping)], "is a directory"),
                       (["cases", "import", str(export), "--mapping", str(data_dir)], "is a directory"),
                       (["cases", "import", str(data_dir / "none.csv"), "--mapping", str(mapping)], "no such file"),
                       (["cases", "import-parquet", str(export)], "not a directory"),
                       (["cases", "import-parquet", str(data_dir / "none")], "no such file")):
        assert main(args) == 1, args
        err = capsys.readouterr().err
        assert said in err and "Traceback" not in err, (args, err)

"""The one `szcg` program: help everywhere, JSON summaries, exit codes 0/1/2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from szcg.cli import AREAS, build_parser, main
from szcg.settings import Settings


def test_help_lists_every_area_and_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    areas = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert len(areas) >= len(AREAS)
    for area in areas:
        assert area in out


def test_every_subcommand_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    areas = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for area_name, area_parser in areas.items():
        assert main([area_name, "--help"]) == 0
        sub_actions = [a for a in area_parser._actions if getattr(a, "choices", None)]
        for command in sub_actions[0].choices if sub_actions else []:
            assert main([area_name, command, "--help"]) == 0, f"szcg {area_name} {command} --help"
    capsys.readouterr()


def test_usage_error_exits_two(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["warehouse", "no-such-command"]) == 2
    assert main(["no-such-area"]) == 2


def test_rejected_input_exits_one_with_a_json_reason(
    settings: Settings, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["warehouse", "land", str(tmp_path / "missing.csv"), "--kind", "census", "--json"]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["ok"] is False and "missing.csv" in payload["message"]


def test_json_summary_of_a_publish(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["warehouse", "publish", "--reason", "test", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["ok"] and payload["published"]["current"] and "seconds" in payload
    assert main(["warehouse", "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["current"] == payload["published"]["snapshot_id"]


def test_bad_settings_from_the_environment_are_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SZCG_WAREHOUSE_KEEP_SNAPSHOTS", "one")
    assert main(["warehouse", "status"]) == 2
    assert "SZCG_WAREHOUSE_KEEP_SNAPSHOTS" in capsys.readouterr().err

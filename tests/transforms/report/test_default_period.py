"""`szcg report` without --period prints the latest complete month: the newest one with published scorecards."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from szcg.cli import main
from szcg.settings import Settings
from tests.transforms.report.test_monthly_report import october_published  # noqa: F401  (fixture)


@pytest.mark.usefixtures("october_published")
def test_the_report_defaults_to_the_latest_published_month(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "latest.html"
    assert main(["report", "--out", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["version"] == 1
    assert "2026-10" in out.read_text(encoding="utf-8")


def test_with_nothing_published_it_asks_for_a_period(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from warehouse.store import Warehouse

    with Warehouse(settings).writer():
        pass
    Warehouse(settings).publish(reason="empty warehouse")
    assert main(["report", "--out", str(tmp_path / "r.pdf")]) == 2
    assert "give --period" in capsys.readouterr().err

"""The evaluation office needs the city's areas, departments and catalogue in the warehouse, traceable to config."""

from __future__ import annotations

import json

import pytest

from szcg.cli import main
from szcg.settings import Settings
from warehouse.fingerprint import database_fingerprint
from warehouse.store import Warehouse


def test_reference_load_fills_the_dimensions_and_is_idempotent(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["warehouse", "load-reference", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["loaded"]["core.department"] == 30
    wh = Warehouse(settings)
    with wh.writer() as con:
        first = database_fingerprint(con)
        levels = dict(con.execute("SELECT level, count(*) FROM core.admin_area GROUP BY 1").fetchall())
        assert levels["street"] == 69 and levels["city"] == 1
        # 怀仁县 became 怀仁市 in 2018: both versions are kept with their validity.
        huairen = con.execute(
            "SELECT code, valid_to IS NULL FROM core.admin_area WHERE code IN ('140624', '140681') ORDER BY 1"
        ).fetchall()
        assert huairen == [("140624", False), ("140681", True)]
        by_edition = dict(con.execute("SELECT edition, count(*) FROM core.subclass GROUP BY 1").fetchall())
        assert by_edition["gbt47678.5-2026"] == 153 + 250 and by_edition["cjt214-2007"] == 85 + 50
        ledger = con.execute("SELECT sum(rows_in), sum(rows_loaded) FROM landing.load").fetchone()
        assert ledger == (summary["loaded"]["core.subclass"] + 78 + 30,) * 2
    assert main(["warehouse", "load-reference"]) == 0
    with wh.writer() as con:
        assert database_fingerprint(con) == first

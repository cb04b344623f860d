"""Every input file is kept byte-for-byte; the same content is the same batch; rows are all accounted for."""

from __future__ import annotations

from pathlib import Path

import pytest

from szcg.errors import RowProblem
from szcg.settings import Settings
from warehouse.accounting import LoadCount, record_load, replace_quarantine
from warehouse.fingerprint import database_fingerprint
from warehouse.store import Warehouse


def test_landing_keeps_bytes_and_recognises_resubmission(settings: Settings, tmp_path: Path) -> None:
    source = tmp_path / "批次1.csv"
    source.write_bytes("OBJCODE,OBJNAME\n1406020101000001,上水井盖\n".encode("gbk"))
    wh = Warehouse(settings)
    with wh.writer() as con:
        first = wh.land(con, source, "census")
        second = wh.land(con, source, "census")
    assert first.batch_id == second.batch_id and second.already_landed
    assert first.path.read_bytes() == source.read_bytes()
    assert not first.path.stat().st_mode & 0o222, "landed files are read-only"
    source.write_bytes(source.read_bytes() + b"1406020101000002,x\n")
    with wh.writer() as con:
        corrected = wh.land(con, source, "census")
    assert corrected.batch_id != first.batch_id and not corrected.already_landed


def _load(wh: Warehouse, source: Path) -> None:
    """A minimal load: rows with an empty name are quarantined, the rest loaded, all in one transaction."""
    with wh.writer() as con:
        landed = wh.land(con, source, "census")
        lines = source.read_text(encoding="utf-8").splitlines()[1:]
        con.execute("CREATE TABLE IF NOT EXISTS core.demo_component (batch_id VARCHAR, code VARCHAR, name VARCHAR)")
        con.execute("BEGIN TRANSACTION")
        con.execute("DELETE FROM core.demo_component WHERE batch_id = ?", [landed.batch_id])
        problems, loaded = [], 0
        for number, line in enumerate(lines, start=1):
            code, name = line.split(",")
            if not name:
                problems.append(RowProblem(source.name, number, "OBJNAME", "required", "部件名称为空"))
                continue
            con.execute("INSERT INTO core.demo_component VALUES (?, ?, ?)", [landed.batch_id, code, name])
            loaded += 1
        quarantined = replace_quarantine(con, landed.batch_id, "core.demo_component", problems, {2: {"line": lines[1]}})
        record_load(con, LoadCount(landed.batch_id, "core.demo_component", len(lines), loaded, quarantined))
        con.execute("COMMIT")


def test_rerunning_the_same_load_leaves_the_warehouse_identical(settings: Settings, tmp_path: Path) -> None:
    source = tmp_path / "batch.csv"
    source.write_text("OBJCODE,OBJNAME\n1,上水井盖\n2,\n3,路灯\n", encoding="utf-8")
    wh = Warehouse(settings)
    _load(wh, source)
    with wh.writer() as con:
        first = database_fingerprint(con)
        assert con.execute("SELECT rows_in, rows_loaded, rows_quarantined FROM landing.load").fetchall() == [(3, 2, 1)]
        assert con.execute("SELECT row_number, field, rule FROM quarantine.rejected_row").fetchall() == [
            (2, "OBJNAME", "required")
        ]
    _load(wh, source)
    with wh.writer() as con:
        assert database_fingerprint(con) == first


def test_ledger_refuses_a_lost_row(settings: Settings) -> None:
    wh = Warehouse(settings)
    with wh.writer() as con, pytest.raises(AssertionError, match="a row was lost"):
        record_load(con, LoadCount("b", "core.x", 10, 8, 1))

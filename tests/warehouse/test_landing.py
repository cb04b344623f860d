"""Every input file is kept byte-for-byte; the same content is the same batch; rows are all accounted for."""

from __future__ import annotations

import hashlib
import shutil
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


def test_the_batch_id_is_the_hash_of_the_bytes_kept_and_nothing_else_is_left(settings: Settings,
                                                                              tmp_path: Path) -> None:
    source = tmp_path / "batch.csv"
    source.write_bytes(b"OBJCODE\n1\n" * 1000)
    wh = Warehouse(settings)
    with wh.writer() as con:
        landed = wh.land(con, source, "census")
        again = wh.land(con, source, "census")
    assert landed.sha256 == hashlib.sha256(landed.path.read_bytes()).hexdigest() == again.sha256
    assert landed.batch_id == f"census-{landed.sha256[:16]}" and landed.size_bytes == 10_000
    kept = sorted(p.name for p in (settings.landing_dir / "census").rglob("*") if p.is_file())
    assert kept == ["batch.csv"], "the copy being hashed is moved into place or removed"


def test_a_file_changing_while_it_is_landed_is_refused_and_leaves_nothing(settings: Settings, tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "batch.csv"
    source.write_bytes(b"OBJCODE\n1\n")
    copy = shutil.copyfile

    def copy_while_the_survey_team_saves_again(src: Path, dst: Path) -> Path:
        done = copy(src, dst)
        with open(src, "ab") as handle:  # the source grows after the copy was taken
            handle.write(b"2\n")
        return done

    monkeypatch.setattr(shutil, "copyfile", copy_while_the_survey_team_saves_again)
    wh = Warehouse(settings)
    with wh.writer() as con:
        with pytest.raises(OSError, match="changed while being landed"):
            wh.land(con, source, "census")
        assert con.execute("SELECT count(*) FROM landing.landed_file").fetchone() == (0,)
    assert not [p for p in (settings.landing_dir / "census").rglob("*") if p.is_file()]


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


def test_a_missing_path_or_a_directory_is_refused_by_name(settings: Settings, tmp_path: Path) -> None:
    from szcg.errors import InputRejected

    wh = Warehouse(settings)
    with wh.writer() as con:
        with pytest.raises(InputRejected, match="does not exist") as missing:
            wh.land(con, tmp_path / "没有这个文件.csv", "census")
        with pytest.raises(InputRejected, match="is a directory"):
            wh.land(con, tmp_path, "census")
    assert missing.value.problems[0].file == "没有这个文件.csv"


def test_a_refused_file_keeps_only_its_head_and_is_whole_again_when_landed_again(settings: Settings,
                                                                                 tmp_path: Path) -> None:
    from warehouse.landing import keep_head_only

    source = tmp_path / "batch.csv"
    source.write_bytes(b"OBJCODE\n" + b"1\n" * 1_000_000)
    wh = Warehouse(settings)
    with wh.writer() as con:
        landed = wh.land(con, source, "census")
    assert keep_head_only(landed, 1000) == 1000
    assert landed.path.read_bytes() == source.read_bytes()[:1000] and not landed.path.stat().st_mode & 0o222
    with wh.writer() as con:
        again = wh.land(con, source, "census")
    assert again.already_landed and again.path.read_bytes() == source.read_bytes()


def test_a_copy_made_apart_is_landed_like_land_file_or_leaves_nothing(settings: Settings, tmp_path: Path) -> None:
    """Loads copy and hash on a thread while DuckDB reads the source, then register the copy in their transaction:
    the result is land_file's; a copy that is never registered leaves no file behind."""
    from warehouse.landing import copy_for_landing, discard_copy, register_copy

    source = tmp_path / "cases.parquet"
    source.write_bytes(b"PAR1" * 5000)
    wh = Warehouse(settings)
    copied = copy_for_landing(settings.landing_dir, source, "synth_cases")
    with wh.writer() as con:
        registered = register_copy(con, settings.landing_dir, copied)
        again = wh.land(con, source, "synth_cases")
        count = con.execute("SELECT count(*) FROM landing.landed_file").fetchone()
    assert registered.batch_id == again.batch_id and again.already_landed and count == (1,)
    assert registered.path.read_bytes() == source.read_bytes() and not registered.path.stat().st_mode & 0o222
    other = tmp_path / "events.parquet"
    other.write_bytes(b"PAR1" * 7)
    discard_copy(copy_for_landing(settings.landing_dir, other, "synth_case_events"))
    kept = sorted(p.name for p in settings.landing_dir.rglob("*") if p.is_file())
    assert kept == ["cases.parquet"], "no copy in incoming stays behind"

"""The survey team's loop: deliver a batch, get a report, fix the problems, deliver the corrected batch."""

from __future__ import annotations

import json
from pathlib import Path

from cityfiles import LON0, cell_centre, census_rows, grid_code, write_csv, write_grids

from szcg.cli import main


def test_grids_then_census_batch_by_cli_with_report_and_resubmission(settings, tmp_path: Path, capsys) -> None:
    grids = write_grids(tmp_path / "grids.geojson")
    assert main(["grids", "load", str(grids), "--valid-from", "2026-01-01", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["rows_in"], out["rows_loaded"], out["rows_quarantined"]) == (48, 48, 0)
    assert out["communities_added"] == 4 and out["published"]

    rows = census_rows(20)
    rows[3]["OBJCODE"] = "14060201001"  # too short
    rows[4]["OBJSTATE"] = "坏了"  # not a state
    rows[6]["BGCODE"] = ""  # grid assigned from the position
    batch = write_csv(tmp_path / "普查第一批.csv", rows, "gbk")
    report_dir = tmp_path / "reports"
    rc = main(["census", "ingest", str(batch), "--district", "140602", "--report-dir", str(report_dir), "--json"])
    result = json.loads(capsys.readouterr().out)["batches"][0]
    assert rc == 0
    assert result["encoding"] == "gbk" and result["mapping"] == "standard"
    assert (result["rows_in"], result["rows_loaded"], result["rows_quarantined"]) == (20, 18, 2)
    assert result["new"] == 18 and result["grids_assigned"] == 1
    assert result["problems_by_rule"] == {"component_id.format": 1, "state.vocabulary": 1}
    html = Path(result["report"]["html"]).read_text(encoding="utf-8")
    assert "部件普查批次报告" in html and "state.vocabulary" in html and "第一批" in html
    assert Path(result["report"]["xlsx"]).stat().st_size > 0 and Path(result["report"]["png"]).exists()

    # Same file again: recognised, nothing changes.
    assert main(["census", "ingest", str(batch), "--district", "140602", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)["batches"][0]
    assert again["already_loaded"] and again["rows_loaded"] == 18

    # The corrected batch: the two fixed rows are new, the rest unchanged, one state changed by a later survey.
    rows[3]["OBJCODE"] = "14060201001000004"
    rows[4]["OBJSTATE"] = "破损"
    rows[0].update(OBJSTATE="丢失", CHDATE="20260901")
    fixed = write_csv(tmp_path / "普查第一批_修正.csv", rows, "utf-8")
    assert main(["census", "ingest", str(fixed), "--district", "140602", "--json"]) == 0
    second = json.loads(capsys.readouterr().out)["batches"][0]
    assert (second["rows_loaded"], second["rows_quarantined"]) == (20, 0)
    assert (second["new"], second["changed"], second["unchanged"]) == (2, 1, 17)

    assert main(["census", "inventory", "--on", "2026-08-15", "--json"]) == 0
    before = json.loads(capsys.readouterr().out)
    assert before["components"] == 20 and before["by_state"].get("missing") is None
    assert main(["census", "inventory", "--on", "2026-09-02", "--json"]) == 0
    after = json.loads(capsys.readouterr().out)
    assert after["components"] == 20 and after["by_state"]["missing"] == 1


def test_every_row_is_accounted_for_in_the_ledger_and_quarantine(census) -> None:
    rows = census_rows(10)
    rows[2]["OBJCODE"] = rows[1]["OBJCODE"]  # duplicate id: both rows quarantined
    rows[5]["OBJCODE"] = "14060299999000006"  # unknown subclass 99999
    rows[7]["OBJCODE"] = "14060301001000008"  # 平鲁区 prefix in a 朔城区 batch
    result = census.ingest(write_csv(census.tmp / "b.csv", rows))
    rules = {(p.row_number, p.rule) for p in result.problems}
    assert {(2, "component_id.duplicate_in_batch"), (3, "component_id.duplicate_in_batch"),
            (6, "component_id.subclass_unknown"), (8, "component_id.admin_prefix")} <= rules
    (rows_in, loaded, quarantined), = census.query(
        "SELECT rows_in, rows_loaded, rows_quarantined FROM landing.load WHERE batch_id = ?", [result.batch_id])
    assert (rows_in, loaded, quarantined) == (10, 6, 4)
    stored = census.query("SELECT DISTINCT row_number, raw_record FROM quarantine.rejected_row WHERE batch_id = ?",
                          [result.batch_id])
    assert len(stored) == 4 and all(json.loads(raw)["OBJNAME"] == "供水井盖" for _, raw in stored)
    assert census.query("SELECT count(*) FROM core.component")[0][0] == 6


def test_resubmitting_a_batch_leaves_the_warehouse_identical(census) -> None:
    from warehouse.fingerprint import database_fingerprint

    path = write_csv(census.tmp / "b.csv", census_rows(6))
    census.ingest(path)
    with census.wh.writer() as con:
        before = database_fingerprint(con)
    again = census.ingest(path)
    with census.wh.writer() as con:
        assert database_fingerprint(con) == before
    assert again.already_loaded


def test_a_batch_refused_for_want_of_grids_is_taken_when_resubmitted_after_the_grids(census) -> None:
    rows = census_rows(3)
    for r in rows:
        r["OBJCODE"] = "140603" + r["OBJCODE"][6:]  # 平鲁区: no grids loaded there yet
    path = write_csv(census.tmp / "pinglu.csv", rows)
    first = census.ingest(path, district="140603")
    assert first.rejected_message and "grids load" in first.rejected_message
    second = census.ingest(path, district="140603")
    assert second.rejected_message and not second.already_loaded  # tried again, same reason
    assert census.query("SELECT count(*) FROM landing.load WHERE batch_id = ?", [first.batch_id]) == [(1,)]


def test_a_point_on_the_edge_of_a_grid_lies_in_that_grid(census) -> None:
    """Areas are closed: a manhole cover surveyed exactly on its grid's edge (here the lattice's west edge, whose
    longitude is exact in every format) is in its declared grid, and one without a declared grid is assigned it."""
    rows = census_rows(2)
    for row, (col, line) in zip(rows, [(0, 0), (0, 1)], strict=True):
        row["X"], row["Y"] = f"{LON0:.7f}", f"{cell_centre(col, line)[1]:.7f}"
    rows[1]["BGCODE"] = ""
    result = census.ingest(write_csv(census.tmp / "edge.csv", rows))
    assert (result.rows_loaded, result.problems, result.grids_assigned) == (2, [], 1)
    assert census.query("SELECT grid_code FROM core.component ORDER BY component_id") == [
        (grid_code(0, 0),), (grid_code(0, 1),)]

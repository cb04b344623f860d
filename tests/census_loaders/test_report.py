"""The batch report stays readable and complete however large the batch: the page shows the first rows of each list
and says so, the workbook holds every row over as many sheets as Excel's row limit needs."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from cityfiles import census_rows, write_csv

import census_loaders.report as report
from census_loaders.report import batch_grids, write_report


def test_a_big_batch_report_pages_the_html_and_splits_the_workbook(census, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report, "HTML_ROWS", 5)
    monkeypatch.setattr(report, "SHEET_ROWS", 8)
    result = census.ingest(write_csv(census.tmp / "first_census.csv", census_rows(20)))
    assert result.new == 20
    with census.wh.writer(spatial=True) as con:
        paths = write_report(result, batch_grids(con, result), census.tmp / "reports")
    page = Path(paths["html"]).read_text(encoding="utf-8")
    assert "仅显示前 5 行，共 20 行；完整清单见同名 XLSX 文件。" in page
    assert page.count("<td>新增</td>") == 5
    book = openpyxl.load_workbook(paths["xlsx"], read_only=True)
    parts = [name for name in book.sheetnames if name.startswith("与现有库对比")]
    assert parts == ["与现有库对比", "与现有库对比 (2)", "与现有库对比 (3)"]
    rows = [list(book[name].iter_rows(values_only=True)) for name in parts]
    assert [len(r) - 1 for r in rows] == [8, 8, 4], "each sheet has its header and its share of the rows"
    assert sorted(r[-1] for sheet in rows for r in sheet[1:]) == list(range(1, 21)), "every row number once"


def test_a_formula_in_a_survey_cell_reaches_the_workbook_as_text(census) -> None:
    rows = census_rows(3)
    rows[1]["OBJNAME"] = '=HYPERLINK("http://example.invalid/x","点击查看")'
    rows[2]["OBJSTATE"] = "=1+1"  # not a state word: quoted back in the problem list
    result = census.ingest(write_csv(census.tmp / "formula.csv", rows))
    with census.wh.writer(spatial=True) as con:
        paths = write_report(result, batch_grids(con, result), census.tmp / "reports")
    book = openpyxl.load_workbook(paths["xlsx"])  # not data_only: a formula would show as one
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not [c.coordinate for c in cells if c.data_type == "f"], "no live formula"
    texts = {c.value for c in cells}
    assert rows[1]["OBJNAME"] in texts

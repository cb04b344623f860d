"""Story 4, leaders (领导), in a real browser: the issued monthly reports listed and downloaded as the archive
keeps them, the links into the Superset dashboards; a department is refused."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.portal.conftest import PortalServer
from transforms.report.delivery import IssuedReport, archive_dir


def archive_report(chromium: Any, settings: Any, period: str, version: int, reason: str = "") -> bytes:
    """A report in the archive as ``issue_report`` leaves it: a PDF (printed by Chromium) and its entry."""
    page = chromium.new_page()
    try:
        page.set_content(f"<h1>朔州市数字化城市管理月度报告 {period}</h1>")
        pdf = page.pdf()
    finally:
        page.close()
    folder = archive_dir(settings) / period
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"v{version}.pdf"
    path.write_bytes(pdf)
    entry = IssuedReport(period, version, version > 1, reason, "2026-12-02", str(path),
                         hashlib.sha256(pdf).hexdigest(), 1, 0)
    (folder / f"v{version}.json").write_text(json.dumps(entry.to_dict(), ensure_ascii=False), encoding="utf-8")
    return pdf


@pytest.fixture(scope="module")
def issued(chromium: Any, portal_server: PortalServer) -> dict[str, bytes]:
    settings = portal_server.settings
    return {"2026-10-v1": archive_report(chromium, settings, "2026-10", 1),
            "2026-11-v1": archive_report(chromium, settings, "2026-11", 1),
            "2026-11-v2": archive_report(chromium, settings, "2026-11", 2, "申诉成立，朔城区环卫所扣分更正")}


def test_a_leader_reads_the_monthly_reports_and_finds_the_dashboards(issued: dict[str, bytes], browser_page: Any,
                                                                     login_as: Callable[..., None],
                                                                     tmp_path: Path) -> None:
    page = browser_page
    login_as(page, "evaluator")
    page.goto("/reports")
    rows = page.get_by_role("table", name="已发布的月度报告").locator("tbody tr").all_inner_texts()
    assert [r.split("\t")[:2] for r in rows] == [["2026-11", "第 2 版 更正版"], ["2026-11", "第 1 版 （已被更正）"],
                                                 ["2026-10", "第 1 版"]]  # newest month and version first
    assert "申诉成立" in rows[0]
    with page.expect_download() as download:
        page.get_by_role("link", name="下载 2026-11 第 2 版 PDF").click()
    saved = tmp_path / "report.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes() == issued["2026-11-v2"]
    assert download.value.suggested_filename == "2026-11-v2-corrected.pdf"
    links = page.get_by_role("list", name="数据看板").get_by_role("link")
    assert "领导驾驶舱" in links.all_inner_texts()
    assert links.first.get_attribute("href").startswith("http://127.0.0.1:8088/superset/dashboard/")


def test_a_changed_report_file_is_not_handed_out(issued: dict[str, bytes], portal_server: PortalServer,
                                                 browser_page: Any, login_as: Callable[..., None]) -> None:
    login_as(browser_page, "admin")
    pdf = archive_dir(portal_server.settings) / "2026-10" / "v1.pdf"
    pdf.write_bytes(issued["2026-10-v1"] + b"tampered")
    response = browser_page.request.get("/reports/2026-10/v1.pdf")
    assert response.status == 404
    pdf.write_bytes(issued["2026-10-v1"])
    assert browser_page.request.get("/reports/2026-10/v1.pdf").body() == issued["2026-10-v1"]
    assert browser_page.request.get("/reports/..%2F..%2Fsecret/v1.pdf").status == 404


def test_a_department_may_not_read_the_reports(issued: dict[str, bytes], browser_page: Any,
                                               login_as: Callable[..., None]) -> None:
    login_as(browser_page, "dept-14060014")
    assert browser_page.goto("/reports").status == 403
    assert browser_page.get_by_role("link", name="月度报告").count() == 0
    assert browser_page.request.get("/reports/2026-11/v2.pdf").status == 403

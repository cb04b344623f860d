"""Story 2 in a real browser: the evaluation office (评价办公室, ``evaluator``) reviews October's draft beside
September's published scorecards, opens the cases behind a score and publishes; a department (专业部门) files an
appeal with an evidence file; the office accepts it (a new version, visible in the history with who/when/why);
a 扣分 makes another version. Refusals: a department on the office's pages or another department's scorecard, an
empty reason.

The city is the evaluation tests' hand-counted October (tests/transforms/evaluation/city.py) with its two
departments renamed to two of the demo's, so the demo accounts ``dept-<code>`` are those departments.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from szcg.settings import Settings
from tests.portal.conftest import PortalServer, city_settings, start_portal
from tests.transforms.evaluation.city import DA, DB, build_october
from transforms.evaluation import store
from transforms.evaluation.period import parse_period
from usecases.evaluation import evaluation_context
from warehouse.store import Warehouse

OURS, OTHER = "14060003", "14060005"  # 朔州市环境卫生服务中心, 朔州市市政设施服务中心 (the city's departments)
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def evaluated_city(settings: Settings) -> None:
    """September published, October drafted — as the office finds them at the start of November."""
    city = build_october()
    rename = {DA: OURS, DB: OTHER}
    for case in city.cases:
        for event in case.events:
            event["department_code"] = rename.get(event["department_code"], event["department_code"])
    scheme, calendar, handbook = evaluation_context(settings)
    wh = Warehouse(settings)
    with wh.writer() as con:
        city.load(con)
        for month in ("2026-09", "2026-10"):
            store.compute_draft(con, parse_period(month), scheme, calendar, actor="airflow", handbook=handbook)
        store.publish(con, parse_period("2026-09"), actor="airflow")
    wh.publish(reason="portal tests: evaluated October")


@pytest.fixture(scope="module")
def office_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PortalServer]:
    settings = city_settings(tmp_path_factory.mktemp("evaluation-office"))
    evaluated_city(settings)
    server, stop = start_portal(settings)
    yield server
    stop()


@pytest.fixture(scope="module")
def office_portal_on_postgresql(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PortalServer]:
    """The same portal with its accounts and sessions in PostgreSQL (the case database CI also runs on)."""
    from tests.casework.pg import pg_available, start_server

    reason = pg_available()
    if reason:
        pytest.skip(reason)
    pg = start_server()
    try:
        settings = city_settings(tmp_path_factory.mktemp("evaluation-office-pg"), pg.create_database("portal_p3"))
        evaluated_city(settings)
        server, stop = start_portal(settings)
        yield server
        stop()
    finally:
        pg.stop()


def _new_page(chromium: Any, server: PortalServer) -> Any:
    context = chromium.new_context(base_url=server.url, locale="zh-CN", timezone_id="Asia/Shanghai",
                                   viewport={"width": 1360, "height": 900})
    p = context.new_page()
    p.set_default_timeout(60_000)  # a decision recomputes the month: generous on a loaded machine
    return p


@pytest.fixture
def page(chromium: Any, office_portal: PortalServer) -> Iterator[Any]:
    p = _new_page(chromium, office_portal)
    yield p
    p.context.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_backend_page(request: pytest.FixtureRequest, chromium: Any) -> Iterator[Any]:
    """A page on the SQLite portal, then on the PostgreSQL one."""
    name = "office_portal" if request.param == "sqlite" else "office_portal_on_postgresql"
    p = _new_page(chromium, request.getfixturevalue(name))
    yield p
    p.context.close()


def _sign_in(page: Any, login_as: Callable[..., None], username: str) -> None:
    page.context.clear_cookies()
    login_as(page, username)


def _total(page: Any) -> float:
    """The 综合分 shown on a score page."""
    return float(page.get_by_text("综合分", exact=True).locator("xpath=..").locator("strong").inner_text())


def _status(page: Any) -> str:
    return str(page.get_by_role("status").inner_text())


def test_the_office_reviews_publishes_and_decides_an_appeal_with_evidence(
        page: Any, login_as: Callable[..., None], tmp_path: Path, office_portal: PortalServer) -> None:
    # 1. the office: October's draft beside September's published, department tab
    _sign_in(page, login_as, "evaluator")
    page.goto("/scorecards")
    page.get_by_role("link", name="综合评价").first.click()
    page.get_by_role("navigation", name="评价对象").get_by_role("link", name="专业部门").click()
    board = page.get_by_role("table", name="本期与上月对照")
    assert "2026-10 草稿" in board.inner_text() and "2026-09 已发布" in board.inner_text()
    row = board.get_by_role("row").filter(has_text=OURS)
    assert row.count() == 1
    # 2. the cases behind the score: 按期处置率 counted C01 and C03 (on time) and C02, C12 (late or open)
    row.get_by_role("link", name=re.compile("草稿得分")).click()
    page.get_by_role("link", name="按期处置率的计分案件").click()
    cases = page.get_by_role("table", name="计分案件")
    assert [c.strip() for c in cases.locator("tbody tr td:first-child").all_inner_texts()] == [
        "t:C01", "t:C02", "t:C03", "t:C12"]
    # 3. publish: confirmation with the gate's result, then version 1
    page.goto("/scorecards?period=2026-10&object=department&level=department")
    page.get_by_role("link", name="发布本期评价结果…").click()
    assert "检查通过" in page.get_by_role("region", name="发布检查").inner_text()
    page.get_by_role("button", name="确认发布").click()
    assert "2026-10 评价结果已发布为第 1 版" in _status(page)

    # 4. the department files an appeal on its own scorecard, with an evidence file
    _sign_in(page, login_as, f"dept-{OURS}")
    page.goto("/appeals")
    page.get_by_role("table", name="本部门评价结果").get_by_role("row").filter(has_text="2026-10").get_by_role(
        "link", name="计分案件与申诉").click()
    page.get_by_role("row").filter(has_text="t:C02").get_by_role("link", name="申诉").click()
    assert page.get_by_label("案件编号").input_value() == "t:C02"
    page.get_by_label("指标").select_option(label="按期处置率")
    page.get_by_label("申诉理由").fill("节后积压，已向指挥中心报备")
    evidence = tmp_path / "报备单.pdf"  # a scanned form: more than the portal's 1 MiB limit of other forms
    scan = PDF + b"%" + b"0" * (3 * 1024 * 1024) + b"\n"
    evidence.write_bytes(scan)
    page.get_by_label("证明材料").set_input_files(str(evidence))
    page.get_by_role("button", name="提交申诉").click()
    assert "申诉 #1 已提交" in _status(page) and "证明材料 1 个" in _status(page)

    # 5. the office sees it in the queue with its evidence and accepts it: version 2
    _sign_in(page, login_as, "evaluator")
    page.goto("/appeals")
    appeal = page.get_by_role("article", name="申诉 #1")
    with page.expect_download() as download:
        appeal.get_by_role("link", name="报备单.pdf").click()
    assert Path(download.value.path()).read_bytes() == scan
    appeal.get_by_label("处理理由（申诉 #1）").fill("情况属实，予以核减")
    appeal.get_by_role("button", name="受理申诉 #1").click()
    assert "申诉 #1 已受理，2026-10 重新发布为第 2 版" in _status(page)

    # 6. the history: every version and who did what, when and why
    page.goto(f"/scorecards/2026-10/history/department/department/{OURS}")
    versions = page.get_by_role("table", name="版本").inner_text()
    assert "第 1 版" in versions and "第 2 版" in versions and "申诉 #1 受理：情况属实，予以核减" in versions
    actions = page.get_by_role("table", name="操作记录")
    filed = actions.get_by_role("row").filter(has_text="提出申诉 #1").inner_text()
    assert f"dept-{OURS}" in filed and "节后积压" in filed and re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", filed)
    accepted = actions.get_by_role("row").filter(has_text="申诉受理 #1").inner_text()
    assert "evaluator" in accepted and "情况属实，予以核减" in accepted and "第 2 版" in accepted

    # 7. 扣分: points, reason and approver make version 3, and the score says so
    page.goto(f"/scorecards/2026-10/v2/department/department/{OURS}")
    before = _total(page)
    page.get_by_label("分值（扣分填负数）").fill("-5")
    page.get_by_label("审批人").fill("张主任")
    page.get_by_label("调整理由").fill("群众投诉处置不力")
    page.get_by_role("button", name="记录并重新发布").click()
    assert "扣分 -5 已记录，2026-10 重新发布为第 3 版" in _status(page)
    adjusted = page.get_by_role("table", name="操作记录").get_by_role("row").filter(has_text="扣分/加分").inner_text()
    assert "-5（审批人：张主任）" in adjusted and "群众投诉处置不力" in adjusted and "evaluator" in adjusted
    page.goto(f"/scorecards/2026-10/v3/department/department/{OURS}")
    assert _total(page) == round(before - 5, 2)
    assert "审批人：张主任" in page.get_by_role("region", name="扣分加分").inner_text()


def test_a_department_cannot_open_the_offices_pages_or_another_departments_scorecard(
        any_backend_page: Any, login_as: Callable[..., None]) -> None:
    page = any_backend_page
    _sign_in(page, login_as, f"dept-{OURS}")
    assert page.get_by_role("link", name="综合评价").count() == 0  # not in its navigation
    for url in ("/scorecards", "/scorecards/2026-10/publish", f"/scorecards/2026-09/v1/department/department/{OTHER}",
                f"/scorecards/2026-09/history/department/department/{OTHER}",
                "/scorecards/2026-09/v1/region/district/140602"):
        response = page.goto(url)
        assert response.status == 403, url
    response = page.goto(f"/appeals/new?period=2026-10&entity={OTHER}")  # an appeal on another's scorecard
    assert response.status == 403 and "只能对本部门" in page.get_by_role("alert").inner_text()
    response = page.goto(f"/scorecards/2026-09/v1/department/department/{OURS}")  # its own: yes
    assert response.status == 200


def test_a_department_appealing_another_departments_scorecard_is_refused(
        page: Any, login_as: Callable[..., None], office_portal: PortalServer) -> None:
    """A hand-made POST naming another department changes nothing."""
    _sign_in(page, login_as, f"dept-{OURS}")
    page.goto("/appeals/new?period=2026-09")
    page.evaluate(f"document.querySelector('input[name=entity]').value = '{OTHER}'")
    page.get_by_label("案件编号").fill("t:C11")
    page.get_by_label("申诉理由").fill("不是本部门的案件")
    with page.expect_response(lambda r: r.url.endswith("/appeals") and r.request.method == "POST") as answer:
        page.get_by_role("button", name="提交申诉").click()
    assert answer.value.status == 403
    with Warehouse(office_portal.settings).reader() as con:
        assert con.execute("SELECT count(*) FROM marts.appeal WHERE entity_code = ?", [OTHER]).fetchone() == (0,)


def test_an_empty_reason_is_refused_and_publishes_nothing(page: Any, login_as: Callable[..., None],
                                                          office_portal: PortalServer) -> None:
    _sign_in(page, login_as, "evaluator")
    page.goto("/scorecards?period=2026-09")
    with Warehouse(office_portal.settings).reader() as con:
        before = con.execute("SELECT count(*) FROM marts.scorecard WHERE period = '2026-09'").fetchone()
    page.get_by_label("重新发布理由").fill("   ")  # passes the browser's `required`, not the server
    page.get_by_role("button", name="重新发布").click()
    assert "重新发布需要填写理由" in page.get_by_role("alert").inner_text()
    with Warehouse(office_portal.settings).reader() as con:
        assert con.execute("SELECT count(*) FROM marts.scorecard WHERE period = '2026-09'").fetchone() == before


def _comparison_heading(page: Any) -> str:
    return str(page.get_by_role("heading", level=2).filter(has_text="对照").inner_text())


def test_a_published_month_is_titled_by_its_version_not_as_a_draft(
        page: Any, login_as: Callable[..., None]) -> None:
    """September is published (version 1): the board titles its scores 已发布 第 1 版, never 草稿, and links to
    that version; a re-issue makes it 第 2 版, the 更正版. (Last in the module: it re-issues September.)"""
    _sign_in(page, login_as, "evaluator")
    page.goto("/scorecards?period=2026-09&object=department&level=department")
    heading = _comparison_heading(page)
    assert heading.startswith("2026-09 已发布 第 1 版与") and "草稿" not in heading, heading
    board = page.get_by_role("table", name="本期与上月对照")
    assert "2026-09 已发布 第 1 版" in board.locator("thead").inner_text()
    score = board.get_by_role("row").filter(has_text=OURS).get_by_role("link", name=re.compile("已发布 第 1 版得分"))
    assert "/scorecards/2026-09/v1/" in score.get_attribute("href")

    page.get_by_label("重新发布理由").fill("迟报事件补录")
    page.get_by_role("button", name="重新发布").click()
    assert "第 2 版" in _status(page)
    page.goto("/scorecards?period=2026-09&object=department&level=department")
    heading = _comparison_heading(page)
    assert heading.startswith("2026-09 已发布 第 2 版（更正版）与") and "草稿" not in heading, heading

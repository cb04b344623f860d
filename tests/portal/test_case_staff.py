"""Story 3, case staff, in a real browser: the task list, a case's page (history with the deadline that applied at
each step, photos, the grid map), exactly the buttons the role may take, the approval steps with their reasons —
on SQLite and on PostgreSQL. And the refusals: another department's case, a transition posted by hand by a role
that may not take it, a survey team on the case pages."""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from casework.cli import DEMO_PASSWORD
from casework.service import Actor, ReportInput
from portal.routers.cases import actions_now
from tests.census_loaders.cityfiles import cell_centre, grid_code
from tests.portal.conftest import PortalServer, log_in, start_portal

WATER = "14060014"  # the handbook's department for 01001 供水井盖 (a city-level company)
SANITATION = "14060003"
OPERATOR = Actor("operator", "operator")


def tiny_png() -> bytes:
    """A real 2×2 PNG (what a phone's photo would be, smaller)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\xd0\x30\x30" * 2 for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def report_in_lattice(server: PortalServer, col: int = 2, row: int = 3, description: str = "井盖缺失") -> int:
    """A 受理员's report with a position and no grid code (as the hotline gives it)."""
    lon, lat = cell_centre(col, row)
    case, _ = server.service.report(OPERATOR, ReportInput(kind="component", subclass_code="01001", source="hotline",
                                                          description=description, address="北城街道测试路",
                                                          lon=lon, lat=lat))
    return int(case["id"])


def buttons(page: Any) -> list[str]:
    return sorted(page.locator("section.actions button").all_inner_texts())


def act(page: Any, name: str, comment: str = "", **fields: str) -> None:
    form = page.get_by_role("form", name=name, exact=True)
    for label, value in fields.items():
        control = form.get_by_label(label)
        if control.evaluate("e => e.tagName") == "SELECT":
            control.select_option(value)
        elif control.get_attribute("type") == "file":
            control.set_input_files(value)
        else:
            control.fill(value)
    if comment:
        form.get_by_label(f"{name}意见", exact=False).fill(comment)
    form.get_by_role("button", name=name, exact=True).click()
    page.wait_for_load_state("domcontentloaded")


def open_case(page: Any, username: str, case_id: int) -> None:
    log_in(page, username)
    page.goto(f"/cases/{case_id}")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def staff_portal(request: pytest.FixtureRequest, portal_server: PortalServer) -> Iterator[PortalServer]:
    if request.param == "sqlite":
        yield portal_server
        return
    from tests.casework.pg import pg_available, start_server
    from tests.portal.conftest import city_settings

    reason = pg_available()
    if reason:
        pytest.skip(reason)
    pg = start_server()
    try:
        settings = city_settings(portal_server.settings.data_dir, pg.create_database("portal_staff"))
        server, stop = start_portal(settings)
        try:
            yield server
        finally:
            stop()
    finally:
        pg.stop()


def test_case_staff_walk_a_case_through_the_loop(staff_portal: PortalServer, chromium: Any, tmp_path: Any) -> None:
    server = staff_portal
    case_id = report_in_lattice(server)
    with server.service.db.read() as conn:
        case = server.service.find_case(conn, case_id)
    assert case is not None and (case["grid_code"], case["district_code"]) == (grid_code(2, 3), "140602")

    context = chromium.new_context(base_url=server.url, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    try:
        # 受理员: the case waits in the task list; its page shows the map and exactly the operator's buttons
        log_in(page, "operator")
        page.get_by_role("link", name=str(case_id), exact=True).click()
        assert page.get_by_role("img", name=f"案件 {case_id} 在网格图上的位置").is_visible()
        facts = page.locator("dl.facts")
        assert facts.get_by_text(grid_code(2, 3)).is_visible()  # placed at intake: grid, community, street
        assert facts.get_by_text("测试社区2", exact=True).is_visible()
        assert facts.get_by_text("北城街道", exact=True).is_visible()
        assert buttons(page) == sorted(["受理", "派核实", "不予立案"])
        act(page, "受理", "属实，受理")
        assert f"案件 {case_id}：已受理" in page.get_by_role("status").inner_text()
        history = page.get_by_role("table", name="办理记录")
        assert re.search(r"受理：截止 \d{4}-\d\d-\d\d \d\d:\d\d", history.inner_text())  # the deadline that applied
        assert history.locator(".badge.met").count() == 1

        # 值班长 registers; a district's 派遣员 sees it (placed in 朔城区) and dispatches to the water company
        open_case(page, "leader", case_id)
        assert buttons(page) == sorted(["立案", "不予立案"])
        act(page, "立案")
        log_in(page, "dispatcher-140603")  # another district's dispatcher: not in the list
        assert page.get_by_role("link", name=str(case_id), exact=True).count() == 0
        log_in(page, "dispatcher-140602")
        page.get_by_role("link", name=str(case_id), exact=True).click()
        assert buttons(page) == sorted(["派遣", "申请作废"])
        act(page, "派遣", 派往专业部门=WATER)

        # 专业部门: signs, asks for an extension (a reason is required), the 值班长 approves it
        open_case(page, f"dept-{WATER}", case_id)
        assert buttons(page) == sorted(["签收", "处置反馈", "申请回退"])
        act(page, "签收")
        assert buttons(page) == sorted(["处置反馈", "申请回退", "申请延期", "申请挂账"])
        act(page, "申请延期", "需调配井盖，申请延期一天", **{"延期时长（小时）": "8"})
        open_case(page, "leader", case_id)
        assert buttons(page) == sorted(["批准延期", "驳回延期"])
        act(page, "批准延期", "同意延期")
        assert "延期 8 小时" in page.get_by_role("table", name="办理记录").inner_text()

        # the department reports back with a photo, shown inline to the 监督员 who checks it
        photo = tmp_path / "fixed.png"
        photo.write_bytes(tiny_png())
        open_case(page, f"dept-{WATER}", case_id)
        act(page, "处置反馈", "已更换井盖", 附件照片=str(photo))
        open_case(page, "supervisor-140602", case_id)
        image = page.get_by_role("img", name=re.compile("附件照片"))
        assert image.evaluate("img => img.complete && img.naturalWidth") == 2
        act(page, "核查通过", "现场核查已修复")
        open_case(page, "leader", case_id)
        act(page, "结案")
        assert page.get_by_role("heading", level=1).inner_text().endswith("已结案")
        assert buttons(page) == []
    finally:
        context.close()


@contextmanager
def _signed_in(server: PortalServer, username: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        page = client.get("/login").text
        token = page.split('name="csrf_token" value="')[1].split('"')[0]
        r = client.post("/login", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token})
        assert r.status_code == 303, r.text
        yield client


def _csrf(client: httpx.Client, path: str) -> str:
    return client.get(path).text.split('name="csrf_token" value="')[1].split('"')[0]


def test_a_department_cannot_open_another_departments_case(portal_server: PortalServer, browser_page: Any,
                                                          login_as: Callable[..., None]) -> None:
    case_id = report_in_lattice(portal_server, 4, 1)
    svc = portal_server.service
    with svc.db.read() as conn:
        version = svc.find_case(conn, case_id)["version"]  # type: ignore[index]
    from casework.service import TransitionInput

    case, _ = svc.transition(OPERATOR, case_id, TransitionInput("accept", version))
    case, _ = svc.transition(Actor("leader", "shift_leader"), case_id, TransitionInput("register", case["version"]))
    svc.transition(Actor("dispatcher", "dispatcher"), case_id, TransitionInput("dispatch", case["version"],
                                                                               department_code=WATER))
    login_as(browser_page, f"dept-{SANITATION}")
    response = browser_page.goto(f"/cases/{case_id}")
    assert response.status == 404
    assert "不在您的管辖范围内" in browser_page.get_by_role("alert").inner_text()
    with _signed_in(portal_server, f"dept-{SANITATION}") as other:
        r = other.get(f"/cases/{case_id}/attachments/{'0' * 64}")
        assert r.status_code == 404
    login_as(browser_page, f"dept-{WATER}")
    assert browser_page.goto(f"/cases/{case_id}").status == 200


def test_a_transition_the_role_may_not_take_is_refused_even_posted_by_hand(portal_server: PortalServer) -> None:
    case_id = report_in_lattice(portal_server, 1, 1)
    with _signed_in(portal_server, "dispatcher") as dispatcher:
        token = _csrf(dispatcher, f"/cases/{case_id}")
        # the page offers the dispatcher nothing on a reported case; a forged 受理 is refused with 403
        r = dispatcher.post(f"/cases/{case_id}/transitions", data={"action": "accept", "expected_version": "1",
                                                                    "csrf_token": token})
        assert r.status_code == 403 and "不能" in r.text
        r = dispatcher.post(f"/cases/{case_id}/transitions", data={"action": "dispatch", "expected_version": "1",
                                                                    "csrf_token": token})
        assert r.status_code == 409  # a step of its role, but not in this state
        r = dispatcher.post(f"/cases/{case_id}/transitions", data={"action": "accept", "expected_version": "1"})
        assert r.status_code == 403 and "CSRF" in r.text  # no token: refused before anything else
    with _signed_in(portal_server, "operator") as operator:
        token = _csrf(operator, f"/cases/{case_id}")
        r = operator.post(f"/cases/{case_id}/transitions", data={"action": "reject", "expected_version": "1",
                                                                  "csrf_token": token})
        assert r.status_code == 422 and "须填写意见" in r.text  # 不予立案 needs its reason
        r = operator.post(f"/cases/{case_id}/transitions", data={"action": "accept", "expected_version": "1",
                                                                  "csrf_token": token})
        assert r.status_code == 303
    with portal_server.service.db.read() as conn:
        assert portal_server.service.find_case(conn, case_id)["status"] == "accepted"  # type: ignore[index]


def test_a_survey_team_sees_no_case(portal_server: PortalServer) -> None:
    case_id = report_in_lattice(portal_server, 0, 0)
    with _signed_in(portal_server, "surveyor-140602") as team:
        assert team.get(f"/cases/{case_id}").status_code == 403
        assert team.get("/tasks").status_code == 403
    survey = Actor("surveyor-140602", "survey_team", "140602")
    assert portal_server.service.tasks(survey) == []
    with portal_server.service.db.read() as conn:
        case = portal_server.service.find_case(conn, case_id)
        assert case is not None
        from casework.service import NotFound

        with pytest.raises(NotFound):
            portal_server.service.get_case(conn, survey, case_id)


def test_the_task_list_puts_the_most_urgent_first_and_marks_the_overdue(portal_server: PortalServer,
                                                                       browser_page: Any,
                                                                       login_as: Callable[..., None]) -> None:
    first = report_in_lattice(portal_server, 5, 5, "先报的")
    portal_server.clock.advance(minutes=5)
    second = report_in_lattice(portal_server, 6, 5, "后报的")
    portal_server.clock.advance(days=7)  # both 受理 limits (10 working minutes) long past
    try:
        login_as(browser_page, "operator")
        rows = browser_page.get_by_role("table", name="待办案件").locator("tbody tr")
        ids = [int(t) for t in rows.locator("td:first-child").all_inner_texts()]
        assert ids.index(first) < ids.index(second)
        row = rows.filter(has=browser_page.get_by_role("link", name=str(first), exact=True))
        assert "overdue" in (row.get_attribute("class") or "") and "超时" in row.inner_text()
        browser_page.get_by_role("link", name="只看超时").click()
        assert browser_page.get_by_role("link", name=str(second), exact=True).is_visible()
    finally:
        portal_server.clock.offset -= portal_server.clock.offset


def test_a_supervisor_gets_no_buttons_on_a_case_assigned_to_another() -> None:
    from portal.deps import PortalUser

    handled = {"status": "handled", "supervisor": "supervisor-140602"}
    assert actions_now(PortalUser("supervisor-140602", "supervisor"), handled) == ["check", "rework"]
    assert actions_now(PortalUser("supervisor-140603", "supervisor"), handled) == []
    assert actions_now(PortalUser("evaluator", "evaluator"), handled) == []
    assert actions_now(PortalUser("admin", "admin"), {"status": "reported", "supervisor": None}) == []


def test_case_search_finds_within_the_scope_only(portal_server: PortalServer, browser_page: Any,
                                                 login_as: Callable[..., None]) -> None:
    page = browser_page
    mine = report_in_lattice(portal_server, 7, 0, "查询用")
    login_as(page, "admin")  # the administrator takes no step: its home is the search
    assert page.get_by_role("heading", name="案件查询").is_visible()
    page.get_by_label("状态").select_option(label="待受理")
    page.get_by_role("button", name="查询").click()
    results = page.get_by_role("table", name="查询结果")
    assert results.get_by_role("link", name=str(mine), exact=True).is_visible()
    assert set(results.locator("tbody td:nth-child(7)").all_inner_texts()) == {"待受理"}
    page.get_by_label("案件号").fill(str(mine))
    page.get_by_role("button", name="查询").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith(f"案件 {mine}")

    login_as(page, "dispatcher-140603")  # 平鲁区: the lattice lies in 朔城区
    page.goto("/cases")
    assert page.get_by_label("区县").locator("option").all_inner_texts() == ["全部", "平鲁区"]
    assert page.get_by_role("link", name=str(mine), exact=True).count() == 0
    assert "共 0 件" in page.locator("main").inner_text()

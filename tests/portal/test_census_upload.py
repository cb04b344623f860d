"""Story 1, the survey team (普查作业单位), in a real Chromium against the real portal, warehouse and use case:
upload a dirty batch, read its report (counts, reasons, map, diff), download the quarantined rows, upload a
corrected file, see the history — and the refusals: another district's batch, a wrong file type."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from casework.cli import two_district_surveyor
from tests.census_loaders.cityfiles import census_rows, write_csv
from tests.portal.conftest import PortalServer, city_settings, log_in, publish_small_city, start_portal

REPO = Path(__file__).resolve().parents[2]
DISTRICT = "140602"  # the test lattice of unit grids lies in 朔城区
OTHER_DISTRICT = "140603"
TEAM_OF_BOTH = two_district_surveyor(DISTRICT, OTHER_DISTRICT)  # the demo's survey team of two districts


@pytest.fixture(scope="module")
def census_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PortalServer]:
    """A portal of its own: its uploads change the warehouse, which other stories' tests must not see."""
    data_dir = tmp_path_factory.mktemp("census-portal")
    settings = city_settings(data_dir)
    publish_small_city(settings, data_dir)
    server, stop = start_portal(settings)
    server.app.state.census_jobs.warmed.result(timeout=300)
    yield server
    stop()


@pytest.fixture
def team_page(chromium: Any, census_portal: PortalServer) -> Iterator[Callable[[str], Any]]:
    """A fresh browser page on the census portal, signed in as ``username``."""
    contexts: list[Any] = []

    def page_for(username: str) -> Any:
        context = chromium.new_context(base_url=census_portal.url, locale="zh-CN", timezone_id="Asia/Shanghai",
                                       viewport={"width": 1360, "height": 900}, accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        log_in(page, username)
        return page

    errors: list[str] = []
    yield page_for
    for context in contexts:
        context.close()
    # the pages' styles and scripts all come from the portal: nothing was blocked by its CSP
    assert not [e for e in errors if "Content Security Policy" in e], errors


def dirty_rows(start_serial: int) -> list[dict[str, str]]:
    """20 good manhole covers and 3 bad rows: a malformed identifier, an unknown grid, a point far outside."""
    rows = census_rows(23, start_serial=start_serial)
    rows[3]["OBJCODE"] = "14060201001X"
    rows[7]["BGCODE"] = "140602001999999"
    rows[11]["X"], rows[11]["Y"] = "112.90", "39.90"
    return rows


def upload(page: Any, path: Path, *, district: str = DISTRICT) -> None:
    page.goto("/census")
    page.get_by_label("区县").select_option(district)
    page.get_by_label("普查文件").set_input_files(str(path))
    page.get_by_role("button", name="上传并校验").click()


def wait_for_report(page: Any) -> None:
    page.wait_for_url("**/census/batches/*")
    page.get_by_role("heading", name="隔离原因（按规则）").wait_for(timeout=120_000)


def counts(page: Any) -> dict[str, int]:
    return {key: int(page.locator(f"[data-count={key}]").inner_text())
            for key in ("rows_in", "rows_loaded", "rows_quarantined")}


def screenshot(page: Any, tmp_path: Path) -> None:
    """The batch report page as the team sees it; the README's copy is refreshed with SZCG_UPDATE_SCREENSHOTS=1
    (a test run does not rewrite tracked files)."""
    shot = tmp_path / "portal-survey_team.png"
    page.screenshot(path=str(shot), full_page=False)
    assert shot.stat().st_size > 10_000
    if os.environ.get("SZCG_UPDATE_SCREENSHOTS") == "1":
        target = REPO / "docs" / "screenshots" / "portal-survey_team.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(shot.read_bytes())


def cli_ingest(path: Path, data_dir: Path) -> dict[str, Any]:
    """``szcg census ingest FILE --district … --json`` in a subprocess, on a fresh copy of the same small city."""
    publish_small_city(city_settings(data_dir), data_dir)
    env = {**os.environ, "SZCG_DATA_DIR": str(data_dir)}
    done = subprocess.run([sys.executable, "-m", "szcg.cli", "census", "ingest", str(path), "--district", DISTRICT,
                           "--json"], cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)["batches"][0]  # type: ignore[no-any-return]


def test_survey_team_uploads_a_dirty_batch_reads_its_report_and_corrects_it(
        team_page: Callable[[str], Any], census_portal: PortalServer, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    dirty = write_csv(tmp_path / "朔城区第1批.csv", dirty_rows(1))
    page = team_page(f"surveyor-{DISTRICT}")
    upload(page, dirty)
    wait_for_report(page)

    # the same counts and reasons as the CLI on the same file
    cli = cli_ingest(dirty, tmp_path / "cli-city")
    assert counts(page) == {k: cli[k] for k in ("rows_in", "rows_loaded", "rows_quarantined")}
    assert counts(page) == {"rows_in": 23, "rows_loaded": 20, "rows_quarantined": 3}
    reasons = page.get_by_role("table", name="隔离原因")
    for rule, rows in cli["problems_by_rule"].items():
        line = reasons.get_by_role("row").filter(has_text=rule)
        assert line.get_by_role("cell").nth(2).inner_text() == str(rows)
    assert "标识码" in reasons.inner_text() or "OBJCODE" in reasons.inner_text()

    # the map: the grids, the loaded points and the quarantined ones inside the map's extent
    figure = page.get_by_role("img", name="隔离点位与单元网格图")
    assert figure.locator("g.grids path").count() >= 20
    assert figure.locator("g.loaded circle").count() == 20
    assert figure.locator(".quarantined-point").count() == 2  # the far point is off the map, and said so
    assert "图外" in page.locator(".map-wrap").inner_text()

    for job in census_portal.app.state.census_jobs.jobs():  # published: the page as the team finds it later
        assert job.ended.wait(300)
    page.reload()
    screenshot(page, tmp_path)

    # the diff against the inventory: every loaded component is new
    diff = page.get_by_role("table", name="与现有部件库对比")
    assert diff.get_by_role("row").filter(has_text="新增").count() == 20

    # the quarantined rows as a workbook, as delivered
    with page.expect_download() as info:
        page.get_by_role("link", name="下载隔离行（XLSX）").click()
    assert info.value.suggested_filename.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()), read_only=True)
    lines = list(workbook["隔离行"].iter_rows(values_only=True))
    assert [line[0] for line in lines[1:]] == [4, 8, 12]
    header = list(lines[0])
    assert lines[1][header.index("OBJCODE")] == "14060201001X"
    assert "隔离原因" in header

    # the corrected file: the same form, district prefilled, the batch it corrects remembered
    page.get_by_role("link", name="上传更正文件").click()
    assert page.get_by_label("区县").input_value() == DISTRICT
    fixed = census_rows(23, start_serial=1)
    corrected = write_csv(tmp_path / "朔城区第1批-更正.csv", fixed)
    page.get_by_label("普查文件").set_input_files(str(corrected))
    page.get_by_role("button", name="上传并校验").click()
    wait_for_report(page)
    assert counts(page) == {"rows_in": 23, "rows_loaded": 23, "rows_quarantined": 0}
    assert page.get_by_role("table", name="与现有部件库对比").get_by_role("row").filter(has_text="新增").count() == 3

    # the history lists both batches, the second marked as a correction
    page.goto("/census")
    history = page.get_by_role("table", name="批次历史")
    assert history.get_by_role("row").filter(has_text="朔城区第1批.csv").count() == 1
    assert "更正" in history.get_by_role("row").filter(has_text="朔城区第1批-更正.csv").inner_text()

    # nothing of the uploads is left in the portal's upload folder: landing keeps the files
    uploads = census_portal.settings.data_dir / "portal" / "census" / "uploads"
    assert not uploads.exists() or list(uploads.iterdir()) == []


def test_another_district_cannot_see_the_batch(team_page: Callable[[str], Any], tmp_path: Path) -> None:
    own = team_page(f"surveyor-{DISTRICT}")
    upload(own, write_csv(tmp_path / "scope.csv", census_rows(5, start_serial=500)))
    wait_for_report(own)
    batch_url = own.url

    other = team_page(f"surveyor-{OTHER_DISTRICT}")
    refused = other.goto(batch_url)
    assert refused is not None and refused.status == 403
    assert "无权查看" in other.content()
    download = other.request.get(batch_url + "/quarantine.xlsx")
    assert download.status == 403
    assert other.request.get(batch_url + "/status").status == 403
    # its own form offers only its own district, and its history does not list the other team's batch
    other.goto("/census")
    assert other.get_by_label("区县").locator("option").all_inner_texts() == [f"{OTHER_DISTRICT} 平鲁区"]
    assert "scope.csv" not in other.content()
    # a district that is not its own, posted by hand, is refused before the file is kept
    other.get_by_label("区县").evaluate(f"s => s.options[0].value = '{DISTRICT}'")
    other.get_by_label("普查文件").set_input_files(str(tmp_path / "scope.csv"))
    other.get_by_role("button", name="上传并校验").click()
    expect(other.get_by_role("alert")).to_contain_text("不在您的作业范围内")


def _post_without_script(page: Any, district: str, path: Path) -> Any:
    """The upload form posted by hand (its CSRF field, any district): what a forged request sends."""
    page.goto("/census")
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    return page.request.post("/census/uploads", multipart={
        "csrf_token": token, "district": district, "mapping": "",
        "file": {"name": path.name, "mimeType": "text/csv", "buffer": path.read_bytes()}})


def test_a_team_of_two_districts_sees_both_and_a_team_of_one_only_its_own(
        team_page: Callable[[str], Any], tmp_path: Path) -> None:
    team = team_page(TEAM_OF_BOTH)
    team.goto("/census")
    assert team.get_by_label("区县").locator("option").all_inner_texts() == [
        f"{DISTRICT} 朔城区", f"{OTHER_DISTRICT} 平鲁区"]
    # one batch of each district: 朔城区's by its own team, 平鲁区's by the team of both
    own = team_page(f"surveyor-{DISTRICT}")
    upload(own, write_csv(tmp_path / "朔城区两区县.csv", census_rows(4, start_serial=1500)))
    wait_for_report(own)
    shuocheng_batch = own.url
    upload(team, write_csv(tmp_path / "平鲁区两区县.csv", census_rows(4, start_serial=1600)),
           district=OTHER_DISTRICT)
    wait_for_report(team)
    pinglu_batch = team.url

    # the team of both opens both batches and lists both in its history
    opened = team.goto(shuocheng_batch)
    assert opened is not None and opened.status == 200
    team.goto("/census")
    history = team.get_by_role("table", name="批次历史")
    expect(history.get_by_role("row").filter(has_text="朔城区两区县.csv")).to_have_count(1)
    expect(history.get_by_role("row").filter(has_text="平鲁区两区县.csv")).to_have_count(1)

    # the team of one district: not the other district's batch, not in its history, not by a forged POST
    refused = own.goto(pinglu_batch)
    assert refused is not None and refused.status == 403 and "无权查看" in own.content()
    own.goto("/census")
    assert "平鲁区两区县.csv" not in own.content()
    forged = _post_without_script(own, OTHER_DISTRICT, tmp_path / "朔城区两区县.csv")
    assert forged.status == 403 and "不在您的作业范围内" in forged.text()
    # nor may the team of both upload for a third district
    third = _post_without_script(team, "140621", tmp_path / "平鲁区两区县.csv")
    assert third.status == 403 and "不在您的作业范围内" in third.text()


def test_a_batch_queued_behind_another_is_not_held_behind_its_publish(
        team_page: Callable[[str], Any], tmp_path: Path, census_portal: PortalServer) -> None:
    """Two batches queue while the worker is busy: the first's publish (20-40 s at the demo's size) is left to
    the second's — one publish carries both — and both end published, in the history as 已处理."""
    from warehouse.store import Warehouse

    jobs = census_portal.app.state.census_jobs
    busy = threading.Event()
    jobs._pool.submit(busy.wait, 120)  # the one worker is taken: both uploads queue behind it
    page = team_page(f"surveyor-{DISTRICT}")
    answers = [_post_without_script(page, DISTRICT, write_csv(tmp_path / f"queued-{n}.csv",
                                                                census_rows(4, start_serial=1700 + 10 * n)))
               for n in (1, 2)]
    busy.set()
    queued = [jobs.get(answer.url.rsplit("/", 1)[-1]) for answer in answers]
    for job in queued:
        assert job.ended.wait(300)
    assert [job.stage for job in queued] == ["done", "done"], [job.message for job in queued]
    current = next(s for s in Warehouse(census_portal.settings).snapshots() if s.current)
    assert all(job.batch_id in current.reason for job in queued), current.reason
    page.goto("/census")
    history = page.get_by_role("table", name="批次历史")
    for n in (1, 2):
        expect(history.get_by_role("row").filter(has_text=f"queued-{n}.csv")).to_contain_text("已处理")


def test_a_wrong_file_type_is_refused_with_a_clear_message(team_page: Callable[[str], Any], tmp_path: Path,
                                                          census_portal: PortalServer) -> None:
    page = team_page(f"surveyor-{DISTRICT}")
    fake = tmp_path / "普查.xlsx"
    fake.write_bytes(b"%PDF-1.7\n" + b"0" * 5000)
    upload(page, fake)
    expect(page.get_by_role("alert")).to_contain_text("不是Excel 工作簿")
    assert page.url.endswith("/census")
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(b"%PDF-1.7\n")
    page.get_by_label("普查文件").set_input_files(str(pdf))
    page.get_by_role("button", name="上传并校验").click()
    expect(page.get_by_role("alert")).to_contain_text("不支持的文件类型")
    uploads = census_portal.settings.data_dir / "portal" / "census" / "uploads"
    assert not uploads.exists() or list(uploads.iterdir()) == []


def test_a_gbk_csv_is_read_as_gbk(team_page: Callable[[str], Any], tmp_path: Path) -> None:
    rows = census_rows(6, start_serial=800)
    for row in rows:
        row["OBJNAME"] = "雨水井盖（朔城区）"
    page = team_page(f"surveyor-{DISTRICT}")
    upload(page, write_csv(tmp_path / "gbk.csv", rows, encoding="gbk"))
    wait_for_report(page)
    assert counts(page) == {"rows_in": 6, "rows_loaded": 6, "rows_quarantined": 0}
    assert "编码 gb" in page.content().lower()
    assert page.get_by_role("table", name="与现有部件库对比").get_by_text("雨水井盖（朔城区）").count() == 6


def test_a_form_posted_without_script_is_checked_the_same(team_page: Callable[[str], Any], tmp_path: Path,
                                                           census_portal: PortalServer) -> None:
    """Without htmx the browser posts the form with its CSRF field; the portal's CSRF check parses it (Starlette
    spools the file) and the route copies it through the same checks."""
    page = team_page(f"surveyor-{DISTRICT}")
    page.goto("/census")
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    batch = write_csv(tmp_path / "no-script.csv", census_rows(4, start_serial=900))
    answer = page.request.post("/census/uploads", multipart={
        "csrf_token": token, "district": DISTRICT, "mapping": "standard",
        "file": {"name": "no-script.csv", "mimeType": "text/csv", "buffer": batch.read_bytes()}})
    assert answer.ok and "/census/batches/" in answer.url
    page.goto(answer.url)
    wait_for_report(page)
    assert counts(page) == {"rows_in": 4, "rows_loaded": 4, "rows_quarantined": 0}
    refused = page.request.post("/census/uploads", multipart={
        "csrf_token": token, "district": DISTRICT, "mapping": "",
        "file": {"name": "x.gpkg", "mimeType": "application/octet-stream", "buffer": b"PK\x03\x04" + b"0" * 64}})
    assert refused.status == 400 and "不是GeoPackage" in refused.text()
    uploads = census_portal.settings.data_dir / "portal" / "census" / "uploads"
    assert not uploads.exists() or list(uploads.iterdir()) == []


def test_a_restarted_portal_still_shows_the_batch_and_its_history(
        team_page: Callable[[str], Any], chromium: Any, census_portal: PortalServer, tmp_path: Path) -> None:
    """The report and the history outlive the process that ran the job: the record is in the published warehouse,
    the page's report in the data directory."""
    page = team_page(f"surveyor-{DISTRICT}")
    upload(page, write_csv(tmp_path / "restart.csv", dirty_rows(1200)))
    wait_for_report(page)
    batch_path = page.url.split(census_portal.url, 1)[1]
    for job in census_portal.app.state.census_jobs.jobs():
        assert job.ended.wait(300)
    second, stop = start_portal(census_portal.settings)
    try:
        assert second.app.state.census_jobs.get(batch_path.rsplit("/", 1)[1]) is None  # a process of its own
        context = chromium.new_context(base_url=second.url, locale="zh-CN")
        fresh = context.new_page()
        log_in(fresh, f"surveyor-{DISTRICT}")
        fresh.goto(batch_path)
        assert counts(fresh) == {"rows_in": 23, "rows_loaded": 20, "rows_quarantined": 3}
        expect(fresh.get_by_role("img", name="隔离点位与单元网格图")).to_be_visible()
        fresh.goto("/census")
        expect(fresh.get_by_role("table", name="批次历史").get_by_role("row").filter(has_text="restart.csv")
               ).to_contain_text("已处理")
        context.close()
    finally:
        stop()


def test_personal_data_in_quarantined_rows_is_masked() -> None:
    from portal.census_report import masked_record

    record = masked_record({"OBJCODE": "14060201001000001", "BGCODE": "140602001001001", "联系人": "张三",
                            "备注": "请联系13912345678", "X": "112.4", "TEL": "0349-5551234",
                            "PHOTO": "13912345678", "DEPTCODE2": "140602199001011234", "BAD": "14060201001X"})
    assert record == {"OBJCODE": "14060201001000001", "BGCODE": "140602001001001", "联系人": "[已脱敏]",
                      "备注": "请联系[电话]", "X": "112.4", "TEL": "[已脱敏]", "PHOTO": "[电话]",
                      "DEPTCODE2": "[身份证号]", "BAD": "14060201001X"}

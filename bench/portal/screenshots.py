"""The README's screenshots of each role's main page (docs/screenshots/portal-*.png).

    python bench/portal/screenshots.py [--work /tmp/portal-shots] [--out docs/screenshots]
    python bench/portal/screenshots.py --demo DATA_DIR [--out docs/screenshots]

Case staff and leaders: same data as the page benchmark (bench/portal/seed.py), plus two issued monthly reports in
the archive. The evaluation office and the survey team (``--demo``): a data directory after ``make demo`` (13
evaluated months; the city's census batches), where the demo's team of two districts first uploads a part of one
of its batches through the form. The portal served as ``szcg serve portal``; Chromium signed in as each role, as a
user would.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_pages import free_port
from seed import REPO, build

from casework.cli import DEMO_PASSWORD


def archive_reports(browser: object, settings: object) -> None:
    """Two issued months as transforms.report leaves them (a PDF and its archive entry)."""
    from transforms.report.delivery import IssuedReport, archive_dir

    page = browser.new_page()  # type: ignore[attr-defined]
    for period, version, reason in (("2026-10", 1, ""), ("2026-11", 1, ""),
                                    ("2026-11", 2, "申诉成立：朔城区环卫中心 11 月 3 件案件改判按期，重新评分")):
        page.set_content(f"<h1>朔州市数字化城市管理月度报告 {period}</h1>")
        pdf = page.pdf()
        folder = archive_dir(settings) / period  # type: ignore[arg-type]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"v{version}.pdf").write_bytes(pdf)
        entry = IssuedReport(period, version, version > 1, reason, f"{period[:4]}-{int(period[5:]) + 1:02d}-02",
                             str(folder / f"v{version}.pdf"), hashlib.sha256(pdf).hexdigest(), 9, 12)
        (folder / f"v{version}.json").write_text(json.dumps(entry.to_dict(), ensure_ascii=False), encoding="utf-8")
    page.close()


def log_in(page: object, username: str) -> None:
    page.goto("/login")  # type: ignore[attr-defined]
    page.get_by_label("用户名").fill(username)  # type: ignore[attr-defined]
    page.get_by_label("密码").fill(DEMO_PASSWORD)  # type: ignore[attr-defined]
    page.get_by_role("button", name="登录").click()  # type: ignore[attr-defined]
    page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]


@contextmanager
def serve_portal(data_dir: Path) -> Iterator[str]:
    """``szcg serve portal`` on ``data_dir`` on a free port until the block ends; → its URL."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "szcg.cli", "serve", "portal", "--port", str(port),
                             "--log-level", "warning"], env={**os.environ, "SZCG_DATA_DIR": str(data_dir)}, cwd=REPO)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(400):
            try:
                if httpx.get(f"{url}/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)  # a census job still publishing finishes first
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


def demo_shots(data_dir: Path, out: Path, work: Path) -> None:
    """The office's board and the survey team's upload page, on a demo's data directory."""
    from playwright.sync_api import sync_playwright

    from casework.cli import two_district_surveyor
    from dashboards.screenshot import launch_chromium

    city = next(data_dir.glob("synth/*/census/batches.csv")).parent.parent
    batches = [line.split(",") for line in (city / "census" / "batches.csv").read_text(encoding="utf-8").splitlines()]
    header, rows = batches[0], batches[1:]
    file_at, district_at = header.index("file"), header.index("district_code")
    first, second = sorted({r[district_at] for r in rows})[:2]
    work.mkdir(parents=True, exist_ok=True)
    parts = {}  # a part of one batch of each district, as a team sends a supplement
    for district, name in ((first, "补充普查-1.csv"), (second, "补充普查-2.csv")):
        source = city / next(r[file_at] for r in rows if r[district_at] == district and r[file_at].endswith(".csv"))
        parts[district] = work / f"{district}-{name}"
        parts[district].write_bytes(b"".join(source.read_bytes().splitlines(keepends=True)[:301]))
    with serve_portal(data_dir) as url, sync_playwright() as pw:
        browser = launch_chromium(pw)
        context = browser.new_context(base_url=url, locale="zh-CN", timezone_id="Asia/Shanghai",
                                      viewport={"width": 1360, "height": 860})
        page = context.new_page()
        page.set_default_timeout(120_000)
        log_in(page, "evaluator")
        page.goto("/scorecards?object=department&level=department")
        page.screenshot(path=str(out / "portal-evaluator.png"))
        print(f"{out / 'portal-evaluator.png'}: evaluator /scorecards")
        context.clear_cookies()
        log_in(page, two_district_surveyor(first, second))
        for district, part in parts.items():
            page.goto("/census")
            page.get_by_label("区县").select_option(district)
            page.get_by_label("普查文件").set_input_files(str(part))
            page.get_by_role("button", name="上传并校验").click()
            page.wait_for_url("**/census/batches/*")
            page.get_by_role("heading", name="隔离原因（按规则）").wait_for()
        for _ in range(180):  # until every batch is published for the warehouse's readers (状态 已处理)
            page.goto("/census")
            statuses = page.get_by_role("table", name="批次历史").locator("tbody tr td:nth-child(5)").all_inner_texts()
            if all(s == "已处理" for s in statuses):
                break
            time.sleep(1)
        page.screenshot(path=str(out / "portal-survey_team-home.png"))
        print(f"{out / 'portal-survey_team-home.png'}: {two_district_surveyor(first, second)} /census")
        browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/portal-shots"))
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--cases", type=int, default=120)
    parser.add_argument("--demo", type=Path, default=None, help="a data directory after `make demo`: the office's "
                        "and the survey team's pages")
    args = parser.parse_args()
    if args.demo is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        demo_shots(args.demo, args.out, args.work)
        return 0
    shutil.rmtree(args.work, ignore_errors=True)
    settings = build(args.work, args.cases)
    from playwright.sync_api import sync_playwright
    from sqlalchemy import text

    from casework.db import Database
    from dashboards.screenshot import launch_chromium

    db = Database(settings.casework_db_url)
    with db.read() as conn:  # an open case with a photo and an approved 延期: a page with every part
        shown = conn.execute(text(
            "SELECT c.id FROM cases c WHERE c.status = 'handled' AND EXISTS (SELECT 1 FROM events e WHERE "
            "e.case_id = c.id AND e.action = 'approve_extension') ORDER BY c.id DESC LIMIT 1")).scalar_one()
        supervisor = conn.execute(text("SELECT supervisor FROM cases WHERE id = :id"), {"id": shown}).scalar_one()
    db.dispose()
    args.out.mkdir(parents=True, exist_ok=True)
    with serve_portal(args.work) as url, sync_playwright() as pw:
        browser = launch_chromium(pw)
        archive_reports(browser, settings)
        for name, username, path, full in (
            ("portal-case-staff", "dispatcher-140602", "/tasks", False),
            ("portal-case-page", supervisor or "supervisor-140602", f"/cases/{shown}", True),
            ("portal-leader", "evaluator", "/reports", False),
        ):
            context = browser.new_context(base_url=url, locale="zh-CN", timezone_id="Asia/Shanghai",
                                          viewport={"width": 1360, "height": 860})
            page = context.new_page()
            log_in(page, username)
            page.goto(path)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(args.out / f"{name}.png"), full_page=full)
            context.close()
            print(f"{args.out / f'{name}.png'}: {username} {path}")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

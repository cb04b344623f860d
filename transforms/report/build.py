"""Build the monthly report (综合评价月报): one HTML template; the PDF is that HTML printed by Chromium on A4 with
page numbers (no browser download: Debian's chromium through Playwright, as the dashboards' screenshots).

The Chinese font is the one :mod:`transforms.report.fonts` finds; Chromium is given it through a private fontconfig
file so the PDF embeds it (subset) whether or not the font is installed system-wide.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from szcg import clock
from szcg.errors import InputRejected, RowProblem
from szcg.settings import Settings
from transforms.evaluation.period import Period
from transforms.report import charts, content
from transforms.report.data import ReportData, collect

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).resolve().parent / "templates"
REPEAT_THRESHOLD = 3
FOOTER = ("<div style=\"font-size:8pt;width:100%;text-align:center;color:#555;font-family:{font}\">"
          "{title} · 第 <span class=\"pageNumber\"></span> 页 共 <span class=\"totalPages\"></span> 页</div>")


def report_title(city_name: str, period: Period) -> str:
    return f"{city_name}数字化城市管理运行情况月报（{period.start.year}年{period.start.month}月）"


def centre_name(city_name: str) -> str:
    return f"{city_name}数字化城市管理监督指挥中心"


def render_html(data: ReportData, city_name: str, *, issued_on: date, font_family: str) -> str:
    """The report as one HTML page: the document the PDF prints and the HTML file both come from."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    h = data.header
    summary, headline = content.headline(data)
    hotline_text, hotline_rows = content.hotline(data)
    departments, departments_few = content.department_rows(data)
    reason = str(h["reason"])
    corrected = h["status"] == "published" and (h.get("supersedes") is not None or int(data.version) > 1)
    return env.get_template("monthly.html.j2").render(
        title=report_title(city_name, data.period),
        centre=centre_name(city_name),
        period_key=data.period.key,
        period_label=f"统计期：{data.period.start:%Y年%m月%d日}至{data.period.end:%Y年%m月%d日}",
        issued_on=f"{issued_on:%Y年%m月%d日}",
        version=data.version,
        supersedes=h.get("supersedes"),
        status="正式发布" if h["status"] == "published" else "草稿",
        draft=h["status"] != "published",
        correction=reason if corrected else "",
        scheme=f"{h['scheme_id']} {h['scheme_version']}",
        as_of=str(h["as_of"])[:16],
        font_css=", ".join(f"'{f}'" for f in dict.fromkeys(("Noto Sans CJK SC", font_family))) + ", sans-serif",
        summary=summary,
        headline=headline,
        trend=charts.trend_svg(data),
        trend_months=len(data.trend),
        sources=content.sources(data),
        majors=content.classes(data.majors),
        subclasses=content.classes(data.top_subclasses),
        regions=content.region_sections(data),
        departments=departments,
        departments_few=departments_few,
        posts=content.post_sections(data),
        hotline_text=hotline_text,
        hotline=hotline_rows,
        hot=content.hot_grid_tables(data),
        repeat_threshold=REPEAT_THRESHOLD,
        repeated=content.repeated_rows(data),
        overdue_total=data.overdue_total,
        overdue=content.overdue_rows(data),
        attention=content.attention(data),
    )


def _fontconfig(font_file: str, workdir: Path) -> Path:
    """A fontconfig file that knows only the folder of the report's font: the PDF prints the same on every machine,
    whatever fonts it has (a system copy of a same-named CFF font would be embedded as nameless Type 3 glyphs)."""
    conf = workdir / "fonts.conf"
    conf.write_text(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE fontconfig SYSTEM \"fonts.dtd\">\n<fontconfig>\n"
        f"  <dir>{Path(font_file).parent}</dir>\n  <cachedir>{workdir / 'cache'}</cachedir>\n</fontconfig>\n",
        encoding="utf-8")
    return conf


def print_pdf(html_text: str, out: Path, *, title: str, font_file: str, font_family: str) -> None:
    """Print the HTML on A4 with Chromium: page numbers in the footer, rows never split (the template's CSS).

    Playwright's sync API refuses a thread whose asyncio loop is running (an async handler of a web server, or a
    browser another caller keeps open in the same thread); the printing then runs in a thread of its own."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        _print_pdf(html_text, out, title=title, font_file=font_file, font_family=font_family)
        return
    with ThreadPoolExecutor(1, thread_name_prefix="szcg-report-pdf") as pool:
        pool.submit(_print_pdf, html_text, out, title=title, font_file=font_file, font_family=font_family).result()


def _print_pdf(html_text: str, out: Path, *, title: str, font_file: str, font_family: str) -> None:
    from playwright.sync_api import sync_playwright

    from dashboards.screenshot import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).is_file():
        raise InputRejected(f"{CHROMIUM} not found: the PDF report is printed by Chromium (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="szcg-report-") as tmp:
        work = Path(tmp)
        page_file = work / "report.html"
        page_file.write_text(html_text, encoding="utf-8")
        env: dict[str, str | float | bool] = {**os.environ, "FONTCONFIG_FILE": str(_fontconfig(font_file, work))}
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, env=env)
            try:
                page = browser.new_page()
                page.goto(page_file.as_uri(), wait_until="load")
                footer = FOOTER.format(font=f"'Noto Sans CJK SC', '{font_family}', sans-serif", title=title)
                page.pdf(path=str(out), format="A4", print_background=True, display_header_footer=True,
                         header_template="<span></span>", footer_template=footer,
                         margin={"top": "16mm", "bottom": "18mm", "left": "14mm", "right": "14mm"})
            finally:
                browser.close()


def build_report(settings: Settings, period: Period, out: Path, *, version: int | None = None,
                 issued_on: date | None = None) -> dict[str, Any]:
    """Render the month's report to ``out`` (.pdf or .html) from the published snapshot; returns what it did."""
    from matplotlib import font_manager

    from standards.calendar import load_calendar
    from standards.city import load_city
    from standards.handbook import load_handbook
    from transforms.report.fonts import use_cjk
    from warehouse.store import Warehouse

    suffix = out.suffix.lower()
    if suffix not in (".pdf", ".html"):
        raise InputRejected(f"--out {out}: expected a .pdf or .html file",
                            [RowProblem("--out", 0, "out", "report_format", "expected .pdf or .html")])
    started = time.perf_counter()
    family = use_cjk()
    city = load_city(settings)
    calendar, handbook = load_calendar(city), load_handbook(city)  # 超时倍数: working hours, 处置 limits
    with Warehouse(settings).reader() as con:
        data = collect(con, period, version, calendar=calendar, handbook=handbook, repeat_threshold=REPEAT_THRESHOLD)
    city_name = city.name
    collected = time.perf_counter()
    page = render_html(data, city_name, issued_on=issued_on or clock.today(), font_family=family)
    rendered = time.perf_counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".pdf":
        font_file = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
        print_pdf(page, out, title=report_title(city_name, period), font_file=font_file, font_family=family)
    else:
        out.write_text(page, encoding="utf-8")
    done = time.perf_counter()
    seconds = {"data": round(collected - started, 3), "html": round(rendered - collected, 3),
               "print": round(done - rendered, 3)}
    log.info("monthly report %s v%d → %s in %.2f s %s", period.key, data.version, out, done - started, seconds)
    h = data.header
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", out.read_bytes())) if suffix == ".pdf" else None
    return {"out": str(out), "period": period.key, "pages": pages, "version": data.version, "status": h["status"],
            "reason": h["reason"], "corrected": h["status"] == "published" and int(data.version) > 1,
            "font": family, "timings": seconds}

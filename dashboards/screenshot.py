"""Open dashboards as a person would: Playwright drives Debian's Chromium, logs in, waits for every chart.

Used by ``szcg dashboards screenshot``, by the monthly report (``dashboards.reports``) and by the browser test.
No browser is downloaded: Playwright drives ``/usr/bin/chromium`` (apt package ``chromium``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dashboards.server import SupersetError
from szcg.clock import ZONE_NAME

CHROMIUM = os.environ.get("SZCG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--use-gl=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"]
DATA_PATHS = ("/api/v1/chart/data", "/superset/explore_json/")


@dataclass
class ChartQuery:
    """One chart's data request as the dashboard sent it, and how Superset answered."""

    url: str
    payload: dict[str, Any] | None
    post_data: str | None
    content_type: str | None
    status: int
    seconds: float
    rows: int | None
    error: str | None = None


@dataclass
class DashboardView:
    slug: str
    title: str
    charts: int
    queries: list[ChartQuery] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    screenshot: Path | None = None


def launch_chromium(pw: Any) -> Any:
    """Debian's Chromium, headless, seeing the reports' SC font: Chinese labels render on a machine without CJK
    fonts of its own."""
    from transforms.report.fonts import fontconfig_file

    if not Path(CHROMIUM).exists():
        raise SupersetError(f"{CHROMIUM} not found: `make test` installs Debian's chromium (or apt-get install -y "
                            "chromium)")
    return pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
                              env={**os.environ, "FONTCONFIG_FILE": str(fontconfig_file())})


@contextmanager
def browser_page(base_url: str, username: str, password: str, *, width: int = 1600,
                 height: int = 1200) -> Iterator[Any]:
    """A logged-in Playwright page (Chinese locale, CST)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                                          timezone_id=ZONE_NAME)
            page = context.new_page()
            _log_in(page, base_url, username, password)
            yield page
        finally:
            browser.close()


def _log_in(page: Any, base_url: str, username: str, password: str, attempts: int = 3) -> None:
    """Submit Superset's login form until it lets us in. The form is drawn by React: on a busy machine a submit
    can land before the form is live (or a re-render can clear what was typed), which leaves the browser on
    /login; so check what was typed, and try again on a fresh page instead of waiting forever."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    user_field, password_field = "input#username, input[name='username']", "input#password, input[name='password']"
    for attempt in range(1, attempts + 1):
        page.goto(f"{base_url}/login/", wait_until="networkidle")
        page.wait_for_selector(user_field, state="visible", timeout=60_000)
        page.fill(user_field, username)
        page.fill(password_field, password)
        if page.input_value(user_field) != username or page.input_value(password_field) != password:
            continue  # the form was re-rendered under us: start again
        page.keyboard.press("Enter")
        try:
            page.wait_for_url(lambda url: "/login" not in url, timeout=30_000)
            # Left the login page, but is the session there? Once in a full test run the next page found the login
            # form again: ask Superset who we are before going on, and log in again if it does not know.
            if page.request.get(f"{base_url}/api/v1/me/").status == 200:
                return
        except PlaywrightTimeout:
            if attempt == attempts:
                break
    raise SupersetError(f"could not log in to Superset at {base_url} as {username!r}: still on the login page "
                        f"after {attempts} attempts (wrong password, or Superset too busy to answer)")


def _rows_of(body: dict[str, Any]) -> int | None:
    if "result" in body and isinstance(body["result"], list):
        return sum(int(r.get("rowcount") or len(r.get("data") or [])) for r in body["result"])
    if "data" in body:  # legacy explore_json (deck.gl)
        data = body.get("data")
        if isinstance(data, dict) and "features" in data:
            return len(data["features"])
        return len(data) if isinstance(data, list) else None
    return None


def open_dashboard(page: Any, base_url: str, slug: str, *, screenshot: Path | None = None,
                   timeout_s: float = 90.0) -> DashboardView:
    """Open one dashboard, wait until every chart answered and drew, and report what went wrong."""
    queries: list[ChartQuery] = []
    started: dict[Any, float] = {}

    def on_request(request: Any) -> None:
        if any(p in request.url for p in DATA_PATHS):
            started[request] = time.perf_counter()

    def on_response(response: Any) -> None:
        request = response.request
        if request not in started:
            return
        seconds = time.perf_counter() - started.pop(request)
        try:
            payload = request.post_data_json
        except Exception:
            payload = None
        try:
            body = response.json()
        except Exception:
            body = {}
        error = None
        if response.status >= 400:
            error = str(body.get("message") or body.get("errors") or response.status)
        queries.append(ChartQuery(request.url, payload if isinstance(payload, dict) else None, request.post_data,
                                  request.headers.get("content-type"), response.status, seconds,
                                  _rows_of(body) if isinstance(body, dict) else None, error))

    page.on("request", on_request)
    page.on("response", on_response)
    try:
        page.goto(f"{base_url}/superset/dashboard/{slug}/?standalone=1", wait_until="domcontentloaded")
        try:
            page.wait_for_selector(".dashboard-component-chart-holder", timeout=timeout_s * 1000)
        except Exception as exc:
            if screenshot is not None:
                page.screenshot(path=str(screenshot.with_suffix(".failed.png")))
            raise SupersetError(f"dashboard {slug} showed no chart within {timeout_s:.0f} s: "
                                f"{page.inner_text('body')[:300]!r}") from exc
        holders = page.locator(".dashboard-component-chart-holder")
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            loading = page.locator(".dashboard-component-chart-holder .loading, "
                                   ".dashboard-component-chart-holder [aria-label='Loading']").count()
            if loading == 0 and len(queries) >= holders.count() and not started:
                break
            page.wait_for_timeout(500)
        page.wait_for_timeout(2500)  # animations (ECharts, deck.gl) settle before the screenshot
        title = page.title()
        view = DashboardView(slug=slug, title=title, charts=holders.count(), queries=list(queries))
        for i in range(holders.count()):
            holder = holders.nth(i)
            name = holder.locator(".header-title, [data-test='editable-title']").first
            label = name.inner_text(timeout=2000) if name.count() else f"chart {i + 1}"
            text = holder.inner_text(timeout=5000)
            if holder.locator(".ant-alert-error, [data-test='alert'], .alert-danger, .error-alert").count():
                view.problems.append(f"{slug}: {label}: error tile: {text[:200]!r}")
            elif any(s in text for s in ("No results", "暂无数据", "没有结果", "No data", "无数据")):
                view.problems.append(f"{slug}: {label}: empty chart")
            elif not holder.locator("canvas, svg, table, .big-number, .header-line, .superset-legacy-chart-big-number,"
                                    " [class*='BigNumber'], .deckgl-overlay").count():
                view.problems.append(f"{slug}: {label}: nothing drawn")
        for q in queries:
            if q.error:
                view.problems.append(f"{slug}: query failed: {q.error[:200]}")
            elif q.rows == 0:
                view.problems.append(f"{slug}: a query returned no rows ({q.url})")
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
            view.screenshot = screenshot
        return view
    finally:
        page.remove_listener("request", on_request)
        page.remove_listener("response", on_response)

"""Fixtures of the portal's browser tests: the real portal on a loopback port, a real Chromium, a login helper.

- ``portal_city``: a data directory with a small synthetic city in a published DuckDB warehouse (the census
  tests' lattice of 48 unit grids in 朔城区, loaded by the real grid loader and published).
- ``portal_server``: the portal (uvicorn in a thread) on that city with a fresh SQLite case database holding the
  demo accounts (``szcg casework seed-demo-users``'s, password ``DEMO_PASSWORD``) and a business clock the test
  can move (``portal_server.clock.advance(hours=…)``).
- ``browser_page``: a fresh Chromium page (Chinese locale, CST) whose relative URLs go to the portal.
- ``login_as(page, username)``: fills 用户名 and 密码 and clicks 登录.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from casework.cli import DEMO_PASSWORD, seed_demo_users
from casework.service import CaseService, now_cst
from portal.config import PortalConfig
from szcg.settings import Settings
from tests.census_loaders.cityfiles import write_grids

PORTAL_SECRET = b"portal-tests-secret-key-0123456789abcdef"


class MovableClock:
    """The case service's business clock: real time plus an offset the test moves (naive CST)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return now_cst() + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


@dataclass
class PortalServer:
    url: str
    settings: Settings
    service: CaseService
    clock: MovableClock
    app: Any
    extra: dict[str, Any] = field(default_factory=dict)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def city_settings(data_dir: Path, casework_db_url: str | None = None) -> Settings:
    settings = Settings(data_dir=data_dir, hash_key=os.environ["SZCG_HASH_KEY"]).with_data_dir(data_dir)
    if casework_db_url:
        from dataclasses import replace

        settings = replace(settings, casework_db_url=casework_db_url)
    return settings


def publish_small_city(settings: Settings, work: Path) -> None:
    """The test lattice of unit grids (朔城区 北城街道), loaded by the census grid loader, then published."""
    from census_loaders.cityctx import city_context
    from census_loaders.config import load_census_config
    from census_loaders.grids import load_grids
    from warehouse.store import Warehouse

    wh = Warehouse(settings)
    with wh.writer(spatial=True) as con:
        load_grids(con, wh, write_grids(work / "grids.gpkg"), load_census_config(settings), city_context(settings),
                   dt.date(2026, 1, 1))
    wh.publish("portal tests: small city", mart_builders=[])


@pytest.fixture(scope="session")
def portal_city(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data_dir = tmp_path_factory.mktemp("portal-city")
    settings = city_settings(data_dir)
    publish_small_city(settings, data_dir)
    return settings


def start_portal(settings: Settings, *, config: PortalConfig | None = None) -> tuple[PortalServer, Callable[[], None]]:
    """The portal on a free loopback port (uvicorn in a thread); → (server, stop)."""
    import uvicorn

    from portal.app import create_portal

    seed_demo_users(settings)
    clock = MovableClock()
    app = create_portal(settings, config=config or PortalConfig(PORTAL_SECRET), now=clock)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False))
    thread = threading.Thread(target=server.run, name="portal-under-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the portal did not start")
        time.sleep(0.05)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=30)

    return PortalServer(f"http://127.0.0.1:{port}", settings, app.state.service, clock, app), stop


@pytest.fixture(scope="session")
def portal_server(portal_city: Settings) -> Iterator[PortalServer]:
    server, stop = start_portal(portal_city)
    yield server
    stop()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One browser per test module: Playwright's sync API keeps an asyncio loop running in this thread while it is
    open, and every other sync Playwright user (the Superset screenshots, the report's PDF) refuses such a thread;
    so it must not outlive the portal's modules on a worker that runs other modules after them."""
    from playwright.sync_api import sync_playwright

    from dashboards.screenshot import launch_chromium

    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium: Any, portal_server: PortalServer) -> Iterator[Any]:
    context = chromium.new_context(base_url=portal_server.url, locale="zh-CN", timezone_id="Asia/Shanghai",
                                   viewport={"width": 1360, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def log_in(page: Any, username: str, password: str = DEMO_PASSWORD) -> None:
    """The login form as a user fills it: by its labels and its button."""
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state("domcontentloaded")


@pytest.fixture
def login_as() -> Callable[..., None]:
    return log_in

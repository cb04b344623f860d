"""A local portal in the background (``szcg portal up`` / ``down`` / ``status``): ``szcg serve portal`` detached
(:mod:`szcg.localserver`), its pid, URL and log in ``<data_dir>/portal/``. The demo starts it so that the printed
URL still answers after the demo has finished."""

from __future__ import annotations

import os

from szcg import localserver
from szcg.localserver import LocalServer, healthy, stop
from szcg.localserver import LocalServerError as PortalError
from szcg.settings import Settings

__all__ = ["LocalServer", "PortalError", "demo_accounts", "healthy", "local_portal", "start", "stop"]


def local_portal(settings: Settings) -> LocalServer:
    return LocalServer("portal", "portal", settings.data_dir / "portal", settings.portal_port)


def start(settings: Settings, portal: LocalServer, *, wait_s: float = 90.0) -> tuple[int, bool]:
    """Start the portal unless it runs already (on the settings' data and case database); → (pid, started now)."""
    env = {**os.environ, "SZCG_DATA_DIR": str(settings.data_dir), "SZCG_CASEWORK_DB_URL": settings.casework_db_url}
    return localserver.start(portal, env, wait_s=wait_s)


def demo_accounts(settings: Settings) -> list[tuple[str, str]]:
    """(username pattern, who) of the demo accounts (``szcg casework seed-demo-users``), for the demo's closing
    lines."""
    from casework.cli import two_district_surveyor
    from casework.deadlines import load_standards

    st = load_standards(settings)
    district = st.areas.districts()[0]
    dept = next((d for d in st.departments if d.district_code is None), st.departments[0])
    return [
        ("operator", "受理员"), ("leader", "值班长（也可看月度报告）"),
        (f"dispatcher-{district.code}", f"{district.name}派遣员（dispatcher-<区县代码>；dispatcher 为市级）"),
        (f"supervisor-{district.code}", f"{district.name}监督员（supervisor-<区县代码>）"),
        (f"dept-{dept.code}", f"{dept.name}（dept-<部门代码>，专业部门，可提交申诉）"),
        (f"surveyor-{district.code}", f"{district.name}普查作业单位（surveyor-<区县代码>）"),
        *[(two_district_surveyor(district.code, second.code), f"{district.name}、{second.name}两区县的普查作业单位")
          for second in st.areas.districts()[1:2]],
        ("evaluator", "评价办公室 / 领导（月度报告、看板）"), ("admin", "系统管理员"),
    ]

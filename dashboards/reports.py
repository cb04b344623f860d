"""The monthly cockpit report: 领导驾驶舱 for one month as PNG and PDF, sent by email.

Airflow calls :func:`send_cockpit` (e.g. on the 1st of each month for the month before). It opens the dashboard
in Chromium (Playwright) with the period filter set through the URL, so the report is exactly what a person sees,
and sends it with smtplib. Superset's own Alerts & Reports would need Celery workers and a headless-browser
setup inside the Superset environment; this is one function with no extra service.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import quote

from dashboards.client import _rison
from dashboards.screenshot import browser_page, open_dashboard
from dashboards.server import SupersetError
from dashboards.site import SupersetSite

COCKPIT_SLUG = "cockpit"
PERIOD_FILTER_ID = "NATIVE_FILTER-cockpit-period"


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    recipients: list[str] = field(default_factory=list)
    username: str | None = None
    password: str | None = None
    starttls: bool = False


@dataclass(frozen=True)
class CockpitReport:
    period: str
    png: Path
    pdf: Path
    problems: list[str]


def period_url_state(period: str) -> str:
    """The dashboard URL's ``native_filters`` parameter selecting one month."""
    state = {PERIOD_FILTER_ID: {
        "id": PERIOD_FILTER_ID,
        "extraFormData": {"filters": [{"col": "period_month", "op": "IN", "val": [period]}]},
        "filterState": {"value": [period], "label": period},
        "ownState": {},
    }}
    return quote(_rison(state), safe="():,!'")


def render_cockpit(site: SupersetSite, period: str, out_dir: Path) -> CockpitReport:
    """Screenshot (PNG, full page) and print (PDF, A3 landscape) the cockpit for ``period`` ('YYYY-MM')."""
    out_dir.mkdir(parents=True, exist_ok=True)
    png, pdf = out_dir / f"领导驾驶舱-{period}.png", out_dir / f"领导驾驶舱-{period}.pdf"
    with browser_page(site.url, site.admin_user, site.admin_password) as page:
        view = open_dashboard(page, site.url, f"{COCKPIT_SLUG}/?native_filters={period_url_state(period)}&x=",
                              screenshot=png)
        page.emulate_media(media="screen")
        page.pdf(path=str(pdf), format="A3", landscape=True, print_background=True)
    return CockpitReport(period, png, pdf, view.problems)


def send_cockpit(site: SupersetSite, period: str, smtp: SmtpSettings, out_dir: Path) -> CockpitReport:
    """Render the cockpit for ``period`` and email it (PNG inline-able, PDF attached) to ``smtp.recipients``."""
    if not smtp.recipients:
        raise SupersetError("no recipients for the cockpit report")
    report = render_cockpit(site, period, out_dir)
    if report.problems:
        raise SupersetError("cockpit not sent, charts failed: " + "; ".join(report.problems))
    send_mail(smtp, f"领导驾驶舱月报 {period}",
              f"{period} 数字城管领导驾驶舱月报见附件（PDF 与 PNG）。\n数据来自已发布的数据仓库快照。\n",
              [(report.pdf, "application", "pdf"), (report.png, "image", "png")])
    return report


def smtp_from_settings(settings: Any, recipients: list[str] | None = None) -> SmtpSettings | None:
    """The mail settings of ``szcg.settings`` (``SZCG_SMTP_*``); None when no SMTP host is configured."""
    if not settings.smtp_host:
        return None
    return SmtpSettings(settings.smtp_host, settings.smtp_port, settings.smtp_sender,
                        list(settings.report_recipients if recipients is None else recipients),
                        settings.smtp_user, settings.smtp_password, settings.smtp_starttls)


def send_mail(smtp: SmtpSettings, subject: str, body: str, attachments: list[tuple[Path, str, str]]) -> None:
    """One message to every recipient with the files attached (name, type); errors of the server are raised."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = smtp.sender
    message["To"] = ", ".join(smtp.recipients)
    message.set_content(body)
    for path, maintype, subtype in attachments:
        message.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name)
    with smtplib.SMTP(smtp.host, smtp.port, timeout=30) as client:
        if smtp.starttls:
            client.starttls()
        if smtp.username:
            client.login(smtp.username, smtp.password or "")
        client.send_message(message)

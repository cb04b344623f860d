"""The 领导驾驶舱 (cockpit) by e-mail: one month's cockpit, as PNG and PDF, to the report's recipients.

:func:`send_cockpit_mail` is what the ``cockpit_mail`` DAG runs. Its mail settings are the settings object's
(``SZCG_SMTP_*``, ``SZCG_REPORT_RECIPIENTS``, as the monthly report's). It never succeeds without sending: with no
mail host or no recipients it answers why it sent nothing (the DAG marks its task skipped with that reason), and
when Superset does not answer it raises :class:`CockpitNotSent` naming the address and what to do.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from szcg.errors import SzcgError
from szcg.logs import get_logger, job
from szcg.settings import Settings

log = get_logger(__name__)


class CockpitNotSent(SzcgError):
    """The cockpit could not be rendered or sent (Superset down, a chart failed, the mail server refused)."""


@dataclass
class CockpitMailOutcome:
    period: str
    sent_to: list[str]  # empty when skipped
    pdf: str | None
    png: str | None
    skipped: str | None = None  # why nothing was sent (no mail configured); None when sent

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def cockpit_dir(settings: Settings) -> Path:
    return settings.data_dir / "reports" / "cockpit"


def send_cockpit_mail(settings: Settings, period: str) -> CockpitMailOutcome:
    """Render the cockpit of ``period`` (YYYY-MM) from the running Superset and e-mail it; see the module."""
    from dashboards import server
    from dashboards.reports import send_cockpit, smtp_from_settings
    from dashboards.server import SupersetError
    from dashboards.site import site_from_settings
    from transforms.evaluation.period import parse_period

    key = parse_period(period).key
    with job("cockpit mail", log, period=key) as running:
        smtp = smtp_from_settings(settings)
        if smtp is None or not smtp.recipients:
            missing = "SZCG_SMTP_HOST" if smtp is None else "SZCG_REPORT_RECIPIENTS"
            why = f"{missing} is not set: the cockpit of {key} is not mailed to anyone"
            running.done(sent_to=0, skipped=why)
            return CockpitMailOutcome(key, [], None, None, skipped=why)
        site = site_from_settings(settings)
        with running.step("check superset"):
            if not server.healthy(site):
                raise CockpitNotSent(f"Superset does not answer at {site.url}: the cockpit of {key} was not sent to "
                                     f"{len(smtp.recipients)} recipients; start it (`szcg dashboards up`) and run "
                                     "the task again")
        with running.step("render and send") as step:
            try:
                report = send_cockpit(site, key, smtp, cockpit_dir(settings))
            except (SupersetError, OSError) as exc:  # a chart failed, or the mail server refused or did not answer
                raise CockpitNotSent(f"the cockpit of {key} was not sent: {exc}") from exc
            step.count(recipients=len(smtp.recipients))
        running.done(sent_to=len(smtp.recipients))
    return CockpitMailOutcome(key, list(smtp.recipients), str(report.pdf), str(report.png))

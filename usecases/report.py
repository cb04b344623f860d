"""The monthly report (月报): rendered once per published scorecard version, archived, e-mailed.

:func:`send_monthly_report` is what the ``monthly_evaluation`` DAG and ``szcg report --issue`` run: it issues the
month's report (and a 更正版 of any month re-issued since its report went out) through the archive, which renders
each version exactly once, and keeps ``reports/monthly/<period>.pdf`` as the month's current report (the file the
demo and the portal point at). :func:`render_report` renders to a path of one's choice without issuing
(``szcg report --out``).
"""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from szcg.logs import get_logger, job
from szcg.settings import Settings

log = get_logger(__name__)


@dataclass
class ReportOutcome:
    period: str
    issued: list[dict[str, Any]]  # archive entries issued by this run (empty: nothing new to send)
    pdf: str | None  # the month's current report, reports/monthly/<period>.pdf
    at: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def current_report_path(settings: Settings, period: str) -> Path:
    return settings.data_dir / "reports" / "monthly" / f"{period}.pdf"


def send_monthly_report(settings: Settings, period: str) -> ReportOutcome:
    """Issue ``period``'s report for its latest published scorecard (rendered into the archive and mailed to
    SZCG_REPORT_RECIPIENTS via SZCG_SMTP_*), plus the 更正版 of re-issued months; a re-run sends nothing twice."""
    from transforms.evaluation.period import parse_period
    from transforms.report.delivery import issue_reports, issued_reports

    key = parse_period(period).key
    with job("monthly report", log, period=key) as running:
        with running.step("issue") as step:
            issued = issue_reports(settings, key)
            step.count(issued=len(issued["issued"]),
                       mailed=sum(int(i["sent_to"]) for i in issued["issued"]))
        current = issued_reports(settings, key)
        target = None
        if current:
            target = current_report_path(settings, key)
            target.parent.mkdir(parents=True, exist_ok=True)
            latest = Path(current[0].pdf)
            if not target.is_file() or target.read_bytes() != latest.read_bytes():
                shutil.copyfile(latest, target)
        running.done(issued=len(issued["issued"]), version=current[0].version if current else None)
    return ReportOutcome(key, issued["issued"], str(target) if target else None, str(issued["at"]))


def render_report(settings: Settings, period: str, out: Path, *, version: int | None = None) -> dict[str, Any]:
    """Render the month's report to ``out`` (.pdf or .html) from the published snapshot, without issuing it."""
    from transforms.evaluation.period import parse_period
    from transforms.report.build import build_report

    with job("render report", log, period=period) as running:
        result = build_report(settings, parse_period(period), out, version=version)
        running.done(version=result.get("version"), pages=result.get("pages"))
    return result


def latest_published_month(settings: Settings) -> str | None:
    """The newest month with published scorecards (what the report shows by default), or None."""
    from warehouse.store import Warehouse

    with Warehouse(settings).reader() as con:
        row = con.execute("SELECT max(period) FROM marts.scorecard WHERE status = 'published' AND length(period) = 7"
                          ).fetchone()
    return None if not row or row[0] is None else str(row[0])

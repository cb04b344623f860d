"""Issue the monthly report: render it from the latest published scorecard, keep it in the archive, mail it.

The archive (``<data_dir>/reports/monthly/archive/<period>/v<version>.pdf`` + ``.json``) holds every report ever
issued, one per published scorecard version, and is what the portal lists (:func:`issued_reports`). A scorecard
re-issued (``szcg evaluate reissue``, or an accepted appeal) has a version with no report yet: the next issue run
regenerates that month's report marked 更正版 with the version's reason and sends it to the same list.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from szcg import clock
from szcg.settings import Settings
from transforms.evaluation.period import Period, parse_period

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IssuedReport:
    period: str
    version: int
    corrected: bool
    reason: str
    issued_on: str
    pdf: str
    sha256: str
    pages: int | None
    sent_to: int  # recipients the mail went to (0: no SMTP host configured)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def archive_dir(settings: Settings) -> Path:
    return settings.data_dir / "reports" / "monthly" / "archive"


def issued_reports(settings: Settings, period: str | None = None) -> list[IssuedReport]:
    """Every issued report, newest month first and, within a month, newest version first (the portal's list)."""
    root = archive_dir(settings)
    if not root.is_dir():
        return []
    out = []
    for meta in root.glob(f"{period or '*'}/v*.json"):
        out.append(IssuedReport(**json.loads(meta.read_text(encoding="utf-8"))))
    return sorted(out, key=lambda r: (r.period, r.version), reverse=True)


def _published(settings: Settings) -> dict[str, int]:
    """period → latest published scorecard version, in the published snapshot."""
    from warehouse.store import NothingPublished, Warehouse

    try:
        with Warehouse(settings).reader() as con:
            rows = con.execute("SELECT period, max(version) FROM marts.scorecard WHERE status = 'published' "
                               "GROUP BY 1").fetchall()
    except NothingPublished:
        return {}
    return {str(p): int(v) for p, v in rows}


def issue_report(settings: Settings, period: Period, *, issued_on: date | None = None) -> IssuedReport | None:
    """Issue the month's report for its latest published scorecard unless that version was issued already
    (a re-run of the DAG sends nothing twice). Returns the new archive entry, or None when nothing was new."""
    from dashboards.reports import send_mail, smtp_from_settings
    from transforms.evaluation.store import EvaluationRefused
    from transforms.report.build import build_report, report_title

    version = _published(settings).get(period.key)
    if version is None:
        raise EvaluationRefused("period", "published_first",
                                f"no published scorecard for {period.key}: nothing to issue "
                                f"(`szcg evaluate publish --period {period.key}`)")
    folder = archive_dir(settings) / period.key
    meta = folder / f"v{version}.json"
    if meta.is_file():
        return None
    started = time.perf_counter()
    pdf = folder / f"v{version}.pdf"
    result = build_report(settings, period, pdf, version=version, issued_on=issued_on)
    smtp = smtp_from_settings(settings)
    sent = 0
    if smtp is not None and smtp.recipients:
        from standards.city import load_city

        title = report_title(load_city(settings).name, period)
        corrected = bool(result["corrected"])
        subject = f"{title}{'（更正版）' if corrected else ''}"
        body = (f"{title}{'（更正版）' if corrected else ''}见附件（评分卡第 {version} 版）。\n"
                + (f"更正原因：{result['reason']}\n本版替代此前发布的报告。\n" if corrected else "")
                + "内部资料，注意保存。\n")
        attachment = folder / f"{period.key}-v{version}{'-更正版' if corrected else ''}.pdf"
        attachment.write_bytes(pdf.read_bytes())
        try:
            send_mail(smtp, subject, body, [(attachment, "application", "pdf")])
        finally:
            attachment.unlink()
        sent = len(smtp.recipients)
    entry = IssuedReport(period.key, version, bool(result["corrected"]), str(result["reason"]),
                         (issued_on or clock.today()).isoformat(), str(pdf),
                         hashlib.sha256(pdf.read_bytes()).hexdigest(), result["pages"], sent)
    tmp = meta.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(entry.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(meta)  # the entry appears only once the PDF is complete and sent: a failed mail is retried
    log.info("monthly report %s v%d issued (%s, %d recipients) in %.1f s", period.key, version,
             "更正版" if entry.corrected else "first", sent, time.perf_counter() - started)
    return entry


def issue_reports(settings: Settings, period: str, *, issued_on: date | None = None) -> dict[str, Any]:
    """The DAG's step: issue ``period``'s report, and a 更正版 for every month already issued whose scorecard has
    been re-issued since."""
    issued = []
    done = {r.period for r in issued_reports(settings)}
    latest = _published(settings)
    pending = sorted(p for p in done if p != period and p in latest
                     and not (archive_dir(settings) / p / f"v{latest[p]}.json").is_file())
    months = [period, *pending]
    for month in months:
        entry = issue_report(settings, parse_period(month), issued_on=issued_on)
        if entry is not None:
            issued.append(entry.to_dict())
    return {"period": period, "issued": issued, "at": clock.now().isoformat(timespec="seconds")}

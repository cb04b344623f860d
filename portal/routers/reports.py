"""Leaders (领导): the published monthly reports (the archive of ``transforms.report``), downloadable, and links
into the Superset dashboards. Leaders are the evaluation office's, the administrator's and the 值班长's accounts."""

from __future__ import annotations

import hashlib
import re

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from portal.deps import LEADER_ROLES, ConfigDep, PortalUser, SettingsDep, render, require_roles
from transforms.report.delivery import IssuedReport, archive_dir, issued_reports

router = APIRouter()
Leader = Depends(require_roles(*LEADER_ROLES))
_PERIOD = re.compile(r"^\d{4}-\d{2}$")


def dashboard_links(superset_url: str) -> list[dict[str, str]]:
    from dashboards.authoring import DASHBOARDS

    return [{"title": str(meta["title"]), "url": f"{superset_url}/superset/dashboard/{meta['slug']}/"}
            for meta in DASHBOARDS.values()]


@router.get("/reports", include_in_schema=False)
async def report_list(request: Request, settings: SettingsDep, config: ConfigDep,
                      user: PortalUser = Leader) -> Response:
    reports = await run_in_threadpool(issued_reports, settings)
    latest: dict[str, int] = {}
    for r in reports:
        latest[r.period] = max(latest.get(r.period, 0), r.version)
    superseded = {(r.period, r.version) for r in reports if r.version < latest[r.period]}
    return render(request, "reports.html", {"title": "月度报告", "reports": reports, "superseded": superseded,
                                            "dashboards": dashboard_links(config.superset_url),
                                            "superset_url": config.superset_url})


def _archived(settings: SettingsDep, period: str, version: int) -> tuple[IssuedReport, bytes] | None:
    entry = next((r for r in issued_reports(settings, period) if r.version == version), None)
    if entry is None:
        return None
    pdf = archive_dir(settings) / period / f"v{version}.pdf"  # named by the archive, never by the request
    data = pdf.read_bytes() if pdf.is_file() else b""
    if hashlib.sha256(data).hexdigest() != entry.sha256:  # a changed or lost file is not handed out as the report
        return None
    return entry, data


@router.get("/reports/{period}/v{version}.pdf", include_in_schema=False)
async def report_pdf(period: str, version: int, settings: SettingsDep, user: PortalUser = Leader) -> Response:
    found = await run_in_threadpool(_archived, settings, period, version) if _PERIOD.match(period) else None
    if found is None:
        raise HTTPException(404, f"没有 {period[:7]} 第 {version} 版的月度报告（或文件与存档记录不符）。")
    entry, data = found
    name = f"{entry.period}-v{entry.version}{'-corrected' if entry.corrected else ''}.pdf"
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-cache"})


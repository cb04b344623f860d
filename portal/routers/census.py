"""普查作业单位 (survey team): upload a census batch, follow its progress, read its report, download the
quarantined rows, upload a corrected file, see the team's history.

Every route checks the role and, for a batch, that its district is one of the user's (a team never sees another
district's batches). The upload is streamed to disk (:mod:`portal.census_upload`) and ingested in the background
by the same use case as the CLI and the DAG (:mod:`portal.census_jobs`).
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import HTTPException
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from portal import census_report
from portal.census_jobs import CensusJob, CensusJobs, mapping_presets, uploads_dir
from portal.census_upload import FORMAT_NAMES, MAX_UPLOAD_BYTES, UploadRefused, keep_spooled, receive_upload
from portal.deps import PortalForbidden, PortalUser, get_settings, render, require_roles
from portal.sessions import CSRF_HEADER
from szcg.settings import Settings

ROLES = ("survey_team", "admin")  # the administrator is city-wide: every district


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """One job queue per portal process, started with the portal (its worker imports the heavy libraries now)."""
    app.state.census_jobs = CensusJobs(app.state.settings)
    try:
        yield
    finally:
        app.state.census_jobs.shutdown()


router = APIRouter(prefix="/census", lifespan=lifespan)
SurveyTeam = Annotated[PortalUser, Depends(require_roles(*ROLES))]


def _jobs(request: Request) -> CensusJobs:
    jobs: CensusJobs = request.app.state.census_jobs
    return jobs


def district_choices(settings: Settings, user: PortalUser) -> dict[str, str]:
    """The districts this user may upload for: a team's own, or every district of the city for the admin."""
    names = _city_districts(settings)
    codes = user.district_codes or tuple(sorted(names))
    return {code: names.get(code, "") for code in codes}


_CITY_DISTRICTS: dict[str, dict[str, str]] = {}


def _city_districts(settings: Settings) -> dict[str, str]:
    key = str(settings.data_dir)
    if key not in _CITY_DISTRICTS:
        from census_loaders.cityctx import city_context

        _CITY_DISTRICTS[key] = dict(city_context(settings).district_names)
    return _CITY_DISTRICTS[key]


def _check_fields(settings: Settings, user: PortalUser) -> Any:
    presets = mapping_presets()

    def check(fields: dict[str, str]) -> None:
        district = fields.get("district", "")
        if district not in district_choices(settings, user):
            raise UploadRefused(f"区县“{district}”不在您的作业范围内", 403)
        if fields.get("mapping", "") not in ("", *presets):
            raise UploadRefused(f"未知的映射“{fields.get('mapping')}”")

    return check


def _batch(request: Request, user: PortalUser, upload_id: str) -> tuple[CensusJob | None,
                                                                        census_report.UploadRecord | None]:
    """The upload (its running job and/or its published record), if the user may see it: 404 / 403 otherwise."""
    settings = get_settings(request)
    job = _jobs(request).get(upload_id)
    record = census_report.find_upload(settings, upload_id) if job is None or job.finished else None
    district = job.district_code if job is not None else record.district_code if record is not None else None
    if district is None:
        raise HTTPException(404, "没有这个批次")
    if not user.can_see_district(district):
        raise PortalForbidden(f"该批次属于区县 {district}，不在您的作业范围内，无权查看。")
    return job, record


def _form_context(request: Request, user: PortalUser, *, error: str = "", corrects: str = "",
                  district: str = "", mapping: str = "") -> dict[str, Any]:
    settings = get_settings(request)
    return {"districts": district_choices(settings, user), "mappings": list(mapping_presets()),
            "error": error, "corrects": corrects, "district": district, "mapping": mapping,
            "max_mb": MAX_UPLOAD_BYTES // (1024 * 1024), "formats": FORMAT_NAMES}


@router.get("", include_in_schema=False)
async def census_home(request: Request, user: SurveyTeam, corrects: str = "") -> Response:
    settings = get_settings(request)
    prefill: dict[str, str] = {}
    if corrects:
        job, record = _batch(request, user, corrects)
        source = job or record
        prefill = {"corrects": corrects, "district": source.district_code if source else "",
                   "mapping": (source.mapping or "") if source else ""}
    records = census_report.history(settings, user.district_codes or None)
    published = {r.upload_id for r in records}
    # Jobs of this process not yet published come first, with their stage; then the published records.
    running = [j for j in _jobs(request).jobs() if j.upload_id not in published and user.can_see_district(
        j.district_code)]
    running.sort(key=lambda j: j.uploaded_at, reverse=True)
    history = [{"upload_id": j.upload_id, "uploaded_at": j.uploaded_at, "file_name": j.file_name,
                "corrects": j.corrects, "district_code": j.district_code, "uploaded_by": j.uploaded_by,
                "status": j.stage_name if not j.message else f"{j.stage_name}：{j.message}",
                "rows_in": j.counts.get("rows_in"), "rows_loaded": j.counts.get("rows_loaded"),
                "rows_quarantined": j.counts.get("rows_quarantined"), "batch_id": j.batch_id} for j in running]
    history += [{**vars(r), "status": "已处理" if r.rows_in is not None else "未完成"} for r in records]
    return render(request, "census/index.html", {
        "title": "部件普查", **_form_context(request, user, **prefill), "history": history,
        "district_names": _city_districts(settings)})


@router.post("/uploads", include_in_schema=False)
async def census_upload(request: Request, user: SurveyTeam) -> Response:
    settings = get_settings(request)
    check = _check_fields(settings, user)
    htmx = request.headers.get("hx-request") == "true"
    fields: dict[str, str] = {}
    try:
        if request.headers.get(CSRF_HEADER) is not None:
            # the portal's CSRF check took the token from the header and left the body unread: stream it
            upload = await receive_upload(request.headers.get("content-type", ""),
                                          request.headers.get("content-length"), request.stream(),
                                          uploads_dir(settings), check)
        else:  # a form posted without script: the CSRF check parsed it (Starlette spooled the file)
            form = await request.form()
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
            file = form.get("file")
            if file is None or isinstance(file, str):
                check(fields)
                raise UploadRefused("请选择要上传的普查文件")
            upload = await keep_spooled(file, fields, uploads_dir(settings), check)
        fields = upload.fields
    except UploadRefused as refused:
        context = _form_context(request, user, error=refused.message, corrects=fields.get("corrects", ""),
                                district=fields.get("district", ""), mapping=fields.get("mapping", ""))
        if htmx:  # htmx swaps only 2xx answers: the form comes back with the reason in it
            return render(request, "census/_form.html", context)
        return render(request, "census/refused.html", {"title": "上传被拒绝", **context}, refused.status_code)
    corrects = fields.get("corrects") or None
    if corrects is not None:
        try:
            _batch(request, user, corrects)
        except (HTTPException, PortalForbidden):
            corrects = None  # not a batch this team may correct: the upload stands on its own
    job = _jobs(request).submit(upload, district_code=fields["district"], mapping=fields.get("mapping") or None,
                                uploaded_by=user.username, corrects=corrects)
    target = f"/census/batches/{job.upload_id}"
    if htmx:
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


@router.get("/batches/{upload_id}", include_in_schema=False)
async def census_batch(request: Request, user: SurveyTeam, upload_id: str) -> Response:
    settings = get_settings(request)
    job, record = _batch(request, user, upload_id)
    report = census_report.load_report(settings, upload_id) if job is None or job.reported else None
    source = job or record
    return render(request, "census/batch.html", {
        "title": f"普查批次 {source.file_name if source else upload_id}", "upload_id": upload_id, "job": job,
        "record": record, "report": report, "district_names": _city_districts(settings)})


@router.get("/batches/{upload_id}/status", include_in_schema=False)
async def census_batch_status(request: Request, user: SurveyTeam, upload_id: str) -> Response:
    job, _ = _batch(request, user, upload_id)
    if job is None or job.finished or job.reported:
        # the page reloads itself to show the report (or why it failed)
        return Response(status_code=204, headers={"HX-Redirect": f"/census/batches/{upload_id}"})
    return render(request, "census/_progress.html", {"job": job, "upload_id": upload_id})


@router.get("/batches/{upload_id}/quarantine.xlsx", include_in_schema=False)
async def census_quarantine_xlsx(request: Request, user: SurveyTeam, upload_id: str) -> Response:
    settings = get_settings(request)
    job, record = _batch(request, user, upload_id)
    source = job or record
    assert source is not None
    if job is not None and not job.finished:  # the rows are read from the published warehouse: wait for it
        await run_in_threadpool(job.ended.wait, 300)
    handle = tempfile.NamedTemporaryFile(prefix="szcg-quarantine-", suffix=".xlsx", delete=False)  # noqa: SIM115
    handle.close()
    path = Path(handle.name)
    try:
        census_report.quarantine_workbook(settings, source.batch_id, path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    name = f"隔离行_{Path(source.file_name).stem}_{source.batch_id}.xlsx"
    return FileResponse(path, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
                        background=BackgroundTask(path.unlink, missing_ok=True))

"""申诉 (appeals): a department files an appeal on its own scorecard with text and evidence files; the evaluation
office's queue accepts (→ a new scorecard version without the contested case) or rejects, with a reason.

``/appeals`` is both: the office sees every appeal with the pending ones to decide; a department sees only its own
appeals and its own published scorecards. Filing is for departments, about their own department only; deciding
is for the office. Evidence files go through :func:`usecases.scorecards.file_appeal` (type and size checked
before anything is kept).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, Response
from starlette.concurrency import run_in_threadpool

from portal.deps import (
    PortalForbidden,
    PortalUser,
    SettingsDep,
    current_user,
    redirect_with_message,
    render,
    require_roles,
)
from portal.routers.scorecards import OFFICE_ROLES, checked_period, fmt, history_path, is_office, refused, score_path
from szcg.errors import InputRejected
from transforms.evaluation.indicators import indicators_of
from usecases import scorecard_views as views
from usecases import scorecards

router = APIRouter()
APPEAL_ROLES = (*OFFICE_ROLES, "department")
Office = Depends(require_roles(*OFFICE_ROLES))
Department = Depends(require_roles("department"))
OfficeOrDepartment = Depends(require_roles(*APPEAL_ROLES))
DEPT = views.Scope("department", "department")
STATUS_NAMES = {"pending": "待处理", "accepted": "已受理", "rejected": "已驳回"}


def own_department(user: PortalUser, entity: str | None) -> str:
    """The department a department user may appeal for: its own, and no other."""
    if not user.department_code:
        raise PortalForbidden("您的账号没有所属部门，不能提出申诉。")
    if entity and entity != user.department_code:
        raise PortalForbidden("只能对本部门的评价结果提出申诉。")
    return user.department_code


def _department_scores(settings: Any, department: str) -> list[dict[str, Any]]:
    """The department's score in the latest published version of every published period (newest first)."""
    with views.snapshot_reader(settings) as con:
        rows = con.execute(
            "SELECT s.period, s.version, coalesce(s.entity_name, s.entity_code), s.total_score, "
            "CASE WHEN s.ranked THEN s.grade END, s.rank FROM marts.score s JOIN (SELECT period, max(version) AS "
            "version FROM marts.scorecard WHERE status = 'published' GROUP BY period) p USING (period, version) "
            "WHERE s.object = 'department' AND s.entity_code = ? ORDER BY s.period DESC", [department]).fetchall()
    return [{"period": p, "version": v, "name": n, "total": t, "grade": g, "rank": r} for p, v, n, t, g, r in rows]


@router.get("/appeals", include_in_schema=False)
async def appeal_list(request: Request, settings: SettingsDep, user: PortalUser = OfficeOrDepartment) -> Response:
    if is_office(user):
        rows = await run_in_threadpool(lambda: views.appeals(settings))
        scores: list[dict[str, Any]] = []
    else:
        department = own_department(user, None)
        rows = await run_in_threadpool(lambda: views.appeals(settings, entity=department))
        scores = await run_in_threadpool(_department_scores, settings, department)
    pending = [a for a in rows if a.status == "pending"]
    return render(request, "scorecards/appeals.html", {
        "title": "申诉处理" if is_office(user) else "本部门评价与申诉", "office": is_office(user),
        "pending": pending, "done": [a for a in rows if a.status != "pending"], "scores": scores,
        "status_names": STATUS_NAMES, "fmt": fmt, "score_path": score_path, "history_path": history_path,
        "dept": DEPT,
    })


@router.get("/appeals/new", include_in_schema=False)
async def appeal_form(request: Request, settings: SettingsDep, period: str, case: str = "",
                      entity: str | None = None, user: PortalUser = Department) -> Response:
    department = own_department(user, entity)
    key = checked_period(period)
    return render(request, "scorecards/appeal_new.html", {
        "title": f"对 {key} 评价结果提出申诉", "period": key, "case": case, "entity": department,
        "indicators": indicators_of("department"), "max_files": scorecards.MAX_EVIDENCE_FILES,
        "max_mb": scorecards.MAX_EVIDENCE_BYTES // (1024 * 1024), "types": sorted(scorecards.EVIDENCE_TYPES),
    })


@router.post("/appeals", include_in_schema=False)
async def file_appeal(request: Request, settings: SettingsDep, period: Annotated[str, Form()],
                      entity: Annotated[str, Form()], case_id: Annotated[str, Form()] = "",
                      reason: Annotated[str, Form()] = "", indicator: Annotated[str, Form()] = "",
                      evidence: Annotated[list[UploadFile] | None, File()] = None,
                      user: PortalUser = Department) -> Response:
    department = own_department(user, entity)
    key = checked_period(period)
    uploads = [scorecards.EvidenceUpload(f.filename or "evidence", f.file) for f in evidence or [] if f.filename]
    request_ = scorecards.AppealRequest(key, department, case_id.strip(), reason, indicator=indicator or None,
                                        object="department", evidence=uploads)
    try:
        out = await run_in_threadpool(lambda: scorecards.file_appeal(settings, request_, actor=user.username))
    except InputRejected as exc:
        return refused(request, exc, f"/appeals/new?period={key}&case={quote(case_id.strip(), safe=':')}",
                       "申诉未提交")
    return redirect_with_message(request, "/appeals", f"申诉 #{out.appeal_id} 已提交（案件 {out.case_id}，"
                                                      f"证明材料 {len(out.evidence)} 个），等待评价办公室处理。")


@router.post("/appeals/{appeal_id}/decide", include_in_schema=False)
async def decide(request: Request, appeal_id: int, settings: SettingsDep, decision: Annotated[str, Form()] = "",
                 reason: Annotated[str, Form()] = "", user: PortalUser = Office) -> Response:
    if decision not in ("accept", "reject"):
        raise PortalForbidden("请选择受理或驳回。")
    try:
        out = await run_in_threadpool(lambda: scorecards.decide_appeal(settings, appeal_id, decision == "accept",
                                                                       reason, actor=user.username))
    except InputRejected as exc:
        return refused(request, exc, "/appeals", "申诉未处理")
    text = f"申诉 #{appeal_id} 已{'受理' if out.decision == 'accepted' else '驳回'}"
    if out.version is not None:
        text += f"，{out.period} 重新发布为第 {out.version.version} 版"
    return redirect_with_message(request, "/appeals", text + "。")


@router.get("/appeals/{appeal_id}/evidence/{file_no}", include_in_schema=False)
async def evidence(appeal_id: int, file_no: int, settings: SettingsDep,
                   user: Annotated[PortalUser, Depends(current_user)]) -> Response:
    found = await run_in_threadpool(views.evidence_file, settings, appeal_id, file_no)
    if found is None:
        raise PortalForbidden("没有这个证明材料。")
    if not is_office(user) and not (user.role == "department" and user.department_code == found.entity_code):
        raise PortalForbidden("您只能查看本部门申诉的证明材料。")
    return FileResponse(found.path, media_type=found.content_type, filename=found.file_name)

"""Case staff (受理员, 值班长, 派遣员, 专业部门, 监督员): the task list, a case's page, its transitions.

Everything goes through the case service's layer (:class:`casework.service.CaseService`), the same as the REST
API: its scope rule decides which cases a user sees, the workflow table which buttons a role gets and which
posted transitions it may take (a hand-made POST of another action is refused with 403).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from casework import attachments as attachment_store
from casework import workflow as wf
from casework.models import Attachment, AttachmentUse
from casework.service import (
    CaseFilter,
    CaseRow,
    CaseService,
    Invalid,
    NotFound,
    TransitionInput,
    can_see,
    overdue,
)
from portal.deps import (
    CASE_ROLES,
    ROLE_NAMES,
    PortalForbidden,
    PortalUser,
    ServiceDep,
    redirect_with_message,
    render,
    require_roles,
)
from portal.gridmap import MapGrid, grid_map_svg
from portal.labels import (
    ACTION_NAMES,
    PENDING_NAMES,
    REASON_REQUIRED,
    SOURCE_NAMES,
    STATE_NAMES,
    STEP_NAMES,
    limit_text,
)

router = APIRouter()
CaseStaff = Depends(require_roles(*CASE_ROLES))
TASK_LIMIT = 200


def area_name(service: CaseService, code: str | None) -> str:
    if not code:
        return "—"
    area = service.standards.areas.get(code)
    if area is None and len(code) == 12 and service.grids is not None:  # a community the census brought
        return service.grids.community_name(code) or code
    return area.name if area is not None else code


def case_summary(service: CaseService, case: CaseRow, now: datetime) -> dict[str, Any]:
    """What the lists show of a case, in the pages' words."""
    sub = service.standards.catalogue.get(case["subclass_code"], case["kind"])
    deadline = case["clock_deadline_at"]
    return {
        "id": case["id"], "status": case["status"], "status_name": STATE_NAMES.get(case["status"], case["status"]),
        "subclass": sub.name if sub is not None else case["subclass_code"], "address": case["address"] or "—",
        "district": area_name(service, case["district_code"]),
        "source": SOURCE_NAMES.get(case["source"], case["source"]),
        "step": STEP_NAMES.get(case["clock_step"] or "", "—"), "deadline": deadline,
        "overdue": overdue(case, now), "left": _left(deadline, now), "reported_at": case["reported_at"],
    }


def _left(deadline: datetime | None, now: datetime) -> str:
    """剩余 3 小时 / 超时 2 天 5 小时 (calendar time to or past the deadline)."""
    if deadline is None:
        return "无时限"
    seconds = int((deadline - now).total_seconds())
    word = "剩余" if seconds >= 0 else "超时"
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return f"{word} {days} 天 {hours} 小时"
    if hours:
        return f"{word} {hours} 小时 {rest // 60} 分"
    return f"{word} {rest // 60} 分"


@router.get("/tasks", include_in_schema=False)
async def task_list(request: Request, service: ServiceDep, user: PortalUser = CaseStaff,
                    overdue_only: bool = False) -> Response:
    now = service.now()
    found = await run_in_threadpool(service.tasks, user.actor(), overdue_only=overdue_only, limit=TASK_LIMIT)
    items = [{**case_summary(service, row, now), "actions": [ACTION_NAMES.get(a, a) for a in actions]}
             for row, actions in found]
    return render(request, "cases/tasks.html", {
        "title": "我的任务", "items": items, "overdue_count": sum(i["overdue"] for i in items),
        "overdue_only": overdue_only, "limit": TASK_LIMIT, "now": now,
    })


SEARCH_LIMIT = 100


@router.get("/cases", include_in_schema=False)
async def case_search(request: Request, service: ServiceDep, user: PortalUser = CaseStaff, status: str = "",
                      district: str = "", overdue_only: bool = False, case_id: str = "") -> Response:
    """案件查询: the cases within the user's scope, newest first, by state, district and overdue."""
    if case_id.strip().isdigit():
        return RedirectResponse(f"/cases/{int(case_id)}", status_code=303)
    states = [s.value for s in wf.State]
    wanted = CaseFilter(status=[status] if status in states else None,
                        district_code=district if district.isdigit() and len(district) == 6 else None,
                        overdue=True if overdue_only else None)
    now = service.now()
    total, rows = await run_in_threadpool(service.search, user.actor(), wanted, limit=SEARCH_LIMIT)
    districts = [d for d in service.standards.areas.districts() if user.can_see_district(d.code)]
    return render(request, "cases/search.html", {
        "title": "案件查询", "items": [case_summary(service, row, now) for row in rows], "total": total,
        "limit": SEARCH_LIMIT, "states": [(s, STATE_NAMES.get(s, s)) for s in states], "status": status,
        "districts": districts, "district": district, "overdue_only": overdue_only,
    })


# --- one case -----------------------------------------------------------------------------------------------------
MAP_RADIUS_DEG = 0.0015  # neighbouring grids drawn around the case (about 150 m)
_ATTACHMENTS, _USES = Attachment.__table__, AttachmentUse.__table__


def actions_now(user: PortalUser, case: CaseRow) -> list[str]:
    """Exactly the transitions ``user`` may take on ``case`` now: the workflow table's for its role and the
    case's state; none for a 监督员 when the case is assigned to another one (the service refuses those)."""
    if user.role == wf.Role.supervisor and case["supervisor"] and case["supervisor"] != user.username:
        return []
    state = wf.State(case["status"])
    return [t.action.value for t in wf.TRANSITIONS if t.source == state and user.role in t.roles]


def _event_view(service: CaseService, e: dict[str, Any], kinds: dict[str, str]) -> dict[str, Any]:
    """An event as the history shows it: who did what, the deadline that applied to the step it completed (and
    whether it was met), the clock it started, the reason, the attachments."""
    applied = None
    if e["step"]:
        applied = {"step": STEP_NAMES.get(e["step"], e["step"]), "deadline": e["deadline_at"], "met": e["met"],
                   "multiple": e["overdue_multiple"], "limit": limit_text(e["limit_hours"], e["limit_basis"])}
    started = None
    if e["next_step"]:
        started = {"step": STEP_NAMES.get(e["next_step"], e["next_step"]), "deadline": e["next_deadline_at"]}
    data = e["data"] or {}
    notes = []
    if data.get("department_code"):
        dept = service.standards.department(data["department_code"])
        notes.append(f"派往 {dept.name if dept else data['department_code']}")
    if data.get("hours"):
        notes.append(f"延期 {data['hours']:g} 小时")
    if data.get("deadline_after"):
        notes.append(f"截止时间改为 {data['deadline_after'].replace('T', ' ')[:16]}")
    if data.get("supervisor"):
        notes.append(f"核实监督员 {data['supervisor']}")
    files = []
    for ref in e["attachments"] or []:
        digest = ref.removeprefix("sha256:")
        if ref.startswith("sha256:") and digest in kinds:
            files.append({"url": f"/cases/{e['case_id']}/attachments/{digest}", "image": kinds[digest].startswith(
                "image/"), "name": digest[:12]})
    return {"at": e["at"], "action": ACTION_NAMES.get(e["action"], e["action"]),
            "from": STATE_NAMES.get(e["from_state"] or "", "—"), "to": STATE_NAMES.get(e["to_state"], e["to_state"]),
            "actor": e["actor"], "role": ROLE_NAMES.get(e["role"], e["role"]), "comment": e["comment"],
            "applied": applied, "started": started, "notes": notes, "files": files}


def _attachment_kinds(conn: Any, events: list[dict[str, Any]]) -> dict[str, str]:
    digests = {ref.removeprefix("sha256:") for e in events for ref in (e["attachments"] or [])
               if ref.startswith("sha256:")}
    if not digests:
        return {}
    rows = conn.execute(select(_ATTACHMENTS.c.sha256, _ATTACHMENTS.c.content_type)  # type: ignore[attr-defined]
                        .where(_ATTACHMENTS.c.sha256.in_(digests)))  # type: ignore[attr-defined]
    return {r.sha256: r.content_type for r in rows}


def _map(service: CaseService, case: CaseRow) -> Markup:
    grids = service.grids
    if grids is None:
        return Markup("")
    point = (case["lon"], case["lat"]) if case["lat"] is not None and case["lon"] is not None else None
    focus = grids.shape(case["grid_code"]) if case["grid_code"] else None
    centre = point or ((focus.centroid.x, focus.centroid.y) if focus is not None else None)
    if centre is None:
        return Markup("")
    shown = [MapGrid(code, polygon, code == case["grid_code"])
             for code, polygon in grids.shapes_near(centre[0], centre[1], MAP_RADIUS_DEG)]
    if focus is not None and not any(g.focus for g in shown):
        shown.append(MapGrid(case["grid_code"], focus, True))
    return grid_map_svg(shown, point, f"案件 {case['id']} 在网格图上的位置")


def _read_case(service: CaseService, user: PortalUser, case_id: int) -> dict[str, Any]:
    with service.db.read() as conn:
        case = service.get_case(conn, user.actor(), case_id)  # NotFound outside the user's scope
        events = service.events_of(conn, case_id)
        kinds = _attachment_kinds(conn, events)
    return {"case": case, "events": events, "kinds": kinds}


@router.get("/cases/{case_id}", include_in_schema=False)
async def case_page(request: Request, case_id: int, service: ServiceDep, user: PortalUser = CaseStaff) -> Response:
    found = await run_in_threadpool(_read_case, service, user, case_id)
    case = found["case"]
    now = service.now()
    st = service.standards
    sub = st.catalogue.get(case["subclass_code"], case["kind"])
    department = st.department(case["department_code"]) if case["department_code"] else None
    placed = {level: area_name(service, case["grid_code"][:n]) if case["grid_code"] else "—"
              for level, n in (("community", 12), ("street", 9), ("district", 6))}
    if not case["grid_code"]:
        placed["district"] = area_name(service, case["district_code"])
    actions = actions_now(user, case)
    departments = [d for d in st.departments if d.district_code in (None, case["district_code"])]
    default_department = st.default_department(case["subclass_code"], case["kind"], case["district_code"])
    return render(request, "cases/case.html", {
        "title": f"案件 {case_id}", "c": case_summary(service, case, now), "case": case,
        "subclass_name": sub.name if sub is not None else "", "department": department, "placed": placed,
        "events": [_event_view(service, e, found["kinds"]) for e in found["events"]],
        "map_svg": await run_in_threadpool(_map, service, case),
        "actions": [{"code": a, "name": ACTION_NAMES.get(a, a), "reason": a in REASON_REQUIRED} for a in actions],
        "departments": departments, "default_department": default_department,
        "pending": case["pending"], "pending_name": PENDING_NAMES.get((case["pending"] or {}).get("type", ""), ""),
        "kind_name": "部件" if case["kind"] == "component" else "事件",
    })


def _form_text(form: Any, name: str, limit: int = 2000) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


async def _keep_uploads(form: Any, service: CaseService, user: PortalUser) -> list[str]:
    """Files of the form's 附件 field, checked for size (before reading) and type (from their bytes) and kept in
    the case service's attachment store; → their references (``sha256:…``)."""
    limits = attachment_store.load_limits()
    refs = []
    for upload in form.getlist("attachment"):
        if isinstance(upload, str) or not upload.filename:
            continue
        if upload.size is not None and upload.size > limits.max_bytes:
            raise attachment_store.TooLarge(f"附件 {upload.filename}: 超过 {limits.max_bytes // 1_048_576} MB",
                                            field="attachment")
        data = await upload.read(limits.max_bytes + 1)
        meta, _new = await run_in_threadpool(attachment_store.store, service.db, data, filename=upload.filename,
                                             uploaded_by=user.username, at=service.now(), limits=limits)
        refs.append(str(meta["id"]))
    return refs


@router.post("/cases/{case_id}/transitions", include_in_schema=False)
async def take_transition(request: Request, case_id: int, service: ServiceDep,
                          user: PortalUser = CaseStaff) -> Response:
    form = await request.form()
    action = _form_text(form, "action", 64)
    if action not in {t.action.value for t in wf.actions_for_role(user.role)}:  # before anything else is read
        raise PortalForbidden(f"您的角色（{user.role_name}）不能办理“{ACTION_NAMES.get(action, action)}”。")
    comment = _form_text(form, "comment")
    if action in REASON_REQUIRED and not comment:
        raise Invalid(f"“{ACTION_NAMES[action]}”须填写意见（理由）。", field="comment")
    try:
        version = int(_form_text(form, "expected_version", 12))
        hours = float(_form_text(form, "hours", 12)) if _form_text(form, "hours", 12) else None
    except ValueError:
        raise Invalid("案件版本或延期小时数不是数字。", field="hours") from None
    refs = await _keep_uploads(form, service, user)
    data = TransitionInput(action, version, comment, refs, _form_text(form, "department_code", 64) or None, hours)
    actor = user.actor()
    case, _event = await run_in_threadpool(service.transition, actor, case_id, data)
    message = f"案件 {case_id}：已{ACTION_NAMES.get(action, action)}，现为“{STATE_NAMES.get(case['status'])}”。"
    target = f"/cases/{case_id}" if can_see(actor, case) else "/tasks"
    return redirect_with_message(request, target, message)


@router.get("/cases/{case_id}/attachments/{digest}", include_in_schema=False)
async def attachment(case_id: int, digest: str, service: ServiceDep, user: PortalUser = CaseStaff) -> Response:
    """A file of one of the case's events, for whoever may see the case (else 404: existence is not told)."""
    actor = user.actor()

    def fetch() -> attachment_store.Stored | None:
        if len(digest) != 64 or not all(ch in "0123456789abcdef" for ch in digest):
            return None
        with service.db.read() as conn:
            service.get_case(conn, actor, case_id)
            used = conn.execute(select(_USES.c.case_id).where(  # type: ignore[attr-defined]
                _USES.c.sha256 == digest, _USES.c.case_id == case_id).limit(1)).first()  # type: ignore[attr-defined]
        return attachment_store.content(service.db, digest) if used is not None else None

    found = await run_in_threadpool(fetch)
    if found is None:
        raise NotFound(f"案件 {case_id} 没有这个附件，或您无权查看。")
    return Response(found.data, media_type=found.content_type,
                    headers=attachment_store.download_headers(digest, found))

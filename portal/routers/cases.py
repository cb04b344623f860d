"""Case staff (受理员, 值班长, 派遣员, 专业部门, 监督员): the task list, a case's page, its transitions.

Everything goes through the case service's layer (:class:`casework.service.CaseService`), the same as the REST
API: its scope rule decides which cases a user sees, the workflow table which buttons a role gets and which
posted transitions it may take (a hand-made POST of another action is refused with 403).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from casework.service import CaseRow, CaseService, overdue
from portal.deps import CASE_ROLES, PortalUser, ServiceDep, render, require_roles
from portal.labels import ACTION_NAMES, SOURCE_NAMES, STATE_NAMES, STEP_NAMES

router = APIRouter()
CaseStaff = Depends(require_roles(*CASE_ROLES))
TASK_LIMIT = 200


def area_name(service: CaseService, code: str | None) -> str:
    if not code:
        return "—"
    area = service.standards.areas.get(code)
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

"""评价办公室 (evaluation office): the month's draft scorecards beside last month's published ones, the cases behind
any score, publish through the gate, re-issue with a reason, 扣分/加分, and each scorecard's history.

The office's pages are for the roles in :data:`OFFICE_ROLES`; a department user may open only its own department's
score, cases and history (``require_scorecard_access``) — everything else answers 403. Every action calls
:mod:`usecases.scorecards`, the same functions as ``szcg evaluate``.
"""

from __future__ import annotations

import math
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
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
from szcg.errors import InputRejected
from transforms.evaluation.period import parse_period
from usecases import scorecard_views as views
from usecases import scorecards

router = APIRouter()
OFFICE_ROLES = ("evaluator", "admin")
Office = Depends(require_roles(*OFFICE_ROLES))
PAGE_SIZE = 50


def is_office(user: PortalUser) -> bool:
    return user.role in OFFICE_ROLES


def require_scorecard_access(user: PortalUser, scope: views.Scope, entity: str) -> None:
    """The office sees every scorecard; a department only its own department's; anyone else none."""
    if is_office(user):
        return
    if user.role == "department" and scope.object == "department" and entity == user.department_code:
        return
    raise PortalForbidden("您只能查看本部门的评价结果。")


def parse_scope(obj: str, level: str) -> views.Scope:
    try:
        return views.scope_of(obj, level)
    except ValueError:
        raise PortalForbidden(f"没有这种评价对象：{obj}/{level}") from None


def checked_period(period: str) -> str:
    try:
        return parse_period(period).key
    except InputRejected as exc:
        raise PortalForbidden(f"考核期 {period!r} 无效：{exc}") from None


def case_link(case_id: str) -> str | None:
    """The portal's case page of a case the case service knows (its change feed's cases), else None."""
    origin, _, number = case_id.partition(":")
    return f"/cases/{quote(number, safe='')}" if origin == "casework" and number else None


def score_path(period: str, version: int, scope: views.Scope, entity: str) -> str:
    return f"/scorecards/{period}/v{version}/{scope.object}/{scope.level}/{quote(entity, safe='')}"


def history_path(period: str, scope: views.Scope, entity: str) -> str:
    return f"/scorecards/{period}/history/{scope.object}/{scope.level}/{quote(entity, safe='')}"


def refused(request: Request, exc: InputRejected, back: str, title: str = "无法完成") -> Response:
    """A refused action: the page says why (naming the field) and changes nothing."""
    problem = exc.problems[0] if exc.problems else None
    return render(request, "scorecards/refused.html", {
        "title": title, "message": str(exc), "field": problem.field if problem else None, "back": back}, 422)


def fmt(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


# --- the board --------------------------------------------------------------------------------------------------
@router.get("/scorecards", include_in_schema=False)
async def board(request: Request, settings: SettingsDep, user: PortalUser = Office, period: str | None = None,
                obj: Annotated[str, Query(alias="object")] = "region", level: str | None = None,
                page: int = 1) -> Response:
    scope = parse_scope(obj, level or ("district" if obj == "region" else obj))
    chosen = checked_period(period) if period else None
    b = await run_in_threadpool(lambda: views.board(settings, chosen, scope, page=max(1, page),
                                                    page_size=PAGE_SIZE))
    return render(request, "scorecards/board.html", {
        "title": f"综合评价 {b.period}" if b else "综合评价", "board": b, "scopes": views.SCOPES, "fmt": fmt,
        "score_path": score_path, "history_path": history_path})


# --- publish ----------------------------------------------------------------------------------------------------
def _preview_gate(settings: Any, period: str) -> scorecards.GateResult:
    """The gate on the published snapshot's copy of the draft (what the office is looking at)."""
    with views.snapshot_reader(settings) as con:
        return scorecards.check_draft(con, period)


@router.get("/scorecards/{period}/publish", include_in_schema=False)
async def publish_confirm(request: Request, period: str, settings: SettingsDep, user: PortalUser = Office
                          ) -> Response:
    key = checked_period(period)
    gate = await run_in_threadpool(_preview_gate, settings, key)
    return render(request, "scorecards/publish.html", {"title": f"发布 {key} 评价结果", "period": key, "gate": gate})


@router.post("/scorecards/{period}/publish", include_in_schema=False)
async def publish(request: Request, period: str, settings: SettingsDep, user: PortalUser = Office) -> Response:
    key = checked_period(period)
    try:
        out = await run_in_threadpool(lambda: scorecards.publish_draft(settings, key, actor=user.username))
    except InputRejected as exc:
        return refused(request, exc, f"/scorecards?period={key}", "未发布")
    if not out.published:  # the gate is closed: nothing was published, say why
        return render(request, "scorecards/publish.html",
                      {"title": f"发布 {key} 评价结果", "period": key, "gate": out.gate, "closed": True}, 409)
    return redirect_with_message(request, f"/scorecards?period={key}",
                                 f"{key} 评价结果已发布为第 {out.version} 版。")


@router.post("/scorecards/{period}/reissue", include_in_schema=False)
async def reissue(request: Request, period: str, settings: SettingsDep, reason: Annotated[str, Form()] = "",
                  user: PortalUser = Office) -> Response:
    key = checked_period(period)
    try:
        out = await run_in_threadpool(lambda: scorecards.reissue(settings, key, reason, actor=user.username))
    except InputRejected as exc:
        return refused(request, exc, f"/scorecards?period={key}", "未重新发布")
    return redirect_with_message(request, f"/scorecards?period={key}",
                                 f"{key} 已重新发布为第 {out.version} 版（理由：{out.reason}）。")


# --- one score, its cases, its history --------------------------------------------------------------------------
@router.get("/scorecards/{period}/v{version}/{obj}/{level}/{entity}", include_in_schema=False)
async def score(request: Request, period: str, version: int, obj: str, level: str, entity: str,
                settings: SettingsDep, user: Annotated[PortalUser, Depends(current_user)]) -> Response:
    key, scope = checked_period(period), parse_scope(obj, level)
    require_scorecard_access(user, scope, entity)
    detail = await run_in_threadpool(views.score_detail, settings, key, version, scope, entity)
    if detail is None:
        raise PortalForbidden(f"{key} 第 {version} 版没有 {entity} 的评价结果。")
    return render(request, "scorecards/score.html", {
        "title": f"{detail.entity_name} {key} 评价", "d": detail, "fmt": fmt, "scope": scope,
        "office": is_office(user), "latest_published": detail.latest_published,
        "base": score_path(key, version, scope, entity), "history": history_path(key, scope, entity),
    })


@router.get("/scorecards/{period}/v{version}/{obj}/{level}/{entity}/cases", include_in_schema=False)
async def score_cases(request: Request, period: str, version: int, obj: str, level: str, entity: str,
                      settings: SettingsDep, user: Annotated[PortalUser, Depends(current_user)],
                      indicator: str | None = None, page: int = 1) -> Response:
    key, scope = checked_period(period), parse_scope(obj, level)
    require_scorecard_access(user, scope, entity)
    found = await run_in_threadpool(lambda: views.lineage(settings, key, version, scope, entity,
                                                          indicator=indicator or None, page=max(1, page),
                                                          page_size=PAGE_SIZE))
    can_appeal = (user.role == "department" and version > 0 and scope.object == "department")
    return render(request, "scorecards/cases.html", {
        "title": f"{entity} {key} 计分案件", "lineage": found, "period": key, "version": version, "scope": scope,
        "entity": entity, "case_link": case_link, "base": score_path(key, version, scope, entity),
        "can_appeal": can_appeal,
    })


@router.get("/scorecards/{period}/history/{obj}/{level}/{entity}", include_in_schema=False)
async def history(request: Request, period: str, obj: str, level: str, entity: str, settings: SettingsDep,
                  user: Annotated[PortalUser, Depends(current_user)]) -> Response:
    key, scope = checked_period(period), parse_scope(obj, level)
    require_scorecard_access(user, scope, entity)
    h = await run_in_threadpool(views.history, settings, key, scope, entity)
    return render(request, "scorecards/history.html", {
        "title": f"{h.entity_name} {key} 评价历史", "h": h, "fmt": fmt, "labels": views.ACTION_LABELS,
        "score_path": score_path,
    })


# --- 扣分/加分 ----------------------------------------------------------------------------------------------------
@router.post("/scorecards/{period}/adjust/{obj}/{level}/{entity}", include_in_schema=False)
async def adjust(request: Request, period: str, obj: str, level: str, entity: str, settings: SettingsDep,
                 points: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "",
                 approver: Annotated[str, Form()] = "", user: PortalUser = Office) -> Response:
    key, scope = checked_period(period), parse_scope(obj, level)
    back = history_path(key, scope, entity)
    try:
        value = float(points)
    except ValueError:
        value = math.nan
    try:
        out = await run_in_threadpool(lambda: scorecards.adjust(settings, key, scope.object, scope.level, entity,
                                                                value, reason, approver, actor=user.username))
    except InputRejected as exc:
        return refused(request, exc, back, "未调整")
    kind = "加分" if value > 0 else "扣分"
    return redirect_with_message(request, back, f"{kind} {value:+g} 已记录，{key} 重新发布为第 "
                                                f"{out.version.version} 版。")

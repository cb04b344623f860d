"""What every portal page needs: the signed-in user, role and scope checks, settings, templates, CSRF.

Pages declare who may open them with ``Depends(require_roles(...))``; a user of another role gets 403, a visitor
without a session is sent to the login page (GET) or refused with 401 (POST). Scope (which districts, which
department) is checked by the page against :class:`PortalUser` or by the case service's own scope rule.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from markupsafe import Markup, escape
from sqlalchemy import bindparam, select
from starlette.concurrency import run_in_threadpool

from casework import workflow as wf
from casework.auth import secret_hash
from casework.models import Token, User, UserDistrict
from casework.service import Actor, CaseService, now_cst
from portal.config import PortalConfig
from portal.sessions import CSRF_FIELD, FLASH_COOKIE, SESSION_COOKIE, csrf_token, read_flash, session_token, sign_flash
from szcg.settings import Settings

TEMPLATES_DIR = Path(__file__).with_name("templates")

# Role names as the pages show them (the case service's roles plus the survey team).
ROLE_NAMES: dict[str, str] = {
    "supervisor": "监督员", "operator": "受理员", "shift_leader": "值班长", "dispatcher": "派遣员",
    "department": "专业部门", "evaluator": "评价办公室", "admin": "系统管理员", "survey_team": "普查作业单位",
}
# Who works cases in the portal: the roles of the loop, and the administrator (reads every case, takes no step).
CASE_ROLES = ("operator", "shift_leader", "dispatcher", "department", "supervisor", "admin")
# Leaders (领导) read the month: the evaluation office's and the administrator's accounts, and the 值班长.
LEADER_ROLES = ("evaluator", "admin", "shift_leader")


@dataclass(frozen=True)
class NavLink:
    label: str
    path: str
    roles: tuple[str, ...]


# The navigation, by role; a role's home page is its first link. Each team adds its own lines.
NAV: list[NavLink] = [
    NavLink("我的任务", "/tasks", tuple(r for r in CASE_ROLES if r != "admin")),  # the administrator takes no step
    NavLink("案件查询", "/cases", CASE_ROLES),
    NavLink("月度报告", "/reports", LEADER_ROLES),
    NavLink("部件普查", "/census", ("survey_team",)),
    NavLink("综合评价", "/scorecards", ("evaluator", "admin")),
    NavLink("申诉", "/appeals", ("evaluator", "admin", "department")),
]


@dataclass(frozen=True)
class PortalUser:
    username: str
    role: str
    display_name: str = ""
    district_codes: tuple[str, ...] = ()  # empty: city-wide
    department_code: str | None = None
    grid_codes: tuple[str, ...] = ()

    @property
    def role_name(self) -> str:
        return ROLE_NAMES.get(self.role, self.role)

    @property
    def shown_name(self) -> str:
        return self.display_name or self.username

    def can_see_district(self, code: str | None) -> bool:
        """A user bound to districts sees only theirs; a city-wide user (no districts) sees every one."""
        return not self.district_codes or code in self.district_codes

    def actor(self) -> Actor:
        """The same user as the case service's :class:`Actor` (its scope rule decides what cases it sees)."""
        # Only a survey team has several districts, and it sees no case; never widen a scope to city-wide.
        district = self.district_codes[0] if self.district_codes else None
        return Actor(self.username, self.role, district, self.department_code, self.grid_codes)

    def nav(self) -> list[NavLink]:
        return [link for link in NAV if self.role in link.roles]


class NotSignedIn(Exception):
    """No valid session: pages redirect to the login page, actions answer 401."""


class PortalForbidden(Exception):
    """403 with a message in Chinese naming what was refused."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


_USERS, _TOKENS, _DISTRICTS = User.__table__, Token.__table__, UserDistrict.__table__
# One row per district of the user (one row, district NULL, for a city-wide user): one round trip per request.
_SESSION_LOOKUP = (select(_USERS, _TOKENS.c.expires_at,  # type: ignore[arg-type]
                          _DISTRICTS.c.district_code.label("scope_district"))  # type: ignore[attr-defined]
                   .join(_TOKENS, _TOKENS.c.user_id == _USERS.c.id)  # type: ignore[attr-defined]
                   .outerjoin(_DISTRICTS, _DISTRICTS.c.user_id == _USERS.c.id)  # type: ignore[attr-defined]
                   .where(_TOKENS.c.token_hash == bindparam("token_hash"),  # type: ignore[attr-defined]
                          _TOKENS.c.revoked_at.is_(None))  # type: ignore[attr-defined]
                   .order_by(_DISTRICTS.c.district_code))  # type: ignore[attr-defined]


def lookup_session(service: CaseService, token: str) -> PortalUser | None:
    """The active user of a live (unexpired, unrevoked) login token, with all its districts, else None."""
    with service.db.read() as conn:
        rows = conn.execute(_SESSION_LOOKUP, {"token_hash": secret_hash(token)}).all()
    if not rows:
        return None
    row = rows[0]
    if not row.active or row.expires_at <= now_cst():  # wall-clock time, as the API's tokens
        return None
    districts = tuple(r.scope_district for r in rows if r.scope_district)
    return PortalUser(row.username, row.role, row.display_name or "", districts, row.department_code,
                      tuple(row.grid_codes or ()))


def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_config(request: Request) -> PortalConfig:
    return request.app.state.portal_config  # type: ignore[no-any-return]


def get_service(request: Request) -> CaseService:
    return request.app.state.service  # type: ignore[no-any-return]


async def optional_user(request: Request) -> PortalUser | None:
    """The signed-in user or None; looked up once per request."""
    if hasattr(request.state, "user"):
        return request.state.user  # type: ignore[no-any-return]
    token = session_token(get_config(request).secret_key, request.cookies.get(SESSION_COOKIE))
    user = await run_in_threadpool(lookup_session, get_service(request), token) if token else None
    request.state.user = user
    return user


async def current_user(request: Request) -> PortalUser:
    user = await optional_user(request)
    if user is None:
        raise NotSignedIn()
    return user


def require_roles(*roles: str | wf.Role) -> Callable[[Request], Awaitable[PortalUser]]:
    """A dependency: the signed-in user if their role is one of ``roles``, else 403."""
    allowed = tuple(str(r) for r in roles)

    async def check(request: Request) -> PortalUser:
        user = await current_user(request)
        if user.role not in allowed:
            names = "、".join(ROLE_NAMES.get(r, r) for r in allowed)
            raise PortalForbidden(f"此页面仅限{names}使用；您的角色是{user.role_name}。")
        return user

    return check


CurrentUser = Annotated[PortalUser, Depends(current_user)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
ServiceDep = Annotated[CaseService, Depends(get_service)]
ConfigDep = Annotated[PortalConfig, Depends(get_config)]


@pass_context
def csrf_input(context: Any) -> Markup:
    """``{{ csrf_input() }}`` in every form: the hidden CSRF field for this request's session."""
    return Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(_csrf_of(context["request"]))}">')


@pass_context
def csrf_value(context: Any) -> str:
    """The CSRF token alone, for scripts (``X-CSRF-Token`` header, e.g. ``hx-headers``)."""
    return _csrf_of(context["request"])


def _csrf_of(request: Request) -> str:
    """This request's CSRF token; empty without a binding (such a form is refused, as it should be)."""
    binding: str | None = getattr(request.state, "csrf_binding", None)
    return csrf_token(get_config(request).secret_key, binding) if binding else ""


templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.globals.update(csrf_input=csrf_input, csrf_value=csrf_value, role_names=ROLE_NAMES)


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    """A page: the template with the request, the signed-in user (or None) and the flash messages (shown once)."""
    key = get_config(request).secret_key
    messages = read_flash(key, request.cookies.get(FLASH_COOKIE))
    ctx: dict[str, Any] = {"user": getattr(request.state, "user", None), "messages": messages}
    ctx.update(context or {})
    response = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    if FLASH_COOKIE in request.cookies:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def redirect_with_message(request: Request, url: str, message: str) -> RedirectResponse:
    """After a POST: 303 to ``url``, which shows ``message`` once (a signed cookie: no text in the URL)."""
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(FLASH_COOKIE, sign_flash(get_config(request).secret_key, message), max_age=60, path="/",
                        httponly=True, samesite="lax", secure=get_config(request).https)
    return response

"""Sign in and out. The login is the case service's (:func:`casework.accounts.guarded_login`): failed logins are
slowed, and repeated failures lock the username (and the address) for a while, even with the right password."""

from __future__ import annotations

import math

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from casework.accounts import TOKEN_LIFETIME, guarded_login, revoke_token
from casework.auth import secret_hash
from casework.service import now_cst
from portal.deps import ConfigDep, ServiceDep, render
from portal.sessions import (
    ANON_COOKIE,
    SESSION_COOKIE,
    csrf_binding,
    new_anonymous_id,
    session_token,
    sign_session,
)

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only a path of this site (never ``//host`` or ``https://…``): no open redirect after login."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/login", include_in_schema=False)
async def login_page(request: Request, config: ConfigDep, next: str = "/") -> Response:
    anon = request.cookies.get(ANON_COOKIE)
    fresh = None
    binding = csrf_binding(config.secret_key, None, anon)  # the form is bound to this visitor, not to a session
    if binding is None:
        fresh = new_anonymous_id()
        binding = "a:" + fresh
    request.state.csrf_binding = binding
    response = render(request, "login.html", {"next": _safe_next(next), "title": "登录"})
    if fresh:
        response.set_cookie(ANON_COOKIE, fresh, httponly=True, samesite="lax", secure=config.https, path="/")
    return response


def _refused(request: Request, target: str, username: str, error: str, status: int) -> Response:
    return render(request, "login.html", {"next": target, "title": "登录", "username": username, "error": error},
                  status)


@router.post("/login", include_in_schema=False)
async def login(request: Request, config: ConfigDep, service: ServiceDep) -> Response:
    form = await request.form()
    username, password = str(form.get("username") or "").strip(), str(form.get("password") or "")
    target = _safe_next(str(form.get("next") or "/"))
    if not username or not password:
        return _refused(request, target, username, "请填写用户名和密码。", 422)
    address = request.client.host if request.client else "unknown"
    outcome = await run_in_threadpool(guarded_login, service.db, username, password, address, at=now_cst(),
                                      policy=request.app.state.security.login)
    if outcome.locked_for:
        minutes = math.ceil(outcome.locked_for / 60)
        response = _refused(request, target, username,
                            f"登录失败次数过多，账户已暂时锁定，请 {minutes} 分钟后再试。", 429)
        response.headers["Retry-After"] = str(math.ceil(outcome.locked_for))
        return response
    if outcome.token is None:
        await anyio.sleep(outcome.delay)  # slows guessing without holding a thread
        return _refused(request, target, username, "用户名或密码错误。", 401)
    token, _expires, _user = outcome.token
    earlier = session_token(config.secret_key, request.cookies.get(SESSION_COOKIE))
    if earlier:  # signing in as someone else ends the previous session, in the database too
        await run_in_threadpool(revoke_token, service.db, secret_hash(earlier), at=now_cst())
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, sign_session(config.secret_key, token),
                        max_age=int(TOKEN_LIFETIME.total_seconds()), path="/", httponly=True, samesite="lax",
                        secure=config.https)
    response.delete_cookie(ANON_COOKIE, path="/")
    return response


@router.post("/logout", include_in_schema=False)
async def logout(request: Request, config: ConfigDep, service: ServiceDep) -> Response:
    token = session_token(config.secret_key, request.cookies.get(SESSION_COOKIE))
    if token:  # the token is revoked in the database: the cookie, if kept, opens nothing any more
        await run_in_threadpool(revoke_token, service.db, secret_hash(token), at=now_cst())
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response

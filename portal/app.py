"""``create_portal(settings)``: the portal's FastAPI app, on the case service's database and service layer.

Every request passes :func:`csrf_protect` (an app-wide dependency, so routers added later are covered too):
an unsafe method needs a valid session (except the login form) and the CSRF token of that session, checked
before the handler runs. Refusals are pages in Chinese: 401 sends a page request to the login page, 403 and 404
say what was refused.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from casework import db as dbmod
from casework import workflow as wf
from casework.api.strict import BodyLimit, Scope
from casework.attachments import load_limits
from casework.deadlines import CaseStandards, load_standards
from casework.grids import GridLocator
from casework.security import SecurityConfig, load_security
from casework.service import CaseService, ServiceError, now_cst
from portal.census_upload import MAX_UPLOAD_BYTES
from portal.config import PortalConfig, load_portal_config
from portal.deps import NotSignedIn, PortalForbidden, get_config, optional_user, render
from portal.headers import SecurityHeaders
from portal.labels import REFUSALS
from portal.routers import appeals, auth, cases, census, home, reports, scorecards
from portal.sessions import ANON_COOKIE, CSRF_FIELD, CSRF_HEADER, SESSION_COOKIE, csrf_binding, csrf_valid
from szcg.settings import Settings
from usecases.scorecards import MAX_EVIDENCE_BYTES, MAX_EVIDENCE_FILES

STATIC_DIR = Path(__file__).with_name("static")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The only unsafe requests accepted without a session: signing in.
ANONYMOUS_POSTS = frozenset({"/login"})


async def csrf_protect(request: Request) -> None:
    """Bind this request's CSRF token (for the forms it renders) and check it on every unsafe request."""
    key = get_config(request).secret_key
    # the login form is bound to the anonymous cookie its page set, even for a visitor who is signed in already
    session = None if request.url.path in ANONYMOUS_POSTS else request.cookies.get(SESSION_COOKIE)
    binding = csrf_binding(key, session, request.cookies.get(ANON_COOKIE))
    request.state.csrf_binding = binding
    if request.method in SAFE_METHODS:
        return
    if request.url.path not in ANONYMOUS_POSTS and await optional_user(request) is None:
        raise NotSignedIn()  # before a byte of the body is read
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()  # parsed once; the handler reads the same form (files are spooled to disk)
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not csrf_valid(key, binding, sent):
        raise PortalForbidden("表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试。")


def body_limits(security: SecurityConfig) -> Callable[[Scope], int]:
    """Request bodies are refused beyond the case service's limit (1 MiB), before they are read or parsed; a
    transition's form may carry one photo (the attachment store's limit). A team whose form takes bigger files
    adds its path here."""
    base = security.request_body_max_bytes
    photo = load_limits().max_bytes + base
    evidence = MAX_EVIDENCE_FILES * MAX_EVIDENCE_BYTES + base  # an appeal's evidence files (checked again each)

    def limit_for(scope: Scope) -> int:
        path = str(scope.get("path", ""))
        if scope.get("method") == "POST" and path == "/appeals":
            return evidence
        if scope.get("method") == "POST" and path.startswith("/cases/") and path.endswith("/transitions"):
            return photo
        if scope.get("method") == "POST" and path == "/census/uploads":  # a census batch, streamed to disk
            return MAX_UPLOAD_BYTES + 64 * 1024
        return base

    return limit_for


async def csrf_protect_safe(request: Request) -> None:
    """What :func:`csrf_protect` binds for a page, for a request that reached no route (its error page)."""
    key = get_config(request).secret_key
    request.state.csrf_binding = csrf_binding(key, request.cookies.get(SESSION_COOKIE),
                                              request.cookies.get(ANON_COOKIE))
    await optional_user(request)


def create_portal(settings: Settings, *, config: PortalConfig | None = None, standards: CaseStandards | None = None,
                  now: Callable[[], datetime] = now_cst, migrate: bool = True,
                  security: SecurityConfig | None = None) -> FastAPI:
    """The portal for ``settings`` (case database ``settings.casework_db_url``, published warehouse under
    ``settings.data_dir``). ``now`` is the case service's business clock (tests move it)."""
    url = settings.casework_db_url
    if migrate:
        dbmod.upgrade(url)
    database = dbmod.Database(url)
    service = CaseService(database, standards or load_standards(settings), now,
                          grids=GridLocator(settings.current_snapshot_link))
    app = FastAPI(title="szcg 门户", docs_url=None, redoc_url=None, openapi_url=None,
                  dependencies=[Depends(csrf_protect)])
    app.state.settings = settings
    app.state.portal_config = config or load_portal_config(settings)
    app.state.service = service
    app.state.security = security or load_security()
    app.router.add_event_handler("shutdown", database.dispose)
    app.add_middleware(BodyLimit, limit_for=body_limits(app.state.security))
    app.add_middleware(SecurityHeaders)

    @app.exception_handler(NotSignedIn)
    def _not_signed_in(request: Request, _exc: NotSignedIn) -> Response:
        if request.method in SAFE_METHODS:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        return render(request, "error.html", {"title": "请先登录", "message": "会话已失效，请重新登录。"}, 401)

    @app.exception_handler(PortalForbidden)
    def _forbidden(request: Request, exc: PortalForbidden) -> Response:
        return render(request, "error.html", {"title": "无权操作", "message": exc.message}, 403)

    @app.exception_handler(ServiceError)
    def _service_error(request: Request, exc: ServiceError) -> Response:
        message = REFUSALS.get(exc.code, str(exc))
        title = "未找到" if exc.status == 404 else "无权操作" if exc.status == 403 else "无法完成"
        return render(request, "error.html", {"title": title, "message": message}, exc.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, _exc: RequestValidationError) -> Response:
        # never the rejected input in the answer: it may be anything
        return render(request, "error.html", {"title": "页面不存在", "message": "地址有误。"}, 404)

    @app.exception_handler(wf.WorkflowError)
    def _workflow_error(request: Request, exc: wf.WorkflowError) -> Response:
        status = 403 if exc.code == "role_not_allowed" else 409
        return render(request, "error.html", {"title": "无法完成", "message": str(exc)}, status)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        if not hasattr(request.state, "csrf_binding"):  # no route matched (404): the page still shows who you are
            await csrf_protect_safe(request)
        title = {404: "页面不存在", 405: "不支持的操作"}.get(exc.status_code, "请求有误")
        return render(request, "error.html", {"title": title, "message": str(exc.detail)}, exc.status_code)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (auth, home, cases, reports):
        app.include_router(module.router)
    app.include_router(census.router)
    app.include_router(scorecards.router)
    app.include_router(appeals.router)
    return app


def portal_from_environment() -> FastAPI:
    """uvicorn factory: ``uvicorn --factory portal.app:portal_from_environment``."""
    from szcg.settings import load_settings

    return create_portal(load_settings())

"""The case-workflow service: ``create_app(settings)`` migrates the database and returns the FastAPI app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import HTTPException, RequestValidationError
from fastapi.responses import JSONResponse, Response

from casework import db as dbmod
from casework import workflow as wf
from casework.api import attachments, cases, events, open311, tasks, users
from casework.api.deps import TokenCache
from casework.api.strict import BodyLimit, Scope, printable, safe_errors
from casework.attachments import load_limits
from casework.deadlines import CaseStandards, load_standards
from casework.grids import GridLocator
from casework.security import SecurityConfig, load_security
from casework.service import CaseService, ServiceError, now_cst
from szcg.settings import Settings


def _error(status: int, code: str, message: str, detail: dict[str, Any] | None = None,
           headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"code": code, "message": message, "detail": detail or {}}, status_code=status,
                        headers=headers)


def _describe(errors: list[dict[str, Any]]) -> str:
    """'body.hours: Input should be greater than 0; …' — names the field and what was expected."""
    parts = [".".join(printable(x) for x in e.get("loc", ())) + ": " + str(e.get("msg", "")) for e in errors[:5]]
    return "; ".join(parts) or "invalid request"


def _body_limit(security: SecurityConfig) -> Callable[[Scope], int]:
    # uploads are streamed and judged by their route (401 before a byte is read, 413 attachment_too_large)
    upload_limit = load_limits().max_bytes + security.request_body_max_bytes

    def limit_for(scope: Scope) -> int:
        if scope.get("method") == "POST" and scope.get("path") == "/attachments":
            return upload_limit
        return security.request_body_max_bytes

    return limit_for


def create_app(settings: Settings, *, standards: CaseStandards | None = None,
               now: Callable[[], datetime] = now_cst, migrate: bool = True, request_threads: int = 4,
               security: SecurityConfig | None = None) -> FastAPI:
    """Build the app for ``settings.casework_db_url``; ``now`` is injectable so tests can stand on a Friday.
    ``request_threads``: how many requests' handlers run at once per process (see the lifespan).
    ``security``: body limit and login lockout policy (default: ``casework/security.yaml``)."""
    security = security or load_security()
    url = settings.casework_db_url
    if migrate:
        dbmod.upgrade(url)
    database = dbmod.Database(url)
    service = CaseService(database, standards or load_standards(settings), now,
                          grids=GridLocator(settings.current_snapshot_link))
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Few handler threads: they share one GIL, and with the default 40 a request that releases the GIL
        # for each database call queues behind dozens of others every time (p99 latency 2-3× worse at 32
        # clients, no throughput gained). Run more processes (uvicorn --workers) for more CPU.
        anyio.to_thread.current_default_thread_limiter().total_tokens = request_threads
        yield
        database.dispose()

    app = FastAPI(
        lifespan=lifespan,
        title="szcg casework",
        version="1",
        description="数字城管 case workflow: 上报 → 受理 → 核实 → 立案 → 派遣 → 处置 → 反馈 → 核查 → 结案, with "
                    "返工/回退/延期/挂账/作废, deadlines from the 指挥手册 on the working calendar, a change feed "
                    "for the warehouse and Open311 GeoReport v2 intake.",
    )
    app.state.service = service
    app.state.token_cache = TokenCache()
    app.state.security = security
    app.add_middleware(BodyLimit, limit_for=_body_limit(security))

    @app.exception_handler(ServiceError)
    def _service_error(_request: Request, exc: ServiceError) -> JSONResponse:
        return _error(exc.status, exc.code, str(exc), exc.detail)

    @app.exception_handler(wf.WorkflowError)
    def _workflow_error(_request: Request, exc: wf.WorkflowError) -> JSONResponse:
        status = 403 if exc.code == "role_not_allowed" else 409
        return _error(status, exc.code, str(exc), {"state": exc.state, "action": exc.action})

    @app.exception_handler(HTTPException)
    def _http_error(_request: Request, exc: HTTPException) -> JSONResponse:
        if isinstance(exc.detail, dict):
            return _error(exc.status_code, str(exc.detail.get("code")), str(exc.detail.get("message")),
                          headers=exc.headers)
        return _error(exc.status_code, "http_error", str(exc.detail), headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    def _invalid_request(request: Request, exc: RequestValidationError) -> Response:
        # Never the rejected input in the answer (nor in any log): it may be a password, or not even text.
        errors = safe_errors(list(exc.errors()))
        if request.url.path.startswith("/open311/"):  # GeoReport v2 error document, in the format asked for
            return open311.open311_error_response(request, 400, _describe(errors))
        return _error(422, "invalid_request", _describe(errors), {"errors": errors})

    @app.exception_handler(open311.Open311Failure)
    def _open311_error(request: Request, exc: open311.Open311Failure) -> Response:
        return open311.open311_error_response(request, exc.status, exc.description)

    @app.get("/health", tags=["health"], summary="Liveness (no database): the benchmark's baseline")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    for module in (users, cases, attachments, tasks, events, open311):
        app.include_router(module.router)

    return app


def app_from_environment() -> FastAPI:
    """uvicorn factory: ``uvicorn --factory casework.app:app_from_environment``."""
    from szcg.settings import load_settings

    return create_app(load_settings())

"""Login, users and Open311 API clients (admin), and the transition table for clients."""

from __future__ import annotations

import math
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from casework import workflow as wf
from casework.accounts import create_api_client, create_user, guarded_login, revoke_token, revoke_user_tokens
from casework.api.deps import CurrentActor, Service, TokenCache, bearer, require_role, token_key
from casework.api.schemas import (
    ApiClientIn,
    ApiClientOut,
    ErrorOut,
    RevokedOut,
    TokenIn,
    TokenOut,
    TransitionRuleOut,
    UserIn,
    UserOut,
)
from casework.api.strict import StrictJSONRoute
from casework.models import User
from casework.service import now_cst

router = APIRouter(tags=["users"], route_class=StrictJSONRoute)
ADMIN_ERRORS: dict[int | str, dict[str, Any]] = {c: {"model": ErrorOut} for c in (401, 403, 409, 422)}


@router.post("/auth/token", response_model=TokenOut, responses={401: {"model": ErrorOut}, 429: {"model": ErrorOut}},
             summary="Exchange username and password for a bearer token (failures are slowed, then locked out)")
async def issue_token(body: TokenIn, request: Request, service: Service) -> dict[str, Any]:
    policy = request.app.state.security.login
    address = request.client.host if request.client else "unknown"  # behind a proxy: uvicorn --proxy-headers
    outcome = await run_in_threadpool(guarded_login, service.db, body.username, body.password, address,
                                      at=now_cst(), policy=policy)
    if outcome.locked_for:
        seconds = math.ceil(outcome.locked_for)
        raise HTTPException(429, detail={"code": "locked_out", "message": f"too many failed logins for this user "
                                         f"or address: try again in {seconds} s"},
                            headers={"Retry-After": str(seconds)})
    if outcome.token is None:
        await anyio.sleep(outcome.delay)  # slows guessing without holding a handler thread
        raise HTTPException(401, detail={"code": "bad_credentials", "message": "unknown user or wrong password"})
    token, expires, user = outcome.token
    return {"access_token": token, "token_type": "bearer", "expires_at": expires, "role": user.role}


def _forget(request: Request, epoch: int) -> None:
    """This process refuses the revoked tokens at once; other processes follow the epoch (see deps)."""
    cache: TokenCache = request.app.state.token_cache
    cache.clear()
    cache.observe(epoch)


@router.post("/auth/logout", status_code=204, responses={401: {"model": ErrorOut}},
             summary="Revoke the bearer token of this request")
def logout(request: Request, actor: CurrentActor, service: Service,
           creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Response:
    _, epoch = revoke_token(service.db, token_key(creds), at=now_cst())
    _forget(request, epoch)
    return Response(status_code=204)


@router.post("/users/{username}/revoke-tokens", response_model=RevokedOut, responses=ADMIN_ERRORS | {
    404: {"model": ErrorOut}}, summary="Revoke every live token of a user (admin)")
def revoke_tokens(request: Request, username: Annotated[str, Path(min_length=1, max_length=64)],
                  actor: CurrentActor, service: Service) -> dict[str, Any]:
    require_role(actor, wf.Role.admin)
    count, epoch = revoke_user_tokens(service.db, username, at=now_cst())
    _forget(request, epoch)
    return {"username": username, "revoked": count}


@router.get("/users/me", response_model=UserOut, responses={401: {"model": ErrorOut}})
def me(actor: CurrentActor, service: Service) -> Any:
    with service.db.reading() as s:
        return s.execute(select(User).where(User.username == actor.username)).scalar_one()


@router.post("/users", status_code=201, response_model=UserOut, responses=ADMIN_ERRORS,
             summary="Create a user (admin)")
def add_user(body: UserIn, actor: CurrentActor, service: Service) -> Any:
    require_role(actor, wf.Role.admin)
    if body.role == wf.Role.public:
        raise HTTPException(422, detail={"code": "invalid", "message": "public is for Open311 API clients"})
    return create_user(service.db, body.username, body.password, body.role.value, at=service.now(),
                       display_name=body.display_name, district_code=body.district_code,
                       department_code=body.department_code, grid_codes=body.grid_codes,
                       district_codes=body.district_codes)


@router.get("/users", response_model=list[UserOut], responses=ADMIN_ERRORS, summary="List users (admin)")
def list_users(actor: CurrentActor, service: Service) -> Any:
    require_role(actor, wf.Role.admin)
    with service.db.reading() as s:
        return list(s.execute(select(User).order_by(User.id)).scalars())


@router.post("/api-clients", status_code=201, response_model=ApiClientOut, responses=ADMIN_ERRORS,
             summary="Register an Open311 client (hotline system, public app) and get its API key (admin)")
def add_api_client(body: ApiClientIn, actor: CurrentActor, service: Service) -> dict[str, Any]:
    require_role(actor, wf.Role.admin)
    key = create_api_client(service.db, body.name, body.source, at=service.now())
    return {"name": body.name, "source": body.source, "api_key": key}


@router.get("/workflow", response_model=list[TransitionRuleOut], tags=["workflow"],
            summary="The state machine: every allowed (state, action) with roles and deadline effects")
def workflow_table() -> list[dict[str, Any]]:
    return [{"source": t.source, "action": t.action, "target": t.target, "roles": sorted(r.value for r in t.roles),
             "completes": t.completes, "clock": f"{t.clock.mode}:{t.clock.step}" if t.clock.step else t.clock.mode}
            for t in wf.TRANSITIONS]

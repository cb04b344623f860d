"""What every router needs: the service, the calling actor (bearer token), and case serialisation."""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select

from casework import workflow as wf
from casework.auth import secret_hash
from casework.models import Case, Token, User
from casework.service import Actor, CaseService, now_cst, overdue

bearer = HTTPBearer(auto_error=False, description="POST /auth/token, then Authorization: Bearer <token>")
_CACHE_SECONDS = 30.0  # a revoked or expired token stops working within this


class TokenCache:
    """token hash → (actor, valid until): saves a database round trip on every request."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[Actor, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Actor | None:
        with self._lock:
            found = self._items.get(key)
        if found is None or found[1] < time.monotonic():
            return None
        return found[0]

    def put(self, key: str, actor: Actor, ttl: float) -> None:
        with self._lock:
            if len(self._items) > 10_000:
                self._items.clear()
            self._items[key] = (actor, time.monotonic() + ttl)


def get_service(request: Request) -> CaseService:
    return request.app.state.service  # type: ignore[no-any-return]


Service = Annotated[CaseService, Depends(get_service)]


def actor_of(user: User) -> Actor:
    return Actor(user.username, user.role, user.district_code, user.department_code, tuple(user.grid_codes or ()))


def current_actor(request: Request, service: Service,
                  creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Actor:
    if creds is None or not creds.credentials:
        raise HTTPException(401, detail={"code": "unauthenticated", "message": "bearer token required"},
                            headers={"WWW-Authenticate": "Bearer"})
    key = secret_hash(creds.credentials)
    cache: TokenCache = request.app.state.token_cache
    actor = cache.get(key)
    if actor is not None:
        return actor
    now = now_cst()  # wall-clock time: token lifetimes are not business time (tests move the service clock)
    with service.db.reading() as s:
        row = s.execute(select(User, Token.expires_at).join(Token, Token.user_id == User.id)
                        .where(Token.token_hash == key)).first()
    if row is None or row[1] <= now or not row[0].active:
        raise HTTPException(401, detail={"code": "invalid_token", "message": "token unknown or expired"},
                            headers={"WWW-Authenticate": "Bearer"})
    actor = actor_of(row[0])
    cache.put(key, actor, min(_CACHE_SECONDS, (row[1] - now).total_seconds()))
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]


def require_role(actor: Actor, *roles: str) -> None:
    if actor.role not in roles:
        raise HTTPException(403, detail={"code": "forbidden",
                                         "message": f"needs role {' or '.join(roles)}; you are {actor.role}"})


def case_out(case: Case, service: CaseService, now: datetime | None = None) -> dict[str, Any]:
    sub = service.standards.catalogue.get(case.subclass_code, case.kind)
    state = wf.State(case.status)
    return {
        "id": case.id, "version": case.version, "status": state, "kind": case.kind,
        "subclass_code": case.subclass_code, "subclass_name": sub.name if sub is not None else "",
        "edition": case.edition, "source": case.source, "description": case.description,
        "address": case.address, "lat": case.lat, "lon": case.lon, "grid_code": case.grid_code,
        "district_code": case.district_code, "department_code": case.department_code,
        "supervisor": case.supervisor, "reporter": case.reporter, "reported_at": case.reported_at,
        "updated_at": case.updated_at, "closed_at": case.closed_at, "step": case.clock_step,
        "step_started_at": case.clock_started_at, "deadline_at": case.clock_deadline_at,
        "overdue": overdue(case, now or service.now()), "pending": case.pending,
        "allowed_actions": wf.allowed_actions(state),
    }

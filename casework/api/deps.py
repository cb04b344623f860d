"""What every router needs: the service, the calling actor (bearer token), and case serialisation.

Token lookups are cached per process (token hash → actor). A revocation (logout, an administrator revoking a
user's tokens) clears this process's cache at once and bumps ``token_epoch`` in the database in the same
transaction; every other process (uvicorn worker) re-reads that epoch at most ``EPOCH_CHECK_SECONDS`` after its
last check and drops its cache when it moved. A lookup that raced with a clear is not cached (generation check).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic_core import to_json
from sqlalchemy import bindparam, select
from starlette.concurrency import run_in_threadpool

from casework import workflow as wf
from casework.auth import secret_hash
from casework.models import Token, TokenEpoch, User
from casework.service import Actor, CaseRow, CaseService, now_cst, overdue

bearer = HTTPBearer(auto_error=False, description="POST /auth/token, then Authorization: Bearer <token>")
_CACHE_SECONDS = 30.0  # a cached token is looked up again after this (or at its expiry, if sooner)
EPOCH_CHECK_SECONDS = 1.0  # how stale another process's revocation may be seen here, at most
_USERS, _TOKENS = User.__table__, Token.__table__
_TOKEN_LOOKUP = (select(_USERS, _TOKENS.c.expires_at)  # type: ignore[arg-type]
                 .join(_TOKENS, _TOKENS.c.user_id == _USERS.c.id)  # type: ignore[attr-defined]
                 .where(_TOKENS.c.token_hash == bindparam("token_hash"),  # type: ignore[attr-defined]
                        _TOKENS.c.revoked_at.is_(None)))  # type: ignore[attr-defined]
_EPOCH = select(TokenEpoch.__table__.c.epoch).where(TokenEpoch.__table__.c.id == 1)  # type: ignore[attr-defined]


class TokenCache:
    """token hash → (actor, valid until): saves a database round trip on every request."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[Actor, float]] = {}
        self._lock = threading.Lock()
        self.generation = 0  # bumped by every clear
        self.epoch: int | None = None  # the database's revocation epoch when last checked
        self.checked_at = float("-inf")

    def get(self, key: str) -> Actor | None:
        found = self._items.get(key)
        if found is None or found[1] < time.monotonic():
            return None
        return found[0]

    def put(self, key: str, actor: Actor, ttl: float, generation: int) -> None:
        with self._lock:
            if generation != self.generation:  # a revocation happened while this lookup ran
                return
            if len(self._items) > 10_000:
                self._items.clear()
            self._items[key] = (actor, time.monotonic() + ttl)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.generation += 1

    def due(self) -> bool:
        """True (once per interval) when the revocation epoch should be re-read."""
        now = time.monotonic()
        with self._lock:
            if now - self.checked_at < EPOCH_CHECK_SECONDS:
                return False
            self.checked_at = now
            return True

    def observe(self, epoch: int) -> None:
        if epoch != self.epoch:
            if self.epoch is not None:
                self.clear()
            self.epoch = epoch


async def get_service(request: Request) -> CaseService:  # async: a sync dependency costs a thread hop
    return request.app.state.service  # type: ignore[no-any-return]


Service = Annotated[CaseService, Depends(get_service)]


def actor_of(user: Any) -> Actor:
    return Actor(user.username, user.role, user.district_code, user.department_code, tuple(user.grid_codes or ()))


def _refresh_epoch(service: CaseService, cache: TokenCache) -> None:
    with service.db.read() as conn:
        cache.observe(int(conn.execute(_EPOCH).scalar_one()))


def _lookup(service: CaseService, key: str) -> tuple[Actor, float] | None:
    now = now_cst()  # wall-clock time: token lifetimes are not business time (tests move the service clock)
    with service.db.read() as conn:
        row = conn.execute(_TOKEN_LOOKUP, {"token_hash": key}).first()
    if row is None or row.expires_at <= now or not row.active:
        return None
    return actor_of(row), min(_CACHE_SECONDS, (row.expires_at - now).total_seconds())


def token_key(creds: HTTPAuthorizationCredentials | None) -> str:
    if creds is None or not creds.credentials:
        raise HTTPException(401, detail={"code": "unauthenticated", "message": "bearer token required"},
                            headers={"WWW-Authenticate": "Bearer"})
    return secret_hash(creds.credentials)


async def current_actor(request: Request,
                        creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Actor:
    """The caller. ``async`` so that a cached token costs no thread-pool hop; database work goes to a thread."""
    key = token_key(creds)
    service: CaseService = request.app.state.service
    cache: TokenCache = request.app.state.token_cache
    if cache.due():
        await run_in_threadpool(_refresh_epoch, service, cache)
    actor = cache.get(key)
    if actor is not None:
        return actor
    generation = cache.generation
    found = await run_in_threadpool(_lookup, service, key)
    if found is None:
        raise HTTPException(401, detail={"code": "invalid_token", "message": "token unknown, expired or revoked"},
                            headers={"WWW-Authenticate": "Bearer"})
    cache.put(key, found[0], found[1], generation)
    return found[0]


CurrentActor = Annotated[Actor, Depends(current_actor)]


def require_role(actor: Actor, *roles: str) -> None:
    if actor.role not in roles:
        raise HTTPException(403, detail={"code": "forbidden",
                                         "message": f"needs role {' or '.join(roles)}; you are {actor.role}"})


class FastJSON(Response):
    """JSON rendered by pydantic-core (Rust) from plain dicts the handler built in the declared response
    model's shape: no second validation pass and about 3× faster than ``json.dumps``. Output is the same JSON
    (compact, UTF-8, ISO datetimes); tests validate these bodies against the declared models."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return to_json(content)


_ALLOWED: dict[str, list[str]] = {s.value: [a.value for a in wf.allowed_actions(s)] for s in wf.State}


def case_out(case: CaseRow, service: CaseService, now: datetime | None = None) -> dict[str, Any]:
    """A case in ``CaseOut``'s shape (datetimes as ``datetime``: rendered by :class:`FastJSON`)."""
    sub = service.standards.catalogue.get(case["subclass_code"], case["kind"])
    status = case["status"]
    return {
        "id": case["id"], "version": case["version"], "status": status, "kind": case["kind"],
        "subclass_code": case["subclass_code"], "subclass_name": sub.name if sub is not None else "",
        "edition": case["edition"], "source": case["source"], "description": case["description"],
        "address": case["address"], "lat": case["lat"], "lon": case["lon"], "grid_code": case["grid_code"],
        "district_code": case["district_code"], "department_code": case["department_code"],
        "supervisor": case["supervisor"], "reporter": case["reporter"], "reported_at": case["reported_at"],
        "updated_at": case["updated_at"], "closed_at": case["closed_at"], "step": case["clock_step"],
        "step_started_at": case["clock_started_at"], "deadline_at": case["clock_deadline_at"],
        "overdue": overdue(case, now or service.now()), "pending": case["pending"],
        "allowed_actions": _ALLOWED[status],
    }

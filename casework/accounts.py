"""Users, login tokens and Open311 API clients in the database (used by the API and the CLI)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.exc import IntegrityError

from casework import workflow as wf
from casework.auth import hash_password, new_secret, secret_hash, verify_password
from casework.db import Database
from casework.models import ApiClient, Token, TokenEpoch, User
from casework.service import Actor, Conflict, Invalid, NotFound

TOKEN_LIFETIME = timedelta(hours=12)
STAFF_ROLES = tuple(r.value for r in wf.Role if r != wf.Role.public)


def create_user(db: Database, username: str, password: str, role: str, *, at: datetime,
                display_name: str = "", district_code: str | None = None, department_code: str | None = None,
                grid_codes: Sequence[str] = ()) -> User:
    if role not in STAFF_ROLES:
        raise Invalid(f"role {role!r}: expected one of {', '.join(STAFF_ROLES)}", field="role")
    if role == wf.Role.department and not department_code:
        raise Invalid("a department user needs department_code", field="department_code")
    user = User(username=username, password_hash=hash_password(password), role=role, display_name=display_name,
                district_code=district_code, department_code=department_code, grid_codes=list(grid_codes),
                active=True, created_at=at)
    try:
        with db.writing() as s:
            s.add(user)
    except IntegrityError:
        raise Conflict(f"user {username!r} exists already", code="user_exists") from None
    return user


def login(db: Database, username: str, password: str, *, at: datetime) -> tuple[str, datetime, User] | None:
    """A new bearer token for valid credentials, else None. Expired tokens of the user are dropped."""
    with db.reading() as s:
        user = s.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None or not user.active or not verify_password(password, user.password_hash):
        return None
    token = new_secret()
    expires = at + TOKEN_LIFETIME
    with db.writing() as s:
        s.execute(delete(Token).where(Token.user_id == user.id, Token.expires_at < at))
        s.add(Token(token_hash=secret_hash(token), user_id=user.id, created_at=at, expires_at=expires))
    return token, expires, user


def _revoke(conn: Connection, at: datetime, *where: object) -> tuple[int, int]:
    """Mark matching live tokens revoked; bump the epoch when any were (same transaction). → (count, epoch)."""
    count = conn.execute(update(Token).where(Token.revoked_at.is_(None), *where)  # type: ignore[arg-type]
                         .values(revoked_at=at)).rowcount
    if count:
        conn.execute(update(TokenEpoch).where(TokenEpoch.id == 1).values(epoch=TokenEpoch.epoch + 1))
    return count, int(conn.execute(select(TokenEpoch.epoch).where(TokenEpoch.id == 1)).scalar_one())


def revoke_token(db: Database, token_hash: str, *, at: datetime) -> tuple[int, int]:
    """Logout: revoke one token (by its hash). Returns (tokens revoked, revocation epoch now)."""
    with db.write() as conn:
        return _revoke(conn, at, Token.token_hash == token_hash)


def revoke_user_tokens(db: Database, username: str, *, at: datetime) -> tuple[int, int]:
    """Revoke every live token of ``username`` (lost phone, staff leaving). Returns (count, epoch)."""
    with db.write() as conn:
        user_id = conn.execute(select(User.id).where(User.username == username)).scalar_one_or_none()
        if user_id is None:
            raise NotFound(f"user {username!r} does not exist", code="unknown_user")
        return _revoke(conn, at, Token.user_id == user_id)


def create_api_client(db: Database, name: str, source: str, *, at: datetime) -> str:
    """Register an Open311 client; returns its API key (shown once, stored hashed)."""
    if source not in ("public", "hotline", "video", "leader"):
        raise Invalid(f"source {source!r}: expected public, hotline, video or leader", field="source")
    key = new_secret()
    try:
        with db.writing() as s:
            s.add(ApiClient(name=name, key_hash=secret_hash(key), source=source, created_at=at))
    except IntegrityError:
        raise Conflict(f"API client {name!r} exists already", code="client_exists") from None
    return key


def client_actor(db: Database, api_key: str) -> Actor | None:
    with db.reading() as s:
        client = s.execute(select(ApiClient).where(ApiClient.key_hash == secret_hash(api_key))).scalar_one_or_none()
    if client is None:
        return None
    return Actor(f"open311:{client.name}", wf.Role.public.value, source=client.source)

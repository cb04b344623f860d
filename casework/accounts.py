"""Users, login tokens and Open311 API clients in the database (used by the API and the CLI)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from casework import workflow as wf
from casework.auth import hash_password, new_secret, secret_hash, verify_password
from casework.db import Database
from casework.models import ApiClient, LoginFailure, Token, TokenEpoch, User, UserDistrict
from casework.security import LoginPolicy
from casework.service import Actor, Conflict, Invalid, NotFound
from szcg.vocabulary import CLIENT_SOURCES

TOKEN_LIFETIME = timedelta(hours=12)
STAFF_ROLES = tuple(r.value for r in wf.Role if r != wf.Role.public)
# Checked when the username is unknown or inactive, so that every failed login costs one scrypt: the answer's
# timing does not tell which usernames exist.
_DECOY_HASH = hash_password("decoy password never matched")
_FAILURES = LoginFailure.__table__


def create_user(db: Database, username: str, password: str, role: str, *, at: datetime,
                display_name: str = "", district_code: str | None = None, department_code: str | None = None,
                grid_codes: Sequence[str] = (), district_codes: Sequence[str] = ()) -> User:
    """A new active user. Its districts are ``district_code`` (the home district) then ``district_codes``; only a
    survey team may have more than one: the case service scopes a dispatcher or 监督员 to one district."""
    if role not in STAFF_ROLES:
        raise Invalid(f"role {role!r}: expected one of {', '.join(STAFF_ROLES)}", field="role")
    if role == wf.Role.department and not department_code:
        raise Invalid("a department user needs department_code", field="department_code")
    districts = list(dict.fromkeys([*([district_code] if district_code else []), *district_codes]))
    if role == wf.Role.survey_team and not districts:  # the portal reads "no district" as city-wide
        raise Invalid("a survey_team user needs at least one district", field="district_codes")
    if len(districts) > 1 and role != wf.Role.survey_team:
        raise Invalid(f"only a survey_team may have several districts; a {role} has one", field="district_codes")
    user = User(username=username, password_hash=hash_password(password), role=role, display_name=display_name,
                district_code=districts[0] if districts else None, department_code=department_code,
                grid_codes=list(grid_codes), active=True, created_at=at,
                districts=[UserDistrict(district_code=code) for code in districts])
    try:
        with db.writing() as s:
            s.add(user)
    except IntegrityError:
        raise Conflict(f"user {username!r} exists already", code="user_exists") from None
    return user


def login(db: Database, username: str, password: str, *, at: datetime) -> tuple[str, datetime, User] | None:
    """A new bearer token for valid credentials, else None. Expired tokens of the user are dropped.
    An unknown or inactive username costs the same password check as a wrong password."""
    with db.reading() as s:
        user = s.execute(select(User).where(User.username == username)).scalar_one_or_none()
    matches = verify_password(password, user.password_hash if user is not None else _DECOY_HASH)
    if user is None or not user.active or not matches:
        return None
    token = new_secret()
    expires = at + TOKEN_LIFETIME
    with db.writing() as s:
        s.execute(delete(Token).where(Token.user_id == user.id, Token.expires_at < at))
        s.add(Token(token_hash=secret_hash(token), user_id=user.id, created_at=at, expires_at=expires))
    return token, expires, user


@dataclass(frozen=True)
class LoginOutcome:
    """``token`` on success; else ``locked_for`` seconds (refused without a password check) or, for a wrong
    password, ``delay`` seconds the answer should wait (slows guessing; the caller sleeps without a thread)."""

    token: tuple[str, datetime, User] | None = None
    locked_for: float = 0.0
    delay: float = 0.0


def failure_keys(username: str, address: str) -> tuple[str, str]:
    return f"user:{username[:64]}", f"address:{address[:64]}"


def guarded_login(db: Database, username: str, password: str, address: str, *, at: datetime,
                  policy: LoginPolicy) -> LoginOutcome:
    """:func:`login` behind the lockout of ``policy``: failures are counted per username (known or not: a lockout
    says nothing about existence) and per client address within a window; at the limit the username or address
    is refused for ``lockout_seconds``, even with the right password. A success clears its username's count."""
    keys = failure_keys(username, address)
    with db.read() as conn:
        rows = {r.key: r for r in conn.execute(select(_FAILURES).where(_FAILURES.c.key.in_(keys)))}  # type: ignore[attr-defined]
    locked = [(r.locked_until - at).total_seconds() for r in rows.values() if r.locked_until and r.locked_until > at]
    if locked:
        return LoginOutcome(locked_for=max(locked))
    found = login(db, username, password, at=at)
    if found is not None:
        with db.write() as conn:
            conn.execute(delete(LoginFailure).where(LoginFailure.key == keys[0]))
        return LoginOutcome(token=found)
    failures = _count_failure(db, keys, at, policy)
    return LoginOutcome(delay=min(policy.max_delay_seconds, failures * policy.delay_seconds_per_failure))


def _count_failure(db: Database, keys: tuple[str, str], at: datetime, policy: LoginPolicy) -> int:
    """Add one failure to each key (a new window when the last began too long ago); → the username's count."""
    window = timedelta(seconds=policy.window_seconds)
    limits = (policy.account_max_failures, policy.address_max_failures)
    for attempt in range(3):
        try:
            return _add_failures(db, keys, at, window, limits, policy.lockout_seconds)
        except IntegrityError:  # a concurrent first failure of the same key inserted it: count again
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _add_failures(db: Database, keys: tuple[str, str], at: datetime, window: timedelta, limits: tuple[int, int],
                  lockout_seconds: float) -> int:
    counts = []
    with db.write() as conn:
        # forget windows that ended without a running lockout: the table holds only recent guessing
        conn.execute(_FAILURES.delete().where(_FAILURES.c.first_at < at - window,  # type: ignore[attr-defined]
                                              or_(_FAILURES.c.locked_until.is_(None),  # type: ignore[attr-defined]
                                                  _FAILURES.c.locked_until < at)))  # type: ignore[attr-defined]
        for key, limit in zip(keys, limits, strict=True):
            row = conn.execute(select(_FAILURES).where(_FAILURES.c.key == key)  # type: ignore[attr-defined]
                               .with_for_update()).first()
            if row is None or at - row.first_at > window:
                failures, first_at = 1, at
            else:
                failures, first_at = row.failures + 1, row.first_at
            locked_until = at + timedelta(seconds=lockout_seconds) if failures >= limit else None
            values = {"failures": failures, "first_at": first_at, "locked_until": locked_until}
            if row is None:
                conn.execute(_FAILURES.insert(), {"key": key, **values})  # type: ignore[attr-defined]
            else:
                conn.execute(_FAILURES.update().where(_FAILURES.c.key == key), values)  # type: ignore[attr-defined]
            counts.append(failures)
    return counts[0]


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
            raise NotFound("no such user", code="unknown_user")
        return _revoke(conn, at, Token.user_id == user_id)


def create_api_client(db: Database, name: str, source: str, *, at: datetime) -> str:
    """Register an Open311 client; returns its API key (shown once, stored hashed)."""
    if source not in CLIENT_SOURCES:
        raise Invalid(f"source {source!r}: expected one of {', '.join(CLIENT_SOURCES)}", field="source")
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

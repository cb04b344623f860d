"""Session cookies and CSRF tokens, with the standard library only.

A session is a case-service login token (:func:`casework.accounts.guarded_login`): stored hashed, expiring,
revocable (logout revokes it, as ``POST /auth/logout`` does). The cookie carries the token and an HMAC of it under
the portal's key, so a forged or truncated cookie is refused before any database look-up.

CSRF: a token bound to the session (an HMAC of the session token's hash), sent in every form as ``csrf_token``
(or by scripts as the ``X-CSRF-Token`` header) and compared on every unsafe request. Before login the binding is
a random anonymous cookie set by the login page, so the login form is protected too (login CSRF).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from casework.auth import secret_hash

SESSION_COOKIE = "szcg_session"
ANON_COOKIE = "szcg_anon"
FLASH_COOKIE = "szcg_flash"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def _mac(key: bytes, purpose: str, value: str) -> str:
    digest = hmac.new(key, f"{purpose}|{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def sign_session(key: bytes, token: str) -> str:
    return f"{token}.{_mac(key, 'session', token)}"


def session_token(key: bytes, cookie: str | None) -> str | None:
    """The login token in a session cookie whose signature holds, else None."""
    if not cookie or "." not in cookie or len(cookie) > 512:
        return None
    token, _, mac = cookie.rpartition(".")
    return token if token and hmac.compare_digest(mac, _mac(key, "session", token)) else None


def new_anonymous_id() -> str:
    return secrets.token_urlsafe(24)


def csrf_binding(key: bytes, session_cookie: str | None, anon_cookie: str | None) -> str | None:
    """What the CSRF token is bound to: the session's token hash, else the anonymous cookie, else nothing."""
    token = session_token(key, session_cookie)
    if token is not None:
        return "s:" + secret_hash(token)
    if anon_cookie and 16 <= len(anon_cookie) <= 64:
        return "a:" + anon_cookie
    return None


def csrf_token(key: bytes, binding: str) -> str:
    return _mac(key, "csrf", binding)


def csrf_valid(key: bytes, binding: str | None, sent: str | None) -> bool:
    return bool(binding and sent) and hmac.compare_digest(str(sent), csrf_token(key, str(binding)))


def sign_flash(key: bytes, message: str) -> str:
    body = base64.urlsafe_b64encode(message[:500].encode()).decode().rstrip("=")  # cookie-safe characters only
    return f"{body}.{_mac(key, 'flash', body)}"


def read_flash(key: bytes, cookie: str | None) -> list[str]:
    """The message of a flash cookie whose signature holds (a forged one shows nothing)."""
    if not cookie or "." not in cookie or len(cookie) > 2048:
        return []
    body, _, mac = cookie.rpartition(".")
    if not hmac.compare_digest(mac, _mac(key, "flash", body)):
        return []
    try:
        return [base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()]
    except (ValueError, UnicodeDecodeError):
        return []

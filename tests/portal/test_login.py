"""Signing in and out of the portal in a real browser; sessions, CSRF, lockout, cookie flags, pinned assets."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from casework.accounts import create_user
from casework.cli import DEMO_PASSWORD
from portal.config import PortalConfig
from tests.portal.conftest import PORTAL_SECRET, PortalServer

STATIC = Path(__file__).resolve().parents[2] / "portal" / "static"


def _session_cookie(page: Any) -> dict[str, Any] | None:
    return next((c for c in page.context.cookies() if c["name"] == "szcg_session"), None)


def test_a_user_signs_in_sees_their_role_and_signs_out(browser_page: Any, login_as: Callable[..., None]) -> None:
    page = browser_page
    page.goto("/")
    assert page.url.endswith("/login?next=%2F")  # no session: the login page
    login_as(page, "operator")
    assert page.get_by_role("heading", name="我的任务").is_visible()  # the 受理员's home: the task list
    assert page.get_by_text("operator（受理员）").is_visible()
    cookie = _session_cookie(page)
    assert cookie is not None and cookie["httpOnly"] and cookie["sameSite"] == "Lax" and not cookie["secure"]
    page.get_by_role("button", name="退出").click()
    page.wait_for_url("**/login")
    assert page.get_by_role("button", name="登录").is_visible()
    assert _session_cookie(page) is None
    page.goto("/")
    assert "/login" in page.url


def test_a_page_of_another_role_is_refused(browser_page: Any, login_as: Callable[..., None]) -> None:
    page = browser_page
    login_as(page, "surveyor-140602")
    response = page.goto("/tasks")
    assert response.status == 403
    assert "此页面仅限" in page.get_by_role("alert").inner_text()
    assert page.get_by_role("link", name="我的任务").count() == 0  # nor is it in the navigation


def test_pages_are_not_framed_cached_or_given_foreign_scripts(portal_server: PortalServer) -> None:
    with httpx.Client(base_url=portal_server.url) as client:
        page = client.get("/login")
        csp = page.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert page.headers["x-frame-options"] == "DENY" and page.headers["cache-control"] == "no-store"
        assert "cache-control" not in client.get("/static/portal.css").headers


def test_a_wrong_password_is_refused(browser_page: Any, login_as: Callable[..., None]) -> None:
    page = browser_page
    login_as(page, "dispatcher", "not-the-password")
    assert page.get_by_role("alert").inner_text() == "用户名或密码错误。"
    assert page.get_by_label("用户名").input_value() == "dispatcher"  # kept; the password is not
    assert _session_cookie(page) is None


def test_a_revoked_session_cookie_opens_nothing(portal_server: PortalServer) -> None:
    with httpx.Client(base_url=portal_server.url) as client:
        assert _sign_in(client, "evaluator").status_code == 303
        stolen = client.cookies.get("szcg_session")
        assert client.post("/logout", data={"csrf_token": _csrf(client, "/")}).status_code == 303
    with httpx.Client(base_url=portal_server.url, cookies={"szcg_session": stolen}) as thief:
        r = thief.get("/")
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
    with httpx.Client(base_url=portal_server.url, cookies={"szcg_session": stolen[:-3] + "AAA"}) as forger:
        assert forger.get("/").status_code == 303  # a bad signature is no session either


def _csrf(client: httpx.Client, path: str) -> str:
    """The CSRF token in the page's forms (what the browser would send back)."""
    page = client.get(path, follow_redirects=True).text
    marker = 'name="csrf_token" value="'
    start = page.index(marker) + len(marker)
    return page[start:page.index('"', start)]


def _sign_in(client: httpx.Client, username: str, password: str = DEMO_PASSWORD) -> httpx.Response:
    token = _csrf(client, "/login")
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def test_posts_without_the_csrf_token_are_refused(portal_server: PortalServer) -> None:
    with httpx.Client(base_url=portal_server.url) as client:
        # the login form itself: no token, or a token of another visitor
        r = client.post("/login", data={"username": "operator", "password": DEMO_PASSWORD})
        assert r.status_code == 403 and "CSRF" in r.text
        assert _sign_in(client, "operator").status_code == 303
        r = client.post("/logout")
        assert r.status_code == 403 and "CSRF" in r.text
        r = client.post("/logout", data={"csrf_token": "forged"})
        assert r.status_code == 403
        assert client.get("/", follow_redirects=False).status_code != 401  # still signed in
        with httpx.Client(base_url=portal_server.url) as other:
            _sign_in(other, "leader")
            token_of_other = _csrf(other, "/")
        assert client.post("/logout", data={"csrf_token": token_of_other}).status_code == 403
        r = client.post("/logout", headers={"X-CSRF-Token": _csrf(client, "/")})
        assert r.status_code == 303


def test_posts_without_a_session_are_refused_before_the_body_is_read(portal_server: PortalServer) -> None:
    with httpx.Client(base_url=portal_server.url) as client:
        r = client.post("/logout", content=b"x" * 100)
        assert r.status_code == 401 and "请重新登录" in r.text


def test_an_oversized_body_is_refused_before_it_is_read(portal_server: PortalServer) -> None:
    with httpx.Client(base_url=portal_server.url) as client:
        r = client.post("/login", content=b"username=" + b"x" * 2_000_000,
                        headers={"content-type": "application/x-www-form-urlencoded"})
        assert r.status_code == 413


def test_repeated_failures_lock_the_username_even_for_the_right_password(portal_server: PortalServer) -> None:
    create_user(portal_server.service.db, "lockout-probe", DEMO_PASSWORD, "operator", at=portal_server.clock())
    policy = portal_server.app.state.security.login
    with httpx.Client(base_url=portal_server.url, timeout=30) as client:
        for _ in range(policy.account_max_failures):
            assert _sign_in(client, "lockout-probe", "guess").status_code == 401
        r = _sign_in(client, "lockout-probe")
        assert r.status_code == 429 and "锁定" in r.text and int(r.headers["retry-after"]) > 0
        assert client.cookies.get("szcg_session") is None


def test_cookies_are_secure_behind_https(portal_server: PortalServer) -> None:
    from portal.app import create_portal

    app = create_portal(portal_server.settings, config=PortalConfig(PORTAL_SECRET, https=True), migrate=False,
                        standards=portal_server.service.standards)
    with TestClient(app, base_url="https://portal.test") as client:
        page = client.get("/login")
        anon = page.headers["set-cookie"]
        assert "HttpOnly" in anon and "SameSite=lax" in anon and "Secure" in anon
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        r = client.post("/login", data={"username": "evaluator", "password": DEMO_PASSWORD, "csrf_token": token},
                        follow_redirects=False)
        session = next(v for v in r.headers.get_list("set-cookie") if v.startswith("szcg_session="))
        assert "HttpOnly" in session and "SameSite=lax" in session and "Secure" in session


def test_every_vendored_asset_is_pinned_by_the_lock_file() -> None:
    lines = [line.split("\t") for line in (STATIC / "assets.lock").read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    pinned = {name: sha for name, _version, _source, sha in lines}
    vendored = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (STATIC / "vendor").iterdir()}
    assert vendored == pinned
    assert pinned, "the portal vendors htmx"

"""An outsider's inputs: text that is not text, numbers that are not numbers, instants without a date, and
bodies too large to hold. Each is refused with a 4xx that names the field and never repeats the input."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from fastapi.testclient import TestClient

from casework import workflow as wf
from tests.casework.conftest import Env
from tests.casework.paths import case_in

SECRET = "hunter2-Geheim-密码"


@pytest.fixture(scope="module")
def raw(env: Env) -> TestClient:
    """The same app, answering 500s instead of raising them (as a server does)."""
    return TestClient(env.client.app, raise_server_exceptions=False)


def post_json(client: TestClient, path: str, text: str, headers: dict[str, str] | None = None) -> Any:
    return client.post(path, content=text.encode(), headers={"Content-Type": "application/json", **(headers or {})})


def test_a_lone_surrogate_anywhere_in_a_body_is_refused_not_a_server_error(env: Env, raw: TestClient) -> None:
    case = case_in(env, wf.State.reported)
    attempts = [
        ("/auth/token", '{"username": "\\ud800", "password": "x"}', {}),
        ("/auth/token", '{"username": "operator", "password": "pw\\udfff"}', {}),
        ("/cases", '{"kind": "event", "subclass_code": "01001", "description": "井盖\\ud83d"}', env.h("supervisor")),
        ("/cases", '{"kind": "event", "subclass_code": "\\udc00"}', env.h("supervisor")),
        (f"/cases/{case['id']}/transitions",
         f'{{"action": "accept", "expected_version": {case["version"]}, "comment": "\\ud800"}}', env.h("operator")),
        ("/users", '{"username": "x", "password": "12345678", "role": "operator", "\\ud800": 1}', env.h("admin")),
    ]
    for path, body, headers in attempts:
        r = post_json(raw, path, body, headers)
        assert r.status_code == 422, (path, r.status_code, r.text)
        assert r.json()["code"] == "invalid_request" and "surrogate" in r.json()["message"]
    assert env.case(case["id"])["version"] == case["version"]  # nothing was written


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_nan_and_infinity_are_not_numbers(env: Env, raw: TestClient, number: str) -> None:
    r = post_json(raw, "/cases", f'{{"kind": "event", "subclass_code": "01001", "lat": {number}, "lon": 112.4}}',
                  env.h("supervisor"))
    assert r.status_code == 422, r.text
    case = case_in(env, wf.State.handling)
    r = post_json(raw, f"/cases/{case['id']}/transitions",
                  f'{{"action": "request_extension", "expected_version": {case["version"]}, "hours": {number}}}',
                  env.h("water"))
    assert r.status_code == 422, r.text


def test_a_rejected_password_is_neither_answered_nor_logged(env: Env, raw: TestClient,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for body in ({"username": ["operator"], "password": SECRET}, {"username": "operator", "password": [SECRET]},
                 {"username": "operator", "password": SECRET * 40}):  # too long
        r = raw.post("/auth/token", json=body)
        assert r.status_code == 422, r.text
        assert SECRET not in r.text and "input" not in r.json()["detail"]["errors"][0]
        assert r.json()["detail"]["errors"][0]["loc"][-1] in ("username", "password", "0")
    assert not [rec for rec in caplog.records if SECRET in rec.getMessage()]


def test_an_unusable_value_is_not_repeated_in_the_answer(env: Env, raw: TestClient) -> None:
    r = raw.post("/cases", json={"kind": "component", "subclass_code": "01001", "lat": 123456.789, "lon": 1},
                 headers=env.h("supervisor"))
    assert r.status_code == 422 and "123456.789" not in r.text and "body.lat" in r.json()["message"]
    r = raw.post("/cases/1/transitions", json={"action": "accept"}, headers={**env.h("operator"),
                                                                            "If-Match": '"²³"'.encode("latin-1")})  # type: ignore[dict-item]
    assert r.status_code == 422 and "²³" not in r.text


@pytest.mark.parametrize("params", [{"reported_to": "0001-01-01T00:00:00+14:00"},
                                    {"reported_from": "9999-12-31T23:59:59-12:00"}])
def test_instants_without_a_china_date_are_refused(env: Env, raw: TestClient, params: dict[str, str]) -> None:
    r = raw.get("/cases", params=params, headers=env.h("evaluator"))
    assert r.status_code == 422, r.text
    assert next(iter(params)) in r.json()["message"]


def test_versions_beyond_any_case_are_refused(env: Env, raw: TestClient) -> None:
    case = case_in(env, wf.State.reported)
    for version in (2**63, 2**31):
        r = raw.post(f"/cases/{case['id']}/transitions", json={"action": "accept", "expected_version": version},
                     headers=env.h("operator"))
        assert r.status_code == 422, r.text
        r = raw.post(f"/cases/{case['id']}/transitions", json={"action": "accept"},
                     headers={**env.h("operator"), "If-Match": f'"{version}"'})
        assert r.status_code == 422, r.text


def asgi_post(app: Any, path: str, chunks: int, chunk: bytes, declared: int | None) -> tuple[int, int]:
    """POST ``chunks`` × ``chunk`` straight to the ASGI app; → (status, chunks the app pulled)."""
    pulled = 0
    status = 0
    headers = [(b"content-type", b"application/json")]
    if declared is not None:
        headers.append((b"content-length", str(declared).encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"", "headers": headers,
             "client": ("203.0.113.9", 5000), "server": ("testserver", 80)}

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": chunk, "more_body": pulled < chunks}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    asyncio.run(app(scope, receive, send))
    return status, pulled


def test_a_huge_body_is_refused_before_it_is_read(env: Env) -> None:
    app = env.client.app
    mib = b"x" * 2**20
    # 200 MiB declared, no login: refused before a byte is pulled
    assert asgi_post(app, "/auth/token", 200, mib, declared=200 * 2**20) == (413, 0)
    assert asgi_post(app, "/cases", 200, mib, declared=200 * 2**20) == (413, 0)
    # the same streamed without a length: reading stops at the limit (1 MiB), 2 chunks of 200
    status, pulled = asgi_post(app, "/auth/token", 200, mib, declared=None)
    assert status == 413 and pulled <= 2
    status, pulled = asgi_post(app, "/attachments", 200, mib, declared=None)
    assert status == 401 and pulled == 0  # uploads: no token, nothing read

"""The published OpenAPI document, fuzzed with schemathesis in-process (ASGI): no input makes a server error.
Bounded: a few examples per operation, an admin's token on every call (so the handlers, not just the auth
check, see the generated input). Then the same operations with an outsider's poison put into what schemathesis
generated: lone surrogates, NaN and ±Infinity, integers beyond 64 bits and instants without a date in China."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from casework.deadlines import CaseStandards
from casework.security import load_security
from tests.casework.conftest import make_env

# Revoking operations last (or never, for the poison): they may revoke the admin token every call is made with.
REVOKING = ("/auth/logout", "/users/{username}/revoke-tokens")
BODY_POISON: list[Any] = ["\ud800", "井盖\udfff", {"\udc00": 1}, ["\ud83d"], float("nan"), float("inf"),
                          float("-inf"), 2**63, -(2**63) - 1, 2**64, 10**40, 1e308]
TEXT_POISON = ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "10000-01-01T00:00:00", str(2**63),
               str(-(2**63) - 1), str(2**64), "1e999", "NaN", "Infinity", "-0", "\U0010ffff", "０１２"]


@pytest.fixture(scope="module")
def fuzz_env(standards: CaseStandards, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    tmp = tmp_path_factory.mktemp("fuzz")
    # no login delays: thousands of generated failed logins would otherwise wait (the lockout stays on)
    quick = load_security().model_copy(update={"login": load_security().login.model_copy(
        update={"delay_seconds_per_failure": 0.0})})
    env = make_env(f"sqlite:///{tmp / 'casework.sqlite'}", standards, tmp, datetime(2026, 11, 23, 9, 0),
                   security=quick)
    env.report()  # something to read and transition
    yield env
    env.client.app.state.service.db.dispose()  # type: ignore[attr-defined]


def operations(app: Any) -> list[Any]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    found = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(found) >= 15
    return sorted(found, key=lambda op: op.path in REVOKING)


def test_no_generated_request_causes_a_server_error(fuzz_env: Any) -> None:
    # schemathesis' pytest plugin does not load under pytest 9; drive its strategies with hypothesis directly.
    for operation in operations(fuzz_env.client.app):

        @given(case=operation.as_strategy())
        @settings(max_examples=4, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def fuzz(case: Any) -> None:
            case.call_and_validate(headers=fuzz_env.h("admin"), checks=[not_a_server_error])

        fuzz()


def _parameters(doc: dict[str, Any], path: str, method: str) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {"query": [], "path": []}
    for p in doc["paths"][path][method.lower()].get("parameters", []):
        if p["in"] in found:
            found[p["in"]].append(p)
    return found


def poisoned(raw: TestClient, headers: dict[str, str], operation: Any, params: dict[str, list[dict[str, Any]]],
             sent: list[int]) -> Any:
    """A hypothesis test: one schemathesis case of ``operation`` with one poison in its body, query or path."""

    @given(case=operation.as_strategy(), data=st.data())
    @settings(max_examples=12, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def fuzz(case: Any, data: st.DataObject) -> None:
        query = dict(case.query or {})
        path_values = dict(case.path_parameters or {})
        body = case.body
        where = data.draw(st.sampled_from(["body", "query", "path"]))
        if where == "query" and params["query"]:
            name = data.draw(st.sampled_from([p["name"] for p in params["query"]]))
            query[name] = data.draw(st.sampled_from(TEXT_POISON))
        elif where == "path" and params["path"]:
            name = data.draw(st.sampled_from([p["name"] for p in params["path"]]))
            path_values[name] = data.draw(st.sampled_from([*TEXT_POISON[3:6], "-1"]))
        elif isinstance(body, dict):
            keys = sorted(body) or ["comment"]
            body = {**body, data.draw(st.sampled_from(keys)): data.draw(st.sampled_from(BODY_POISON))}
        path = operation.path
        for name, value in path_values.items():
            path = path.replace("{" + name + "}", str(value))
        sending = dict(headers)
        content = None
        if case.media_type and "json" in case.media_type and body is not None:
            content = json.dumps(body, allow_nan=True).encode()  # ASCII escapes: \ud800 travels as JSON
            sending["Content-Type"] = "application/json"
        elif isinstance(body, bytes):
            content = body
            sending["Content-Type"] = case.media_type or "application/octet-stream"
        r = raw.request(operation.method.upper(), path, params=query, content=content, headers=sending)
        assert r.status_code < 500, (operation.method, operation.path, query, r.status_code, r.text[:300])
        sent.append(r.status_code)

    return fuzz


def test_poisoned_requests_cause_no_server_error(fuzz_env: Any) -> None:
    raw = TestClient(fuzz_env.client.app, raise_server_exceptions=False)
    doc = raw.get("/openapi.json").json()
    sent: list[int] = []
    for operation in operations(fuzz_env.client.app):
        if operation.path not in REVOKING:
            poisoned(raw, fuzz_env.h("admin"), operation, _parameters(doc, operation.path, operation.method), sent)()
    assert len(sent) >= 150


def test_the_openapi_document_is_published(fuzz_env: Any) -> None:
    doc = fuzz_env.client.get("/openapi.json").json()
    assert {"/cases", "/cases/{case_id}/transitions", "/events", "/tasks", "/open311/v2/requests.json"} <= set(
        doc["paths"])
    assert "EventOut" in doc["components"]["schemas"]

"""The published OpenAPI document, fuzzed with schemathesis in-process (ASGI): no input makes a server error.
Bounded: a few examples per operation, an admin's token on every call (so the handlers, not just the auth
check, see the generated input)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from casework.deadlines import CaseStandards
from tests.casework.conftest import make_env


@pytest.fixture(scope="module")
def fuzz_env(standards: CaseStandards, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    tmp = tmp_path_factory.mktemp("fuzz")
    env = make_env(f"sqlite:///{tmp / 'casework.sqlite'}", standards, tmp, datetime(2026, 11, 23, 9, 0))
    env.report()  # something to read and transition
    yield env
    env.client.app.state.service.db.dispose()  # type: ignore[attr-defined]


def test_no_generated_request_causes_a_server_error(fuzz_env: Any) -> None:
    # schemathesis' pytest plugin does not load under pytest 9; drive its strategies with hypothesis directly.
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_env.client.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    # Revoking operations last: they may revoke the admin token every other call is made with.
    operations.sort(key=lambda op: op.path in ("/auth/logout", "/users/{username}/revoke-tokens"))
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=4, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def fuzz(case: Any) -> None:
            case.call_and_validate(headers=fuzz_env.h("admin"), checks=[not_a_server_error])

        fuzz()


def test_the_openapi_document_is_published(fuzz_env: Any) -> None:
    doc = fuzz_env.client.get("/openapi.json").json()
    assert {"/cases", "/cases/{case_id}/transitions", "/events", "/tasks", "/open311/v2/requests.json"} <= set(
        doc["paths"])
    assert "EventOut" in doc["components"]["schemas"]

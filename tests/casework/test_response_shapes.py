"""The hot endpoints render their JSON directly (no response-model validation pass, see ``FastJSON``): check
every such body against the model the OpenAPI document declares for it, strictly (no extra or missing field,
exact types), so the published schema and the bytes on the wire cannot drift apart."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, TypeAdapter

from casework import workflow as wf
from casework.api import schemas
from tests.casework.conftest import Env
from tests.casework.paths import case_in


def strict(model: Any, body: Any) -> None:
    """Validate ``body`` against ``model`` and require the round trip to give back exactly the same JSON."""
    adapter = TypeAdapter(model)
    parsed = adapter.validate_python(body)
    assert adapter.dump_python(parsed, mode="json") == body
    if isinstance(parsed, BaseModel):
        assert set(body) == set(type(parsed).model_fields)


def test_directly_rendered_bodies_match_their_declared_models(env: Env) -> None:
    r = env.client.post("/cases", headers=env.h("supervisor"), json={
        "kind": "component", "subclass_code": "01001", "grid_code": "140602001001001", "lat": 39.331,
        "lon": 112.431})
    assert r.status_code == 201
    strict(schemas.ReportOut, r.json())
    case = case_in(env, wf.State.handling)
    r = env.client.post(f"/cases/{case['id']}/transitions", headers=env.h("water"),
                        json={"action": "request_extension", "expected_version": case["version"], "hours": 8})
    assert r.status_code == 200
    strict(schemas.TransitionOut, r.json())
    assert r.json()["case"]["pending"] == {"type": "extension", "hours": 8.0, "by": "water"}
    detail = env.client.get(f"/cases/{case['id']}", headers=env.h("evaluator"))
    strict(schemas.CaseDetailOut, detail.json())
    strict(list[schemas.EventOut], env.client.get(f"/cases/{case['id']}/events", headers=env.h("admin")).json())
    strict(schemas.CaseListOut, env.client.get("/cases", params={"limit": 5}, headers=env.h("evaluator")).json())
    strict(schemas.TaskListOut, env.client.get("/tasks", headers=env.h("leader")).json())
    strict(schemas.FeedOut, env.client.get("/events", params={"limit": 50}, headers=env.h("evaluator")).json())

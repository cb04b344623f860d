"""How to bring a case into each state through the API (shared by the path tests)."""

from __future__ import annotations

from typing import Any

from casework import workflow as wf
from tests.casework.conftest import Env

# state -> (user, action, extra body) steps from a fresh supervisor report
PATH_TO: dict[wf.State, list[tuple[str, str, dict[str, Any]]]] = {}
_S = wf.State
_accept: list[tuple[str, str, dict[str, Any]]] = [("operator", "accept", {})]
_registered = [*_accept, ("leader", "register", {})]
_dispatched = [*_registered, ("dispatcher", "dispatch", {})]
_handling = [*_dispatched, ("water", "handle", {})]
_handled = [*_handling, ("water", "feedback", {})]
PATH_TO.update({
    _S.reported: [],
    _S.verifying: [("operator", "send_verify", {})],
    _S.accepted: _accept,
    _S.registered: _registered,
    _S.dispatched: _dispatched,
    _S.handling: _handling,
    _S.handled: _handled,
    _S.checked: [*_handled, ("supervisor", "check", {})],
    _S.closed: [*_handled, ("supervisor", "check", {}), ("leader", "close", {})],
    _S.rejected: [("operator", "reject", {})],
    _S.return_requested: [*_dispatched, ("water", "request_return", {})],
    _S.extension_requested: [*_handling, ("water", "request_extension", {"hours": 8})],
    _S.shelve_requested: [*_handling, ("water", "request_shelve", {})],
    _S.shelved: [*_handling, ("water", "request_shelve", {}), ("leader", "approve_shelve", {})],
    _S.void_requested: [*_registered, ("dispatcher", "request_void", {})],
    _S.voided: [*_registered, ("dispatcher", "request_void", {}), ("leader", "approve_void", {})],
})
assert set(PATH_TO) == set(wf.State)

# A user of each role with full visibility of the test cases (district 140602, department 14060014).
USER_OF_ROLE = {"supervisor": "supervisor", "operator": "operator", "shift_leader": "leader",
                "dispatcher": "dispatcher", "department": "water", "evaluator": "evaluator", "admin": "admin"}


def case_in(env: Env, state: wf.State, **report: Any) -> dict[str, Any]:
    case = env.report(**report)
    for user, action, body in PATH_TO[state]:
        case = env.act(user, case, action, **body)["case"]
    assert case["status"] == state.value
    return case

"""Walking the loop through the HTTP API, on SQLite and PostgreSQL: every transition of the table, every
illegal one refused with 409, wrong roles refused with 403, and the log replays to the case's state."""

from __future__ import annotations

import pytest

from casework import workflow as wf
from tests.casework.conftest import DEPARTMENT, GRID_SHUOCHENG, Env
from tests.casework.paths import USER_OF_ROLE, case_in
from tests.casework.test_attachments import PNG


def test_a_supervisor_report_goes_round_the_loop_to_close(env: Env) -> None:
    case = env.report()
    assert case["status"] == "reported" and case["source"] == "supervisor" and case["step"] == "accept"
    case = env.act("operator", case, "accept")["case"]
    case = env.act("leader", case, "register")["case"]
    out = env.act("dispatcher", case, "dispatch")
    assert out["case"]["department_code"] == DEPARTMENT  # the handbook's department for 01001
    assert out["event"]["department_code"] == DEPARTMENT
    case = env.act("water", out["case"], "handle")["case"]
    photo = env.client.post("/attachments", params={"filename": "after.png"}, headers=env.h("water"),
                            content=PNG + b"after" + str(case["id"]).encode())
    assert photo.status_code == 201, photo.text
    case = env.act("water", case, "feedback", comment="已更换井盖", attachments=[photo.json()["id"]])["case"]
    case = env.act("supervisor", case, "check")["case"]
    closed = env.act("leader", case, "close")
    assert closed["case"]["status"] == "closed" and closed["case"]["closed_at"]
    detail = env.case(case["id"])
    steps = [(e["from_state"], e["action"], e["to_state"]) for e in detail["events"]]
    assert wf.replay(steps) == wf.State.closed
    assert [e["case_version"] for e in detail["events"]] == list(range(1, 9))
    assert detail["events"][5]["attachments"] == [photo.json()["id"]]


def test_a_department_may_feed_back_without_signing_for_the_case_first(env: Env) -> None:
    case = case_in(env, wf.State.dispatched)
    out = env.act("water", case, "feedback")
    assert out["case"]["status"] == "handled" and out["event"]["step"] == "handle"


def test_a_hotline_report_is_verified_by_the_grids_supervisor_before_register(env: Env) -> None:
    case = env.report("operator", source="hotline")
    assert case["source"] == "hotline" and case["supervisor"] is None
    out = env.act("operator", case, "send_verify")
    assert out["case"]["supervisor"] == "supervisor"  # the one whose grids include the case's grid
    tasks = env.client.get("/tasks", headers=env.h("supervisor")).json()
    assert case["id"] in [t["case"]["id"] for t in tasks["items"]]
    other = env.client.get("/tasks", headers=env.h("supervisor2")).json()
    assert case["id"] not in [t["case"]["id"] for t in other["items"]]
    env.act("supervisor2", out["case"], "verify", expect=404)  # another district's 监督员 does not see it
    case = env.act("supervisor", out["case"], "verify")["case"]
    assert case["status"] == "accepted"


@pytest.mark.parametrize(("user", "state"), [("operator", "reported"), ("supervisor", "verifying"),
                                             ("leader", "accepted")])
def test_not_registering_a_case_rejects_it_at_accept_verify_or_register(env: Env, user: str, state: str) -> None:
    case = case_in(env, wf.State(state))
    out = env.act(user, case, "reject", comment="不属于城管范围")
    assert out["case"]["status"] == "rejected" and out["event"]["comment"] == "不属于城管范围"


def test_a_failed_check_sends_the_case_back_to_the_department_for_rework(env: Env) -> None:
    case = case_in(env, wf.State.handled)
    out = env.act("supervisor", case, "rework", comment="井盖仍松动")
    assert out["case"]["status"] == "handling" and out["case"]["step"] == "handle"
    case = env.act("water", out["case"], "feedback")["case"]
    assert env.act("supervisor", case, "check")["case"]["status"] == "checked"


def test_a_wrongly_dispatched_case_is_returned_and_dispatched_again(env: Env) -> None:
    case = case_in(env, wf.State.dispatched, subclass_code="01001")
    case = env.act("water", case, "request_return", comment="非本单位职责")["case"]
    out = env.act("dispatcher", case, "approve_return")
    assert out["case"]["status"] == "registered" and out["case"]["department_code"] is None
    assert out["event"]["data"]["returned_by"] == DEPARTMENT
    # the returning department no longer sees the case; the new one does after the re-dispatch
    assert env.client.get(f"/cases/{case['id']}", headers=env.h("water")).status_code == 404
    out = env.act("dispatcher", out["case"], "dispatch", department_code="14060003")
    assert env.client.get(f"/cases/{case['id']}", headers=env.h("sanitation")).status_code == 200
    # a denied return keeps the case with the department, which may also ask while handling
    case = case_in(env, wf.State.return_requested)
    case = env.act("leader", case, "deny_return")["case"]
    assert case["status"] == "handling"
    assert env.act("water", case, "request_return")["case"]["status"] == "return_requested"


def test_extension_moves_the_handling_deadline_and_is_recorded(env: Env) -> None:
    case = case_in(env, wf.State.handling)
    before = case["deadline_at"]
    case = env.act("water", case, "request_extension", hours=8, comment="等待配件")["case"]
    assert case["pending"]["hours"] == 8
    out = env.act("leader", case, "approve_extension", hours=4)
    assert out["case"]["status"] == "handling" and out["case"]["deadline_at"] > before
    assert out["event"]["data"]["deadline_before"] == before
    assert out["event"]["data"]["deadline_after"] == out["case"]["deadline_at"] == out["event"]["next_deadline_at"]
    assert out["event"]["data"]["hours"] == 4 and out["event"]["data"]["requested_hours"] == 8
    case = env.act("water", out["case"], "request_extension", hours=2)["case"]
    out = env.act("leader", case, "deny_extension")
    assert out["case"]["deadline_at"] == out["event"]["data"].get("deadline_after", out["case"]["deadline_at"])
    env.act("water", out["case"], "request_extension", expect=422)  # hours are required


def test_shelving_needs_approval_and_a_shelved_case_can_resume(env: Env) -> None:
    case = case_in(env, wf.State.shelve_requested)
    assert env.act("leader", case, "deny_shelve")["case"]["status"] == "handling"
    case = case_in(env, wf.State.shelved)
    assert case["step"] is None and case["deadline_at"] is None  # the clock stops while shelved
    out = env.act("leader", case, "unshelve")
    assert out["case"]["status"] == "handling" and out["case"]["deadline_at"] is not None


def test_voiding_needs_the_shift_leaders_approval(env: Env) -> None:
    case = case_in(env, wf.State.void_requested)
    assert env.act("leader", case, "deny_void")["case"]["status"] == "registered"
    case = case_in(env, wf.State.voided)
    assert case["closed_at"] is not None and case["allowed_actions"] == []


@pytest.mark.parametrize("state", list(wf.State), ids=[s.value for s in wf.State])
def test_every_action_the_table_does_not_allow_is_refused_with_409(env: Env, state: wf.State) -> None:
    case = case_in(env, state)
    for action in set(wf.Action) - set(wf.allowed_actions(state)):
        r = env.client.post(f"/cases/{case['id']}/transitions", headers=env.h("leader"),
                            json={"action": action.value, "expected_version": case["version"]})
        assert r.status_code == 409, (action, r.text)
        body = r.json()
        assert body["code"] == "illegal_transition"
        assert state.value in body["message"] and action.value in body["message"]
    after = env.case(case["id"])
    assert after["version"] == case["version"] and len(after["events"]) == case["version"]


def test_a_legal_action_by_the_wrong_role_is_refused_with_403(env: Env) -> None:
    for t in wf.TRANSITIONS:
        if t.source is None:
            continue
        wrong = next(r for r in ("evaluator", "admin", "operator", "department") if wf.Role(r) not in t.roles)
        case = case_in(env, t.source)
        r = env.client.post(f"/cases/{case['id']}/transitions", headers=env.h(USER_OF_ROLE[wrong]),
                            json={"action": t.action.value, "expected_version": case["version"], "hours": 1})
        assert r.status_code in (403, 404), r.text  # 404: a department does not see undispatched cases
        if r.status_code == 403:
            assert r.json()["code"] == "role_not_allowed"


def test_the_module_walked_every_transition_of_the_table(env: Env) -> None:
    """Runs last in this module: the feed holds every (state, action) of the table at least once."""
    seen, after = set(), 0
    while True:
        page = env.client.get("/events", params={"after": after, "limit": 1000}, headers=env.h("evaluator")).json()
        seen |= {(e["from_state"], e["action"]) for e in page["events"]}
        if not page["has_more"]:
            break
        after = page["next_cursor"]
    table = {(t.source.value if t.source else None, t.action.value) for t in wf.TRANSITIONS}
    assert table - seen == set()


def test_reports_name_what_is_wrong(env: Env) -> None:
    bad = {"kind": "component", "subclass_code": "99999", "grid_code": GRID_SHUOCHENG}
    r = env.client.post("/cases", json=bad, headers=env.h("supervisor"))
    assert r.status_code == 422 and r.json()["detail"]["field"] == "subclass_code"
    assert "99999" not in r.text  # named, not echoed
    r = env.client.post("/cases", json={"kind": "component", "subclass_code": "01001", "district_code": "110101"},
                        headers=env.h("supervisor"))
    assert r.status_code == 422 and r.json()["detail"]["field"] == "district_code" and "110101" not in r.text
    r = env.client.post("/cases", json={"kind": "component", "subclass_code": "01001"}, headers=env.h("leader"))
    assert r.status_code == 403 and r.json()["code"] == "role_not_allowed"

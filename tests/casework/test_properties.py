"""Property-based: random sequences of actions (legal and not, right and wrong users, clock moving on) never
break a case. After each sequence the event log replays to the case's state, every event has an actor,
versions count the events, and deadlines never lie before the moment they were set."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casework import workflow as wf
from tests.casework.conftest import USERS, Env
from tests.casework.paths import USER_OF_ROLE

ACTIONS = list(wf.Action)
USERNAMES = sorted(USERS)
step = st.tuples(st.integers(0, 10_000), st.booleans(), st.integers(0, 24 * 60), st.booleans())


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=1, max_size=14), start_minute=st.integers(0, 60 * 24 * 14))
def test_random_action_sequences_keep_every_invariant(env: Env, steps: list[tuple[int, bool, int, bool]],
                                                      start_minute: int) -> None:
    env.clock.at = datetime(2026, 9, 25, 7, 0) + timedelta(minutes=start_minute)
    case = env.report()
    for pick, follow_table, minutes, stale in steps:
        env.clock.advance(minutes=minutes)
        allowed = [t for t in wf.TRANSITIONS if t.source == wf.State(case["status"])]
        if follow_table and allowed:
            t = allowed[pick % len(allowed)]
            action, user = t.action, USER_OF_ROLE[sorted(r.value for r in t.roles)[0]]
        else:
            action, user = ACTIONS[pick % len(ACTIONS)], USERNAMES[pick % len(USERNAMES)]
        body: dict[str, Any] = {"action": action.value,
                                "expected_version": case["version"] - 1 if stale else case["version"]}
        if action in (wf.Action.request_extension, wf.Action.approve_extension) and pick % 3:
            body["hours"] = 1 + pick % 40
        r = env.client.post(f"/cases/{case['id']}/transitions", json=body, headers=env.h(user))
        assert r.status_code in (200, 403, 404, 409, 422), r.text
        if r.status_code == 200:
            assert not stale
            case = r.json()["case"]
        else:
            assert r.json()["code"]
    _check_invariants(env, case["id"])


def _check_invariants(env: Env, case_id: int) -> None:
    case = env.case(case_id)
    events = case["events"]
    assert wf.replay([(e["from_state"], e["action"], e["to_state"]) for e in events]) == wf.State(case["status"])
    assert all(e["actor"] and e["role"] for e in events)
    assert [e["case_version"] for e in events] == list(range(1, case["version"] + 1))
    ids = [e["id"] for e in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)
    for e in events:
        if e["next_deadline_at"]:
            assert e["next_deadline_at"] >= e["at"]
        if e["deadline_at"] and e["step_started_at"]:
            assert e["deadline_at"] >= e["step_started_at"]
        if e["action"] == "approve_extension" and "deadline_after" in e["data"]:
            assert e["data"]["deadline_after"] >= e["data"]["deadline_before"]
        if e["met"] is not None:
            assert e["met"] == (e["at"] <= e["deadline_at"])
            assert (e["overdue_multiple"] > 0) <= (not e["met"])
    if case["deadline_at"]:
        assert case["deadline_at"] >= case["step_started_at"]
    if wf.State(case["status"]) in wf.TERMINAL:
        assert case["closed_at"] and case["step"] is None

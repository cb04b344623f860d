"""The state machine on its own: the table is coherent and refuses everything it does not list."""

from __future__ import annotations

import pytest

from casework import workflow as wf
from standards.handbook import STEPS


def test_every_state_is_reachable_from_a_report_and_every_open_state_can_move_on() -> None:
    reached, frontier = set(), [wf.State.reported]
    while frontier:
        state = frontier.pop()
        if state in reached:
            continue
        reached.add(state)
        frontier += [t.target for t in wf.TRANSITIONS if t.source == state]
    assert reached == set(wf.State)
    for state in set(wf.State) - wf.TERMINAL:
        assert wf.allowed_actions(state), f"{state} is a dead end"
    for state in wf.TERMINAL:
        assert wf.allowed_actions(state) == []


def test_steps_and_clocks_come_from_the_handbook_steps() -> None:
    for t in wf.TRANSITIONS:
        assert t.completes is None or t.completes in STEPS
        assert t.clock.mode in ("start", "keep", "stop")
        assert (t.clock.step in STEPS) if t.clock.mode == "start" else t.clock.step is None
    # every step of the handbook is completed somewhere in the loop
    assert {t.completes for t in wf.TRANSITIONS if t.completes} == set(STEPS)


ILLEGAL = [(s, a) for s in wf.State for a in wf.Action if a not in wf.allowed_actions(s)]


@pytest.mark.parametrize(("state", "action"), ILLEGAL, ids=[f"{s.value}-{a.value}" for s, a in ILLEGAL])
def test_an_action_the_table_does_not_list_is_refused_naming_state_and_action(state: wf.State,
                                                                            action: wf.Action) -> None:
    for role in wf.Role:
        with pytest.raises(wf.WorkflowError) as caught:
            wf.transition_for(state, action, role)
        assert caught.value.code == "illegal_transition"
        assert state.value in str(caught.value) and action.value in str(caught.value)


def test_a_listed_action_by_the_wrong_role_is_refused_with_the_roles_it_needs() -> None:
    for t in wf.TRANSITIONS:
        for role in set(wf.Role) - t.roles:
            with pytest.raises(wf.WorkflowError) as caught:
                wf.transition_for(t.source, t.action, role)
            assert caught.value.code == "role_not_allowed"
            assert all(r.value in str(caught.value) for r in t.roles)


def test_replay_accepts_a_walk_of_the_table_and_rejects_a_forged_log() -> None:
    walk = [(None, "report", "reported"), ("reported", "accept", "accepted"), ("accepted", "register", "registered")]
    assert wf.replay(walk) == wf.State.registered
    with pytest.raises(wf.WorkflowError):
        wf.replay([(None, "report", "reported"), ("reported", "close", "closed")])
    with pytest.raises(wf.WorkflowError):
        wf.replay([(None, "report", "reported"), ("accepted", "register", "registered")])


def test_tasks_of_a_role_are_the_states_it_can_act_in() -> None:
    assert wf.waiting_states("operator") == {wf.State.reported}
    assert wf.waiting_states("supervisor") == {wf.State.verifying, wf.State.handled}
    assert wf.waiting_states("evaluator") == set()
    assert wf.State.extension_requested in wf.waiting_states("shift_leader")

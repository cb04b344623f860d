"""Deadlines from the 指挥手册 on the working calendar (standards.calendar): across a weekend, across the 2026
National Day holiday and its make-up Saturday, on natural time for urgent subclasses, and moved by 延期.
Each event keeps the deadline that applied and whether it was met."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from casework import workflow as wf
from tests.casework.conftest import Env
from tests.casework.paths import case_in


def _dispatched_at(env: Env, at: datetime, **report: Any) -> dict[str, Any]:
    env.clock.at = at
    return case_in(env, wf.State.dispatched, **report)


def test_handling_dispatched_on_friday_evening_is_due_on_monday_morning(env: Env) -> None:
    # 01001 供水井盖: 处置 4 working hours; Friday 17:00–18:00 counts one, Monday 08:00–11:00 the other three.
    case = _dispatched_at(env, datetime(2026, 11, 27, 17, 0))
    assert case["step"] == "handle" and case["deadline_at"] == "2026-11-30T11:00:00"
    env.clock.at = datetime(2026, 11, 30, 10, 30)
    event = env.act("water", case, "feedback")["event"]
    assert (event["step"], event["deadline_at"], event["met"], event["overdue_multiple"]) == \
        ("handle", "2026-11-30T11:00:00", True, 0.0)
    assert event["step_started_at"] == "2026-11-27T17:00:00" and event["limit_hours"] == 4.0
    assert event["limit_basis"] == "working"


def test_late_feedback_records_missed_deadline_and_overdue_multiple(env: Env) -> None:
    case = _dispatched_at(env, datetime(2026, 11, 27, 17, 0))
    env.clock.at = datetime(2026, 11, 30, 14, 0)  # 5 working hours used of 4: 超时倍数 0.25
    tasks = env.client.get("/tasks", headers=env.h("water")).json()
    mine = next(t for t in tasks["items"] if t["case"]["id"] == case["id"])
    assert mine["overdue"] is True and tasks["overdue"] >= 1
    event = env.act("water", case, "feedback")["event"]
    assert event["met"] is False and event["overdue_multiple"] == 0.25


def test_the_national_day_holiday_does_not_count(env: Env) -> None:
    # Wednesday 30 Sep 17:00: one hour that day, then 1–7 October are holidays; due Thursday 8 Oct 11:00.
    case = _dispatched_at(env, datetime(2026, 9, 30, 17, 0))
    assert case["deadline_at"] == "2026-10-08T11:00:00"
    # Friday 9 Oct 17:00: the make-up working Saturday 10 Oct counts.
    case = _dispatched_at(env, datetime(2026, 10, 9, 17, 0))
    assert case["deadline_at"] == "2026-10-10T11:00:00"


def test_an_approved_extension_moves_the_deadline_on_working_time(env: Env) -> None:
    case = _dispatched_at(env, datetime(2026, 9, 30, 17, 0))
    case = env.act("water", case, "handle")["case"]
    env.clock.at = datetime(2026, 10, 8, 9, 0)
    case = env.act("water", case, "request_extension", hours=4)["case"]
    out = env.act("leader", case, "approve_extension")
    assert out["event"]["data"]["deadline_before"] == "2026-10-08T11:00:00"
    assert out["case"]["deadline_at"] == "2026-10-08T17:00:00"  # 11–12 and 14–17
    env.clock.at = datetime(2026, 10, 8, 16, 0)
    event = env.act("water", out["case"], "feedback")["event"]
    assert event["deadline_at"] == "2026-10-08T17:00:00" and event["met"] is True
    assert event["limit_hours"] == 8.0  # the limit grew by the approved hours


def test_urgent_subclasses_run_on_natural_time_through_the_weekend(env: Env, standards: Any) -> None:
    urgent = next(r for r in standards.handbook.rules()
                  if r.limits["handle"].basis == "natural" and r.kind == "component")
    case = _dispatched_at(env, datetime(2026, 11, 27, 17, 0), subclass_code=urgent.subclass_code)
    hours = urgent.limits["handle"].hours
    due = datetime.fromisoformat(case["deadline_at"])
    assert (due - datetime(2026, 11, 27, 17, 0)).total_seconds() == hours * 3600


def test_every_step_event_carries_the_deadline_that_applied(env: Env) -> None:
    env.clock.at = datetime(2026, 11, 24, 9, 0)
    case = case_in(env, wf.State.closed)
    events = env.case(case["id"])["events"]
    judged = [e for e in events if e["step"]]
    assert [e["step"] for e in judged] == ["accept", "register", "dispatch", "handle", "check", "close"]
    for e in judged:
        assert e["deadline_at"] and e["met"] is True and e["overdue_multiple"] == 0.0
    started = [e for e in events if e["next_step"]]
    assert all(e["next_deadline_at"] >= e["at"] for e in started)

"""Every case timeline is ordered and follows the workflow; people, deadlines and calendars agree."""

from __future__ import annotations

import itertools
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from synth.cases import TERMINAL_STATES, TRANSITIONS
from synth.replay import iter_case_actions
from synth.workcal import VectorCalendar, from_seconds, to_seconds


def test_timelines_are_ordered_and_follow_the_workflow(city_dir: Path) -> None:
    ev = pd.read_parquet(city_dir / "cases" / "case_events.parquet")
    cases = pd.read_parquet(city_dir / "cases" / "cases.parquet")
    assert cases["case_id"].is_unique
    assert set(ev["case_id"]) == set(cases["case_id"])
    ev = ev.sort_values(["case_id", "seq"])
    g = ev.groupby("case_id")
    assert (g["seq"].transform(lambda s: (s.diff().fillna(1) == 1).all())).all()
    assert (g["at"].diff().dropna() > pd.Timedelta(0)).all(), "a transition is not later than the one before"
    first = g.head(1)
    assert (first["action"] == "report").all() and first["from_state"].isna().all()
    prev_to = g["to_state"].shift(1)
    later = ev["seq"] > 1
    assert (ev.loc[later, "from_state"] == prev_to[later]).all(), "from_state must be the previous to_state"
    for action, (froms, to) in TRANSITIONS.items():
        rows = ev[ev["action"] == action]
        assert (rows["to_state"] == to).all(), action
        assert rows["from_state"].isin([f for f in froms if f is not None]).all() or froms == (None,), action
    last = g.tail(1).set_index("case_id")
    assert (cases.set_index("case_id")["status"] == last["to_state"].reindex(cases["case_id"])).all()
    assert not ev.loc[later & prev_to.isin(TERMINAL_STATES)].shape[0], "nothing may follow a terminal state"
    # every loop variant occurs
    assert {"void", "return", "extend", "shelve", "rework"} <= set(ev["action"])


def test_deadlines_and_met_flags_agree(city_dir: Path) -> None:
    ev = pd.read_parquet(city_dir / "cases" / "case_events.parquet")
    limited = ev[ev["step"].notna()]
    assert limited["deadline_at"].notna().all()
    assert (limited["met"] == (limited["at"] <= limited["deadline_at"])).all()
    feedback = ev[ev["action"] == "feedback"]  # 反馈 completes 处置 and carries its judgement
    assert (feedback["step"] == "handle").all() and ev.loc[ev["action"] == "handle", "met"].isna().all()
    assert 0.75 < feedback["met"].mean() < 0.97  # mostly on time, some overdue


def test_actors_are_people_of_the_right_role(city_dir: Path) -> None:
    ev = pd.read_parquet(city_dir / "cases" / "case_events.parquet")
    people = pd.read_csv(city_dir / "org" / "people.csv", dtype=str)
    role = people.set_index("person_id")["role"]
    assert ev["actor_id"].isin(role.index).all()
    assert (ev["actor_role"] == ev["actor_id"].map(role)).all()
    expected = {"accept": "operator", "verify": "supervisor", "register": "shift_leader", "dispatch": "dispatcher",
                "handle": "handler", "check": "supervisor", "close": "shift_leader", "void": "shift_leader"}
    for action, r in expected.items():
        assert (ev.loc[ev["action"] == action, "actor_role"] == r).all(), action
    # handlers belong to the department the case was dispatched to
    hd = ev[ev["action"] == "handle"]
    dept = people.set_index("person_id")["department_code"]
    assert (hd["actor_id"].map(dept) == hd["department_code"]).all()
    # supervisors verify and check in their own grids
    cases = pd.read_parquet(city_dir / "cases" / "cases.parquet").set_index("case_id")
    sg = pd.read_csv(city_dir / "org" / "supervisor_grids.csv", dtype=str).set_index("grid_code")["person_id"]
    chk = ev[ev["action"].isin(["verify", "check"])]
    assert (chk["actor_id"].to_numpy() == cases.loc[chk["case_id"], "grid_code"].map(sg).to_numpy()).all()


def test_sources_patterns_and_hotspots(city_dir: Path) -> None:
    cases = pd.read_parquet(city_dir / "cases" / "cases.parquet")
    share = cases["source"].value_counts(normalize=True)
    assert share.index[0] == "supervisor" and share["supervisor"] > 0.6
    assert set(share.index) == {"supervisor", "hotline", "public", "video", "leader"}
    per_grid = cases["grid_code"].value_counts()
    assert per_grid.iloc[: max(1, len(per_grid) // 10)].sum() > 0.2 * len(cases)  # hotspot grids
    weekday = cases["reported_at"].dt.day_of_week
    assert (weekday < 5).mean() > 5 / 7  # fewer cases at weekends
    assert cases.loc[cases["missed_by_supervisor"], "source"].isin(["hotline", "public"]).all()
    assert (cases.loc[cases["missed_by_supervisor"], "patrolled_at"]
            < cases.loc[cases["missed_by_supervisor"], "reported_at"]).all()
    comp = cases[cases["kind"] == "component"]
    truth = pd.read_parquet(city_dir / "census" / "components.parquet").set_index("OBJCODE")
    assert (truth.loc[comp["component_id"], "BGCODE"].to_numpy() == comp["grid_code"].to_numpy()).all()


def test_vector_calendar_matches_the_standards_calendar(standards_inputs: dict) -> None:
    cal = standards_inputs["calendar"]
    vc = VectorCalendar(cal, datetime(2026, 1, 1).date(), datetime(2027, 3, 1).date())
    rng = np.random.default_rng(3)
    starts = to_seconds(datetime(2026, 1, 1)) + rng.integers(0, 330 * 86400, 300)
    hours = rng.uniform(0.1, 120, 300)
    got = vc.add(starts, hours * 3600)
    want = [to_seconds(cal.add_working_hours(from_seconds(s), h)) for s, h in zip(starts, hours, strict=True)]
    assert np.abs(got - np.array(want)).max() <= 1


def test_replay_yields_api_actions_in_time_order(city_dir: Path) -> None:
    actions = list(iter_case_actions(city_dir, limit=500))
    assert len(actions) == 500
    assert all(a.at <= b.at for a, b in itertools.pairwise(actions))
    reports = [a for a in actions if a.action == "report"]
    assert reports and all(a.payload["grid_code"] and a.payload["source"] for a in reports)
    seen: set[str] = set()
    for a in actions:  # a case is created before anything else happens to it
        if a.action == "report":
            seen.add(a.case_id)
        else:
            assert a.case_id in seen


def test_deadlines_follow_the_handbook_on_the_working_calendar(city_dir: Path, standards_inputs: dict) -> None:
    """deadline_at = the city's calendar deadline from the previous transition, with the 指挥手册 limit."""
    ev = pd.read_parquet(city_dir / "cases" / "case_events.parquet").sort_values(["case_id", "seq"])
    cases = pd.read_parquet(city_dir / "cases" / "cases.parquet").set_index("case_id")
    # the 处置 clock runs from 派遣/返工 through 签收 (handle) to 反馈: a 反馈's clock started two events earlier
    ev["prev_at"] = ev.groupby("case_id")["at"].shift(1).where(ev["action"] != "feedback",
                                                                ev.groupby("case_id")["at"].shift(2))
    extended = set(ev.loc[ev["action"] == "extend", "case_id"])
    rows = ev[ev["step"].notna() & ~(ev["case_id"].isin(extended) & (ev["action"] == "feedback"))]
    rows = rows.sample(min(400, len(rows)), random_state=1)
    cal, handbook = standards_inputs["calendar"], standards_inputs["handbook"]
    for r in rows.itertuples():
        case = cases.loc[r.case_id]
        limit = handbook.rule_for(case["subclass_code"], case["kind"]).limits[r.step]
        want = cal.deadline(r.prev_at.to_pydatetime(), limit)
        assert abs((r.deadline_at.to_pydatetime() - want).total_seconds()) <= 1, (r.case_id, r.action)


def test_loop_variants_are_consistent(city_dir: Path) -> None:
    ev = pd.read_parquet(city_dir / "cases" / "case_events.parquet").sort_values(["case_id", "seq"])
    cases = pd.read_parquet(city_dir / "cases" / "cases.parquet").set_index("case_id")
    verified = set(ev.loc[ev["action"] == "verify", "case_id"])
    assert not verified & set(cases.index[cases["source"] == "supervisor"]), "supervisor reports need no 核实"
    # 回退 comes back from a wrong department and is re-dispatched elsewhere
    nxt = ev.groupby("case_id").shift(-1)
    ret = ev["action"] == "return"
    assert (nxt.loc[ret, "action"].dropna() == "dispatch").all()
    redispatched = ret & nxt["department_code"].notna()
    assert (nxt.loc[redispatched, "department_code"] != ev.loc[redispatched, "department_code"]).all()
    # 延期 moves the handling deadline later; 返工 re-dispatches to the same department
    ext = ev[ev["action"] == "extend"]
    assert (ext["deadline_at"] > ext["at"]).all()
    rw = ev["action"] == "rework"
    prev = ev.groupby("case_id").shift(1)
    assert (prev.loc[rw, "department_code"] == ev.loc[rw, "department_code"]).all()
    # counts in the case table agree with the transitions
    counts = ev.groupby(["case_id", "action"]).size().unstack(fill_value=0)
    for action, col in (("rework", "rework_count"), ("return", "return_count"), ("extend", "extend_count")):
        assert (counts[action].reindex(cases.index, fill_value=0) == cases[col]).all()
    closed = cases[cases["status"] == "closed"]
    assert (closed["closed_at"] > closed["reported_at"]).all()

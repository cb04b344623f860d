"""Who sees and does what: token login, district dispatchers, departments, read-only evaluators, admins."""

from __future__ import annotations

from casework import workflow as wf
from tests.casework.conftest import GRID_PINGLU, PASSWORD, Env
from tests.casework.paths import case_in


def test_nobody_writes_without_a_token_and_wrong_passwords_get_none(env: Env) -> None:
    r = env.client.post("/cases", json={"kind": "component", "subclass_code": "01001"})
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == "Bearer"
    r = env.client.post("/cases", json={"kind": "component", "subclass_code": "01001"},
                        headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401 and r.json()["code"] == "invalid_token"
    r = env.client.post("/auth/token", json={"username": "operator", "password": "wrong-password"})
    assert r.status_code == 401 and r.json()["code"] == "bad_credentials"
    assert env.client.get("/tasks").status_code == 401


def test_a_district_dispatcher_sees_and_dispatches_only_its_districts_cases(env: Env) -> None:
    shuocheng = case_in(env, wf.State.registered)
    pinglu = case_in(env, wf.State.registered, user="supervisor2", grid_code=GRID_PINGLU)
    assert pinglu["district_code"] == "140603"
    listed = env.client.get("/cases", params={"status": "registered", "limit": 500},
                            headers=env.h("dispatcher_sc")).json()
    ids = {c["id"] for c in listed["items"]}
    assert shuocheng["id"] in ids and pinglu["id"] not in ids
    assert all(c["district_code"] == "140602" for c in listed["items"])
    tasks = env.client.get("/tasks", headers=env.h("dispatcher_sc")).json()
    assert pinglu["id"] not in {t["case"]["id"] for t in tasks["items"]}
    assert env.client.get(f"/cases/{pinglu['id']}", headers=env.h("dispatcher_sc")).status_code == 404
    env.act("dispatcher_sc", pinglu, "dispatch", expect=404)
    out = env.act("dispatcher_pl", pinglu, "dispatch")
    # two-level dispatch: 平鲁区 has its own urban-management department, the handbook names the city's
    assert out["case"]["status"] == "dispatched"
    env.act("dispatcher_sc", shuocheng, "dispatch")


def test_a_department_sees_only_cases_dispatched_to_it(env: Env) -> None:
    mine = case_in(env, wf.State.dispatched)
    registered = case_in(env, wf.State.registered)
    listed = env.client.get("/cases", params={"limit": 500}, headers=env.h("water")).json()
    assert mine["id"] in {c["id"] for c in listed["items"]}
    assert all(c["department_code"] == "14060014" for c in listed["items"])
    assert env.client.get(f"/cases/{registered['id']}", headers=env.h("water")).status_code == 404
    assert env.client.get(f"/cases/{mine['id']}", headers=env.h("sanitation")).status_code == 404
    env.act("sanitation", mine, "handle", expect=404)
    tasks = env.client.get("/tasks", headers=env.h("water")).json()
    assert mine["id"] in {t["case"]["id"] for t in tasks["items"]}
    assert env.client.get("/tasks", headers=env.h("sanitation")).json()["total"] == 0 or all(
        t["case"]["department_code"] == "14060003"
        for t in env.client.get("/tasks", headers=env.h("sanitation")).json()["items"])


def test_an_evaluator_reads_everything_and_changes_nothing(env: Env) -> None:
    case = case_in(env, wf.State.reported)
    assert env.client.get(f"/cases/{case['id']}", headers=env.h("evaluator")).status_code == 200
    assert env.client.get("/events", headers=env.h("evaluator")).status_code == 200
    env.act("evaluator", case, "accept", expect=403)
    r = env.client.post("/cases", json={"kind": "component", "subclass_code": "01001"}, headers=env.h("evaluator"))
    assert r.status_code == 403
    assert env.client.get("/tasks", headers=env.h("evaluator")).json()["total"] == 0
    assert env.client.get("/events", headers=env.h("water")).status_code == 403


def test_only_an_admin_creates_users_and_a_new_user_can_log_in(env: Env) -> None:
    user = {"username": f"op-{env.backend}", "password": PASSWORD, "role": "operator", "display_name": "受理员甲"}
    assert env.client.post("/users", json=user, headers=env.h("leader")).status_code == 403
    r = env.client.post("/users", json=user, headers=env.h("admin"))
    assert r.status_code == 201 and "password" not in r.text and r.json()["role"] == "operator"
    assert env.client.post("/users", json=user, headers=env.h("admin")).status_code == 409
    token = env.client.post("/auth/token", json={"username": user["username"], "password": PASSWORD}).json()
    me = env.client.get("/users/me", headers={"Authorization": f"Bearer {token['access_token']}"}).json()
    assert me["username"] == user["username"] and token["role"] == "operator"
    dept = {"username": f"dept-{env.backend}", "password": PASSWORD, "role": "department"}
    assert env.client.post("/users", json=dept, headers=env.h("admin")).status_code == 422  # needs its code


def test_search_by_grid_area_subclass_status_and_period(env: Env) -> None:
    case = case_in(env, wf.State.accepted, user="supervisor2", grid_code=GRID_PINGLU)
    h = env.h("evaluator")
    for params in ({"grid_code": GRID_PINGLU}, {"area_code": GRID_PINGLU[:9]}, {"district_code": "140603"},
                   {"subclass_code": "01001", "status": "accepted"},
                   {"reported_from": "2000-01-01T00:00:00+08:00", "reported_to": "2100-01-01T00:00:00Z"}):
        found = env.client.get("/cases", params={**params, "limit": 500}, headers=h).json()
        assert case["id"] in {c["id"] for c in found["items"]}, params
    none = env.client.get("/cases", params={"area_code": "140621"}, headers=h).json()
    assert case["id"] not in {c["id"] for c in none["items"]}
    backwards = {"reported_from": "2030-01-01T00:00:00", "reported_to": "2020-01-01T00:00:00"}
    assert env.client.get("/cases", params=backwards, headers=h).status_code == 422


def test_a_district_dispatcher_cannot_send_a_case_to_another_districts_department(env: Env) -> None:
    shuocheng = case_in(env, wf.State.registered)
    r = env.act("dispatcher_sc", shuocheng, "dispatch", expect=422, department_code="14060301")  # 平鲁区城市管理局
    assert r["code"] == "department_out_of_district"
    env.act("dispatcher", shuocheng, "dispatch", expect=422, department_code="14060301")  # nor a city dispatcher
    out = env.act("dispatcher_sc", shuocheng, "dispatch", department_code="14060201")  # 朔城区城市管理局
    assert out["case"]["department_code"] == "14060201"


def test_only_a_supervisor_files_a_supervisor_report(env: Env) -> None:
    r = env.client.post("/cases", headers=env.h("operator"), json={
        "kind": "component", "subclass_code": "01001", "grid_code": GRID_PINGLU, "source": "supervisor"})
    assert r.status_code == 403 and r.json()["code"] == "source_not_allowed"
    assert env.report("operator", source="leader")["source"] == "leader"
    assert env.report("supervisor", source="hotline")["source"] == "supervisor"  # a 监督员's report is its own


def test_a_named_verifier_must_be_an_active_supervisor_of_the_cases_district(env: Env) -> None:
    case = env.report("operator", source="hotline")  # 朔城区
    for name in ("nobody-at-all", "operator", "supervisor2"):  # no such user, not a 监督员, 平鲁区's 监督员
        r = env.act("operator", case, "send_verify", expect=422, supervisor=name)
        assert r["code"] == "not_a_supervisor_here" and name not in r["message"]
    assert env.case(case["id"])["version"] == case["version"]
    out = env.act("operator", case, "send_verify", supervisor="supervisor")
    env.act("supervisor", out["case"], "verify")


def test_a_supervisor_reads_its_own_district_and_its_own_reports_only(env: Env) -> None:
    """Decision: a 监督员 of a district reads that district's cases and those it reported or was assigned;
    another district's cases are not its business (patrol data of a district stays with that district)."""
    pinglu = case_in(env, wf.State.reported, user="supervisor2", grid_code=GRID_PINGLU)
    mine_elsewhere = case_in(env, wf.State.reported, grid_code=GRID_PINGLU)  # reported by 朔城区's supervisor
    shuocheng = case_in(env, wf.State.reported)
    assert env.client.get(f"/cases/{pinglu['id']}", headers=env.h("supervisor")).status_code == 404
    assert env.client.get(f"/cases/{pinglu['id']}/events", headers=env.h("supervisor")).status_code == 404
    assert env.client.get(f"/cases/{mine_elsewhere['id']}", headers=env.h("supervisor")).status_code == 200
    listed = {c["id"] for c in env.client.get("/cases", params={"limit": 500}, headers=env.h("supervisor")).json()[
        "items"]}
    assert shuocheng["id"] in listed and mine_elsewhere["id"] in listed and pinglu["id"] not in listed
    assert env.client.get(f"/cases/{shuocheng['id']}", headers=env.h("evaluator")).status_code == 200

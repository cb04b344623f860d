"""Open311 GeoReport v2: a hotline system submits and follows reports; nearby same-subclass reports within
24 h are suggested as duplicates."""

from __future__ import annotations

from datetime import datetime

from tests.casework.conftest import Env

SHUOZHOU = (39.3316, 112.4329)  # 朔城区, WGS84
NEAR = (39.3319, 112.4329)  # about 33 m north
FAR = (39.3330, 112.4329)  # about 156 m north


def _submit(env: Env, at: tuple[float, float], code: str = "component:01001", **extra: str) -> dict:
    form = {"api_key": env.api_key, "service_code": code, "lat": str(at[0]), "long": str(at[1]),
            "description": "井盖缺失", "address_string": "朔州市朔城区开发北路", **extra}
    r = env.client.post("/open311/v2/requests.json", data=form)
    assert r.status_code == 201, r.text
    return r.json()[0]  # type: ignore[no-any-return]


def test_services_list_the_catalogue_with_kind_qualified_codes(env: Env) -> None:
    services = env.client.get("/open311/v2/services.json").json()
    codes = {s["service_code"] for s in services}
    assert "component:01001" in codes and len(services) == len(env.standards.catalogue.subclasses)
    water = next(s for s in services if s["service_code"] == "component:01001")
    assert water["service_name"] == "供水井盖" and water["description"]


def test_a_hotline_report_enters_the_loop_and_can_be_followed(env: Env) -> None:
    env.clock.at = datetime(2026, 11, 25, 10, 0)
    created = _submit(env, SHUOZHOU, **{"attribute[grid_code]": "140602001001001"})
    rid = created["service_request_id"]
    case = env.case(int(rid))
    assert case["status"] == "reported" and case["source"] == "hotline" and case["reporter"] == "open311:hotline-12345"
    assert case["district_code"] == "140602" and case["events"][0]["role"] == "public"
    followed = env.client.get(f"/open311/v2/requests/{rid}.json").json()[0]
    assert followed["status"] == "open" and followed["service_code"] == "component:01001"
    assert followed["requested_datetime"] == "2026-11-25T10:00:00+08:00"
    listed = env.client.get("/open311/v2/requests.json", params={"service_request_id": rid}).json()
    assert [x["service_request_id"] for x in listed] == [rid]
    closed = env.client.get("/open311/v2/requests.json", params={"service_request_id": rid, "status": "closed"})
    assert closed.json() == []


def test_nearby_reports_of_the_same_subclass_within_a_day_are_suggested_as_duplicates(env: Env) -> None:
    env.clock.at = datetime(2026, 11, 26, 9, 0)
    first = _submit(env, SHUOZHOU)
    env.clock.at = datetime(2026, 11, 26, 15, 0)
    near = _submit(env, NEAR)
    assert int(first["service_request_id"]) in [d["case_id"] for d in near["duplicate_candidates"]]
    assert all(d["distance_m"] <= 50 for d in near["duplicate_candidates"])
    far = _submit(env, FAR)
    assert int(first["service_request_id"]) not in [d["case_id"] for d in far["duplicate_candidates"]]
    other_kind = _submit(env, NEAR, code="component:01002")
    assert other_kind["duplicate_candidates"] == []
    env.clock.at = datetime(2026, 11, 27, 16, 0)  # more than 24 h after the first
    late = _submit(env, SHUOZHOU)
    assert int(first["service_request_id"]) not in [d["case_id"] for d in late["duplicate_candidates"]]
    # the case view lists them too
    detail = env.case(int(near["service_request_id"]))
    assert int(first["service_request_id"]) in [d["case_id"] for d in detail["duplicate_candidates"]]


def test_intake_needs_a_valid_api_key_a_known_service_and_a_location(env: Env) -> None:
    form = {"api_key": "nope", "service_code": "component:01001", "lat": "39.3", "long": "112.4"}
    r = env.client.post("/open311/v2/requests.json", data=form)
    assert r.status_code == 403 and r.json()[0]["description"] == "api_key is not valid"
    r = env.client.post("/open311/v2/requests.json", data={**form, "api_key": env.api_key, "service_code": "x:1"})
    assert r.status_code == 404
    r = env.client.post("/open311/v2/requests.json",
                        data={"api_key": env.api_key, "service_code": "component:01001"})
    assert r.status_code == 400 and "location" in r.json()[0]["description"]
    assert env.client.get("/open311/v2/requests/999999.json").status_code == 404

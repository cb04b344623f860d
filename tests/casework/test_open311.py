"""Open311 GeoReport v2: a hotline system or a public app lists services, reads a definition, submits reports and
follows them, in XML (the spec's default) and JSON; nearby same-subclass reports within 24 h are pointed out;
the public reads only public fields; bad arguments get the spec's error documents, never a server error."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import quote_from_bytes

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casework import workflow as wf
from casework.api.open311 import STATUS_NOTES
from tests.casework.conftest import GRID_SHUOCHENG, Env
from tests.casework.open311_spec import items, spec_xml

SHUOZHOU = (39.3316, 112.4329)  # 朔城区, WGS84
NEAR = (39.3319, 112.4329)  # about 33 m north
FAR = (39.3330, 112.4329)  # about 156 m north
V2 = "/open311/v2"


def _submit(env: Env, at: tuple[float, float], code: str = "C01001", fmt: str = "json", **extra: str) -> dict:
    form = {"api_key": env.api_key, "service_code": code, "lat": str(at[0]), "long": str(at[1]),
            "description": "井盖缺失", "address_string": "朔州市朔城区开发北路", **extra}
    r = env.client.post(f"{V2}/requests.{fmt}", data=form)
    assert r.status_code == 201, r.text
    if fmt == "xml":
        return items(spec_xml(r.content, "service_requests"))[0]
    return r.json()[0]  # type: ignore[no-any-return]


def _error(r: object, status: int, fmt: str) -> str:
    """The description of a spec error document answered with ``status``."""
    assert r.status_code == status, r.text  # type: ignore[attr-defined]
    if fmt == "xml":
        assert r.headers["content-type"] == "text/xml; charset=utf-8"  # type: ignore[attr-defined]
        (error,) = items(spec_xml(r.content, "errors"))  # type: ignore[attr-defined]
    else:
        (error,) = r.json()  # type: ignore[attr-defined]
    assert int(error["code"]) == status
    return str(error["description"])


def test_services_are_the_catalogue_with_plain_unique_codes_in_both_formats(env: Env) -> None:
    services = env.client.get(f"{V2}/services.json").json()
    codes = [s["service_code"] for s in services]
    assert len(codes) == len(set(codes)) == len(env.standards.catalogue.subclasses)
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+", c) for c in codes)  # no colon for clients to escape
    water = next(s for s in services if s["service_code"] == "C01001")
    assert water["service_name"] == "供水井盖" and water["description"] and water["type"] == "realtime"
    assert next(s for s in services if s["service_code"] == "E01001")["service_name"] == "供水井盖异常"
    xml = env.client.get(f"{V2}/services.xml")
    assert xml.headers["content-type"] == "text/xml; charset=utf-8"
    listed = items(spec_xml(xml.content, "services"))
    assert [s["service_code"] for s in listed] == codes and listed[0]["metadata"] in ("true", "false")


def test_every_listed_service_has_a_definition_and_old_codes_still_work(env: Env) -> None:
    for code in [s["service_code"] for s in env.client.get(f"{V2}/services.json").json()][::40]:
        definition = env.client.get(f"{V2}/services/{code}.json")
        assert definition.status_code == 200 and definition.json()["service_code"] == code
        doc = spec_xml(env.client.get(f"{V2}/services/{code}.xml").content, "service_definition")
        assert doc.findtext("service_code") == code
    grid = env.client.get(f"{V2}/services/C01001.json").json()["attributes"]
    assert [(a["code"], a["datatype"], a["required"]) for a in grid] == [("grid_code", "string", False)]
    # clients configured with the earlier codes keep working, and are told the new one
    assert env.client.get(f"{V2}/services/component:01001.json").json()["service_code"] == "C01001"
    assert env.client.get(f"{V2}/services/event:01001.json").json()["service_code"] == "E01001"
    assert "C01001 or E01001" in _error(env.client.get(f"{V2}/services/01001.xml"), 400, "xml")
    _error(env.client.get(f"{V2}/services/C99999.xml"), 404, "xml")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_hotline_report_enters_the_loop_and_can_be_followed(env: Env, fmt: str) -> None:
    env.clock.at = datetime(2026, 11, 25, 10, 0, 0, 250_000)
    created = _submit(env, SHUOZHOU, fmt=fmt, **{"attribute[grid_code]": GRID_SHUOCHENG})
    rid = created["service_request_id"]
    assert created["service_notice"].startswith(STATUS_NOTES[wf.State.reported])
    case = env.case(int(rid))
    assert case["status"] == "reported" and case["source"] == "hotline" and case["reporter"] == "open311:hotline-12345"
    assert case["district_code"] == "140602" and case["events"][0]["role"] == "public"
    r = env.client.get(f"{V2}/requests/{rid}.{fmt}")
    followed = items(spec_xml(r.content, "service_requests"))[0] if fmt == "xml" else r.json()[0]
    assert followed["status"] == "open" and followed["service_code"] == "C01001"
    assert followed["requested_datetime"] == "2026-11-25T10:00:00+08:00"  # to the second, as the spec writes it
    assert followed["status_notes"] == "已上报，待受理"
    listed = env.client.get(f"{V2}/requests.json", params={"service_request_id": rid}).json()
    assert [x["service_request_id"] for x in listed] == [rid]


def test_nearby_reports_of_the_same_subclass_within_a_day_are_pointed_out(env: Env) -> None:
    env.clock.at = datetime(2026, 11, 26, 9, 0)
    first = _submit(env, SHUOZHOU)["service_request_id"]
    env.clock.at = datetime(2026, 11, 26, 15, 0)
    near = _submit(env, NEAR)
    assert f"#{first}（" in near["service_notice"]  # the caller can be told it is already reported
    assert f"#{first}（" not in _submit(env, FAR)["service_notice"]
    assert "同类报告" not in _submit(env, NEAR, code="C01002")["service_notice"]
    env.clock.at = datetime(2026, 11, 27, 16, 0)  # more than 24 h after the first
    assert f"#{first}（" not in _submit(env, SHUOZHOU)["service_notice"]
    # the case view lists them with their distance
    detail = env.case(int(near["service_request_id"]))
    assert int(first) in [d["case_id"] for d in detail["duplicate_candidates"]]
    assert all(d["distance_m"] <= 50 for d in detail["duplicate_candidates"])


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_intake_needs_a_valid_api_key_a_known_service_and_a_location(env: Env, fmt: str) -> None:
    url = f"{V2}/requests.{fmt}"
    form = {"api_key": "nope", "service_code": "C01001", "lat": "39.3", "long": "112.4"}
    assert "api_key" in _error(env.client.post(url, data=form), 403, fmt)
    assert "api_key" in _error(env.client.post(url, data={**form, "api_key": ""}), 403, fmt)
    key = {**form, "api_key": env.api_key}
    assert "nope" not in _error(env.client.post(url, data={**key, "service_code": "nope"}), 404, fmt)
    assert "location" in _error(env.client.post(url, data={"api_key": env.api_key, "service_code": "C01001"}),
                                400, fmt)
    assert "lat" in _error(env.client.post(url, data={**key, "lat": "nan"}), 400, fmt)
    assert "long" in _error(env.client.post(url, data={**key, "long": "200"}), 400, fmt)
    assert "grid_code" in _error(env.client.post(url, data={**key, "attribute[grid_code]": "x"}), 400, fmt)
    # a NUL cannot be stored in PostgreSQL text (it was a 500 there) nor written in XML: refused as not text
    assert "description" in _error(env.client.post(url, data={**key, "description": "井盖\x00缺失"}), 400, fmt)
    assert "address_string" in _error(env.client.post(url, data={**key, "address_string": "\x1b[31m"}), 400, fmt)
    # an argument the spec does not have is refused (nothing is silently dropped), named, not echoed
    refused = _error(env.client.post(url, data={**key, "attribute[colour]": "红色"}), 400, fmt)
    assert "attribute[colour]" in refused and "红色" not in refused
    assert "jurisdiction_id" in _error(env.client.post(url, data={**key, "jurisdiction_id": "x.gov"}), 404, fmt)
    # a field sent twice would lose one of its values: refused, named
    twice = f"api_key={env.api_key}&service_code=C01001&lat=39.3&long=112.4&description=a&description=b"
    assert "description" in _error(env.client.post(url, content=twice.encode(), headers={
        "content-type": "application/x-www-form-urlencoded"}), 400, fmt)
    _error(env.client.get(f"{V2}/requests/999999.{fmt}"), 404, fmt)


def test_the_callers_contact_details_are_accepted_but_kept_nowhere(env: Env) -> None:
    created = _submit(env, SHUOZHOU, email="zhang@example.com", first_name="三", last_name="张",
                      phone="13912345678", device_id="d-1", account_id="a-1")
    assert created["account_id"] is None
    detail = env.case(int(created["service_request_id"]))
    assert not re.search("13912345678|zhang@example|张|d-1|a-1", repr(detail))


def test_the_public_reads_no_call_notes_no_staff_notes_and_no_reporter(env: Env) -> None:
    env.clock.at = datetime(2026, 11, 28, 9, 0)
    hotline = _submit(env, SHUOZHOU, description="我叫张三，电话 139 1234 5602，井盖没了",
                      address_string="开发北路 张三家门口")["service_request_id"]
    staff = env.report(description="监督员笔记：井盖缺失")["id"]
    for fmt in ("json", "xml"):
        r = env.client.get(f"{V2}/requests.{fmt}", params={"service_request_id": f"{hotline},{staff}"})
        body = r.content.decode()
        assert "张三" not in body and "5602" not in body and "监督员" not in body and "supervisor" not in body
        assert "hotline-12345" not in body and "open311:" not in body
    public = {r["service_request_id"]: r for r in env.client.get(
        f"{V2}/requests.json", params={"service_request_id": f"{hotline},{staff}"}).json()}
    assert public[hotline]["description"] == public[hotline]["address"] == public[str(staff)]["description"] == ""
    assert public[hotline]["lat"] == SHUOZHOU[0] and public[hotline]["media_url"] is None


def test_what_the_public_wrote_through_a_public_app_is_published_without_personal_data(env: Env) -> None:
    r = env.client.post("/api-clients", json={"name": "city-app", "source": "public"}, headers=env.h("admin"))
    assert r.status_code == 201, r.text
    form = {"api_key": r.json()["api_key"], "service_code": "E01001", "lat": "39.3316", "long": "112.4329",
            "description": "井盖被偷了，我叫李四，手机+8613912345604，身份证142601199001011234",
            "address_string": "开发北路12号 电话１３９１２３４５６０６"}
    created = env.client.post(f"{V2}/requests.xml", data=form)
    assert created.status_code == 201, created.text
    rid = items(spec_xml(created.content, "service_requests"))[0]["service_request_id"]
    for fmt in ("json", "xml"):
        body = env.client.get(f"{V2}/requests/{rid}.{fmt}").content.decode()
        assert "井盖被偷了" in body and "开发北路12号" in body  # the report itself is public
        assert not re.search("李四|5604|5606|１３９|1234", body)
        assert "[电话]" in body and "[身份证号]" in body and "[姓名]" in body


def test_status_notes_are_fixed_public_labels_for_every_state() -> None:
    assert set(STATUS_NOTES) == set(wf.State)


def test_the_requests_list_takes_the_specs_filters(env: Env) -> None:
    env.clock.at = datetime(2026, 11, 29, 9, 0)
    lamp = _submit(env, SHUOZHOU, code="C01001")["service_request_id"]
    litter = _submit(env, SHUOZHOU, code="E01001")["service_request_id"]

    def ids(**params: str) -> list[str]:
        r = env.client.get(f"{V2}/requests.json", params=params)
        assert r.status_code == 200, r.text
        return [x["service_request_id"] for x in r.json()]

    day = {"start_date": "2026-11-29T00:00:00+08:00", "end_date": "2026-11-29T23:59:59+08:00"}
    assert ids(**day)[:2] == [litter, lamp]  # newest first
    assert ids(**day, service_code="E01001") == [litter]
    assert set(ids(**day, service_code="C01001,event:01001")) == {lamp, litter}
    assert ids(**day, status="closed") == [] and ids(**day, status="open,closed")[:2] == [litter, lamp]
    # in UTC the same day starts eight hours earlier
    assert ids(start_date="2026-11-29T01:00:00Z", end_date="2026-11-29T02:00:00Z") == [litter, lamp]
    assert ids(start_date="2026-11-29T01:00:01Z", end_date="2026-11-29T02:00:00Z") == []
    # no dates: the last 90 days; ids override every other argument (the spec's rule)
    assert ids()[:2] == [litter, lamp]
    assert ids(service_request_id=lamp, status="closed", service_code="E01001") == [lamp]
    assert "90 days" in _error(env.client.get(f"{V2}/requests.json", params={
        "start_date": "2026-01-01T00:00:00Z", "end_date": "2026-11-29T00:00:00Z"}), 400, "json")
    assert "after" in _error(env.client.get(f"{V2}/requests.xml", params={
        "start_date": "2026-11-29T00:00:00Z", "end_date": "2026-11-28T00:00:00Z"}), 400, "xml")
    assert "status" in _error(env.client.get(f"{V2}/requests.xml", params={"status": "pending"}), 400, "xml")
    assert "service_code" in _error(env.client.get(f"{V2}/requests.xml", params={"service_code": "C99999"}),
                                    400, "xml")


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(("path", "params"), [
    ("requests/9223372036854775808", {}),  # above 2^63
    ("requests/18446744073709551616", {}),
    ("requests", {"service_request_id": "9223372036854775808"}),
    ("requests", {"service_request_id": "1,99999999999999999999999"}),
    ("requests", {"service_request_id": "²"}),  # a digit to str.isdigit(), not to int()
    ("requests", {"start_date": "9999-12-31T23:59:59-12:00"}),  # year 10000 in Beijing
    ("requests", {"end_date": "0001-01-01T00:00:00+14:00"}),  # year 0 in Beijing
    ("requests", {"start_date": "0001-01-01T00:00:00+14:00", "end_date": "0001-01-02T00:00:00Z"}),
    ("requests", {"start_date": "yesterday"}),
])
def test_out_of_range_ids_and_dates_get_the_specs_400_never_a_server_error(env: Env, fmt: str, path: str,
                                                                            params: dict[str, str]) -> None:
    description = _error(env.client.get(f"{V2}/{path}.{fmt}", params=params), 400, fmt)
    assert all(v not in description for v in params.values()) and "9223372036854775808" not in description


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_jurisdiction_id_is_accepted_when_it_is_this_city_and_refused_otherwise(env: Env, fmt: str) -> None:
    for jurisdiction in ("shuozhou.gov.cn", "140600", ""):
        for path in ("services", "services/C01001", "requests"):
            r = env.client.get(f"{V2}/{path}.{fmt}", params={"jurisdiction_id": jurisdiction})
            assert r.status_code == 200, (path, jurisdiction, r.text)
    assert "朔州市" in _error(env.client.get(f"{V2}/services.{fmt}", params={"jurisdiction_id": "sfgov.org"}),
                              404, fmt)


def test_discovery_names_the_endpoint_its_formats_changeset_and_contact(env: Env) -> None:
    for path in ("/open311/discovery", f"{V2}/discovery"):
        doc = env.client.get(f"{path}.json").json()
        (endpoint,) = doc["endpoints"]
        assert endpoint["url"] == "http://testserver/open311/v2"
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert endpoint["formats"] == ["text/xml", "application/json"] and endpoint["type"] == "production"
        assert doc["changeset"] == endpoint["changeset"] == "2026-12-07T00:00:00+08:00"
        assert "监督指挥中心" in doc["contact"] and doc["key_service"]
        xml = spec_xml(env.client.get(f"{path}.xml").content, "discovery")
        assert [f.text for f in xml.iter("format")] == endpoint["formats"]
        assert xml.findtext("contact") == doc["contact"]


def test_other_paths_and_methods_get_error_documents_too(env: Env) -> None:
    assert "discovery" in _error(env.client.get(f"{V2}/tokens/123.xml"), 404, "xml")
    _error(env.client.get(f"{V2}/nothing.json"), 404, "json")
    r = env.client.delete(f"{V2}/services.xml")
    _error(r, 405, "xml")
    assert r.headers["allow"] == "GET"


# --- whatever a client sends, the answer is a document of the spec, never a server error ----------------------------
_ARGUMENTS = ["service_request_id", "service_code", "start_date", "end_date", "status", "jurisdiction_id"]
_VALUES = st.one_of(
    st.text(max_size=24),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.builds(lambda d, tz: d.isoformat() + tz, st.datetimes(), st.sampled_from(["Z", "+14:00", "-12:00", ""])),
    st.sampled_from(["nan", "inf", "1e309", "-0", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00",
                     "C01001", "component:01001", "1,2,3", "open,closed"]),
)
_RAW = st.binary(max_size=16).map(quote_from_bytes)  # any bytes, lone-surrogate encodings included
_FUZZ = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                 suppress_health_check=list(HealthCheck))


def _is_spec_answer(r: Any, fmt: str, sent: list[str]) -> None:
    assert r.status_code < 500, r.text
    if r.status_code >= 400:
        description = _error(r, r.status_code, fmt)
        assert not [v for v in sent if len(v) >= 12 and v in description], description  # nothing echoed


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_no_query_makes_a_server_error(env: Env, fmt: str) -> None:
    @_FUZZ
    @given(params=st.dictionaries(st.sampled_from(_ARGUMENTS), _VALUES, max_size=4), raw=_RAW,
           path=st.sampled_from(["requests", "services", "requests/{v}", "services/{v}", "discovery"]))
    def query(params: dict[str, str], raw: str, path: str) -> None:
        url = f"{V2}/{path.format(v=raw or '1')}.{fmt}"
        _is_spec_answer(env.client.get(url, params=params), fmt, list(params.values()))
        _is_spec_answer(env.client.get(f"{url}?status={raw}&start_date={raw}"), fmt, [])

    query()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_no_report_form_makes_a_server_error(env: Env, fmt: str) -> None:
    fields = ["service_code", "lat", "long", "address_string", "description", "media_url", "attribute[grid_code]",
              "jurisdiction_id", "phone", "email"]

    @_FUZZ
    @given(form=st.dictionaries(st.sampled_from(fields), _VALUES, max_size=6), keyed=st.booleans(), raw=_RAW)
    def report(form: dict[str, str], keyed: bool, raw: str) -> None:
        data = {"service_code": "C01001", "lat": "39.3316", "long": "112.4329", **form}
        if keyed:
            data["api_key"] = env.api_key
        _is_spec_answer(env.client.post(f"{V2}/requests.{fmt}", data=data), fmt, list(form.values()))
        _is_spec_answer(env.client.post(f"{V2}/requests.{fmt}", content=f"api_key={raw}&lat={raw}".encode(),
                                        headers={"content-type": "application/x-www-form-urlencoded"}), fmt, [])

    report()


def test_a_city_open311_file_with_a_mistake_is_refused_naming_file_and_field(tmp_path: Any) -> None:
    from casework.api.open311_discovery import _load
    from szcg.errors import ConfigError

    path = tmp_path / "open311.yaml"
    path.write_text("contact: 12319\nchangeset: 2026-12-07\njurisdiction: shuozhou.gov.cn\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"open311\.yaml") as refused:
        _load(path, 0.0)
    assert "changeset" in str(refused.value) and "jurisdiction" in str(refused.value)

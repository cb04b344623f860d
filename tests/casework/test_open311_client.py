"""An unmodified GeoReport v2 client from PyPI (``georeport`` 0.3.1, written independently of szcg) lists the
services, reads a definition, and follows a hotline report through the whole loop to closed, in JSON and in XML,
against the service served over real HTTP by uvicorn."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import requests
import uvicorn
import xmltodict
from georeport import GeoReport

from tests.casework.conftest import GRID_SHUOCHENG, Env


@pytest.fixture(scope="module")
def endpoint(env: Env) -> Iterator[str]:
    """The module's case service on a free local port (the test client and the server share its database)."""
    server = uvicorn.Server(uvicorn.Config(env.client.app, host="127.0.0.1", port=0, lifespan="off",
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/open311/v2"
    server.should_exit = True
    thread.join(10)


def _listed(found: Any) -> list[dict[str, Any]]:
    """georeport returns XML lists as xmltodict gives them: one item alone is not in a list."""
    return found if isinstance(found, list) else [found]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unmodified_georeport_client_follows_a_hotline_report_to_closed(env: Env, endpoint: str,
                                                                          fmt: str) -> None:
    env.clock.at = datetime(2026, 12, 1, 9, 0)  # a Tuesday
    client = GeoReport(endpoint, jurisdiction="shuozhou.gov.cn", api_key=env.api_key, output_format=fmt)

    water = next(s for s in client.get_service_list() if s["service_code"] == "C01001")
    assert water["service_name"] == "供水井盖" and water["type"] == "realtime"
    attributes = client.get_service_definition("C01001")["attributes"]
    grid = attributes["attribute"] if fmt == "xml" else attributes[0]
    assert grid["code"] == "grid_code"

    # georeport 0.3.1 has no method that submits: the spec's form-encoded POST, as any client sends it
    r = requests.post(f"{endpoint}/requests.{fmt}", timeout=10, data={
        "api_key": env.api_key, "jurisdiction_id": "shuozhou.gov.cn", "service_code": "C01001",
        "lat": "39.3316", "long": "112.4329", "address_string": "朔州市朔城区开发北路",
        "description": "井盖缺失", f"attribute[{grid['code']}]": GRID_SHUOCHENG})
    assert r.status_code == 201, r.text
    rid = (r.json()[0] if fmt == "json" else xmltodict.parse(r.content)["service_requests"]["request"])[
        "service_request_id"]

    followed = client.get_service_request(rid)
    assert followed["status"] == "open" and followed["service_code"] == "C01001"
    assert followed["requested_datetime"] == "2026-12-01T09:00:00+08:00"

    case = env.case(int(rid))
    for user, action in [("operator", "send_verify"), ("supervisor", "verify"), ("leader", "register"),
                         ("dispatcher", "dispatch")]:
        env.clock.advance(minutes=5)
        case = env.act(user, case, action)["case"]
    dispatched = client.get_service_request(rid)
    assert dispatched["status"] == "open" and dispatched["agency_responsible"]
    for user, action in [("water", "handle"), ("water", "feedback"), ("supervisor", "check"), ("leader", "close")]:
        env.clock.advance(minutes=30)
        case = env.act(user, case, action)["case"]

    closed = client.get_service_request(rid)
    assert closed["status"] == "closed" and closed["status_notes"] == "已结案"
    assert closed["updated_datetime"] == "2026-12-01T11:20:00+08:00"
    day = {"start_date": "2026-12-01T00:00:00+08:00", "end_date": "2026-12-01T23:59:59+08:00"}
    assert rid in [x["service_request_id"] for x in _listed(client.get_service_requests(status="closed", **day))]


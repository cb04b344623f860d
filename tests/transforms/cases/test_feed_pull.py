"""The warehouse follows the case service through its change feed: every workflow action becomes one
core.case_event row (actor, role, deadline, met), exactly once — a re-pull changes nothing and a pull that dies
after page k resumes from its cursor."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from casework.accounts import create_user
from casework.app import create_app
from szcg.settings import Settings
from transforms.cases.feed_pull import FeedPage, HttpFeedClient, pull_feed, read_cursor
from warehouse.fingerprint import database_fingerprint
from warehouse.store import Warehouse

PASSWORD = "correct-horse-1"
GRID = "140602001001001"
USERS: dict[str, tuple[str, dict[str, Any]]] = {
    "supervisor": ("supervisor", {"district_code": "140602", "grid_codes": [GRID]}),
    "operator": ("operator", {}),
    "leader": ("shift_leader", {}),
    "dispatcher": ("dispatcher", {}),
    "water": ("department", {"department_code": "14060014"}),
    "evaluator": ("evaluator", {}),
}
LOOP = [("operator", "accept"), ("leader", "register"), ("dispatcher", "dispatch"), ("water", "feedback"),
        ("supervisor", "check"), ("leader", "close")]


class Service:
    """The real case service in-process, on its own SQLite file, with a clock the test moves."""

    def __init__(self, settings: Settings, tmp: Path) -> None:
        self.now = datetime(2026, 3, 2, 9, 0)  # a Monday
        app = create_app(replace(settings, casework_db_url=f"sqlite:///{tmp / 'casework.sqlite'}"),
                         now=lambda: self.now)
        for name, (role, extra) in USERS.items():
            create_user(app.state.service.db, name, PASSWORD, role, at=self.now, **extra)
        self.client = TestClient(app)
        self.tokens = {n: self.client.post("/auth/token", json={"username": n, "password": PASSWORD}).json()
                       ["access_token"] for n in USERS}

    def run_case(self, steps: int = len(LOOP)) -> int:
        r = self.client.post("/cases", headers=self._h("supervisor"), json={
            "kind": "component", "subclass_code": "01001", "grid_code": GRID, "description": "井盖缺失",
            "address": "开发区振华街 12 号", "lon": 112.4331, "lat": 39.3312})
        assert r.status_code == 201, r.text
        case = r.json()["case"]
        for user, action in LOOP[:steps]:
            self.now += timedelta(hours=3)
            r = self.client.post(f"/cases/{case['id']}/transitions", headers=self._h(user),
                                 json={"action": action, "expected_version": case["version"]})
            assert r.status_code == 200, r.text
            case = r.json()["case"]
        return int(case["id"])

    def feed(self) -> HttpFeedClient:
        return HttpFeedClient(token=self.tokens["evaluator"], client=self.client)

    def _h(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}


class DiesAfter:
    """The network (or the process) failing after ``pages`` pages were fetched: fault injection, not a mock."""

    def __init__(self, inner: HttpFeedClient, pages: int) -> None:
        self.inner, self.left = inner, pages

    def fetch(self, after: int, limit: int) -> FeedPage:
        if self.left == 0:
            raise ConnectionError("case service went away")
        self.left -= 1
        return self.inner.fetch(after, limit)


@pytest.fixture
def service(settings: Settings, tmp_path: Path) -> Service:
    svc = Service(settings, tmp_path)
    for steps in (6, 6, 6, 3, 0):  # three closed cases, one in the department's hands, one just reported
        svc.run_case(steps)
    return svc


def _rows(wh: Warehouse) -> dict[str, Any]:
    with wh.writer() as con:
        return {
            "events": con.execute("SELECT count(*) FROM core.case_event").fetchone(),
            "cases": con.execute('SELECT case_id, status, reported_at, closed_at, grid_code, district_code,'
                                 ' department_code FROM core."case" ORDER BY case_id').fetchall(),
            "fingerprint": database_fingerprint(con),
        }


def test_every_workflow_action_becomes_one_event_row_with_actor_role_and_deadline(
    wh: Warehouse, service: Service
) -> None:
    result = pull_feed(wh, service.feed(), page_size=4)
    assert (result.events_seen, result.events_loaded, result.pages) == (26, 26, 7)
    with wh.writer() as con:
        handle = con.execute(
            "SELECT actor_id, actor_role, action, step, deadline_at IS NOT NULL, deadline_met, limit_hours > 0"
            " FROM core.case_event WHERE case_id = 'casework:1' AND origin_action = 'feedback'").fetchone()
        closed = con.execute(
            'SELECT status, closed_at, reporter_id, grid_code, district_code, department_code, kind, subclass_code'
            " FROM core.\"case\" WHERE case_id = 'casework:1'").fetchone()
        seqs = con.execute("SELECT list(seq ORDER BY seq), list(action ORDER BY seq) FROM core.case_event"
                           " WHERE case_id = 'casework:1'").fetchone()
        reported = con.execute('SELECT description, address, lon, lat FROM core."case"'
                               " WHERE case_id = 'casework:1'").fetchone()
        pages = con.execute("SELECT count(*), sum(events) FROM landing.feed_page").fetchone()
        landed = con.execute("SELECT count(*) FROM landing.landed_file WHERE kind = 'casework_feed'").fetchone()
        cursor = read_cursor(con, "casework")
    assert handle == ("water", "department", "feedback", "handle", True, True, True)
    assert closed is not None and closed[0] == "closed" and closed[1] is not None
    assert closed[2:] == ("supervisor", GRID, "140602", "14060014", "component", "01001")
    assert reported == ("井盖缺失", "开发区振华街 12 号", 112.4331, 39.3312)  # what the 监督员 reported, via the feed
    assert seqs == ([1, 2, 3, 4, 5, 6, 7],
                    ["report", "accept", "register", "dispatch", "feedback", "check", "close"])
    assert pages == (7, 26) and landed == (7,)
    assert cursor == 26


def test_a_repull_of_the_same_range_changes_nothing(wh: Warehouse, service: Service) -> None:
    pull_feed(wh, service.feed(), page_size=4)
    before = _rows(wh)
    again = pull_feed(wh, service.feed(), page_size=4)  # from the stored cursor: nothing new
    assert again.events_seen == 0
    replay = pull_feed(wh, service.feed(), page_size=4, from_cursor=0)  # the whole range once more
    assert (replay.events_seen, replay.events_loaded, replay.events_already_present) == (26, 0, 26)
    assert _rows(wh) == before


def test_a_pull_that_dies_after_page_k_resumes_from_its_cursor(wh: Warehouse, service: Service) -> None:
    with pytest.raises(ConnectionError):
        pull_feed(wh, DiesAfter(service.feed(), pages=3), page_size=4)
    with wh.writer() as con:
        assert read_cursor(con, "casework") == 12
        assert con.execute("SELECT count(*) FROM core.case_event").fetchone() == (12,)
    service.run_case(6)  # the service goes on meanwhile
    resumed = pull_feed(wh, service.feed(), page_size=4)
    assert resumed.cursor_before == 12 and resumed.events_loaded == 33 - 12

    clean = Warehouse(replace(wh.settings, data_dir=wh.settings.data_dir / "clean"))
    pull_feed(clean, service.feed(), page_size=4)
    got, want = _rows(wh), _rows(clean)
    assert got["cases"] == want["cases"] and got["events"] == want["events"] == (33,)
    for table in ("core.case", "core.case_event"):
        assert got["fingerprint"][table] == want["fingerprint"][table]


class ReissuedUnderNewIds:
    """A faulty feed that sends events already sent, under new ids (same case, same case version)."""

    def __init__(self, inner: HttpFeedClient) -> None:
        self.inner = inner

    def fetch(self, after: int, limit: int) -> FeedPage:
        page = self.inner.fetch(after, limit)
        return FeedPage([{**e, "id": int(e["id"]) + 1000} for e in page.events], page.next_cursor, page.has_more)


def test_an_event_reissued_under_a_new_id_is_quarantined_not_doubled(wh: Warehouse, service: Service) -> None:
    """core.case_event has no key (migration 0050): the pull itself refuses a second event at the same place of a
    case's log, whatever its id."""
    pull_feed(wh, service.feed(), page_size=4)
    before = _rows(wh)
    replay = pull_feed(wh, ReissuedUnderNewIds(service.feed()), page_size=4, from_cursor=0, feed="faulty")
    assert (replay.events_seen, replay.events_loaded, replay.events_quarantined) == (26, 0, 26)
    after = _rows(wh)
    assert after["events"] == before["events"] and after["cases"] == before["cases"]
    for table in ("core.case", "core.case_event"):
        assert after["fingerprint"][table] == before["fingerprint"][table]
    with wh.writer() as con:
        rules = con.execute("SELECT rule, field, count(*) FROM quarantine.rejected_row GROUP BY ALL").fetchall()
    assert rules == [("duplicate_seq", "case_version", 26)]


def test_an_approved_extension_reaches_the_warehouse_with_the_deadline_it_set(
    wh: Warehouse, settings: Settings, tmp_path: Path
) -> None:
    """The evaluation judges a case still open after a 延期 on the deadline recorded on the approved 延期."""
    svc = Service(settings, tmp_path)
    case_id = svc.run_case(3)  # accepted, registered, dispatched to the water company
    version = 4
    for user, body in (("water", {"action": "handle"}), ("water", {"action": "request_extension", "hours": 8}),
                       ("leader", {"action": "approve_extension"})):
        svc.now += timedelta(hours=1)
        r = svc.client.post(f"/cases/{case_id}/transitions", headers=svc._h(user),
                            json={**body, "expected_version": version})
        assert r.status_code == 200, r.text
        version = r.json()["case"]["version"]
        deadline = r.json()["case"]["deadline_at"]
    pull_feed(wh, svc.feed(), page_size=50)
    with wh.writer() as con:
        row = con.execute("SELECT deadline_at, deadline_met FROM core.case_event WHERE case_id = ?"
                          " AND action = 'extend' AND outcome = 'approved'", [f"casework:{case_id}"]).fetchone()
    assert row == (datetime.fromisoformat(deadline), None)  # the deadline in force, no judgement (nothing completed)

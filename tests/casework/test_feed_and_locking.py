"""The change feed never skips an event, even with concurrent writers; stale versions are refused (409)."""

from __future__ import annotations

import threading
from typing import Any

from casework import workflow as wf
from tests.casework.conftest import Env
from tests.casework.paths import case_in


def _all_events(env: Env, after: int = 0, limit: int = 50) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while True:
        page = env.client.get("/events", params={"after": after, "limit": limit}, headers=env.h("evaluator")).json()
        out += page["events"]
        after = page["next_cursor"]
        if not page["has_more"]:
            return out


def test_the_feed_pages_in_strictly_increasing_cursor_order_with_what_the_warehouse_needs(env: Env) -> None:
    case_in(env, wf.State.closed)
    events = _all_events(env, limit=7)
    ids = [e["id"] for e in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids) and ids == list(range(ids[0], ids[0] + len(ids)))
    for e in events:
        assert e["actor"] and e["role"] and e["case_id"] and e["subclass_code"] and e["edition"] and e["source"]
        assert e["to_state"] and e["at"]
    last = events[-1]["id"]
    page = env.client.get("/events", params={"after": last}, headers=env.h("evaluator")).json()
    assert page == {"events": [], "next_cursor": last, "has_more": False}


def test_a_stale_version_is_refused_and_the_case_is_not_touched(env: Env) -> None:
    case = case_in(env, wf.State.reported)
    env.act("operator", case, "accept")
    r = env.client.post(f"/cases/{case['id']}/transitions", headers=env.h("operator"),
                        json={"action": "reject", "expected_version": case["version"]})
    assert r.status_code == 409 and r.json()["code"] == "stale_version"
    r = env.client.post(f"/cases/{case['id']}/transitions", headers={**env.h("leader"), "If-Match": '"1"'},
                        json={"action": "register"})
    assert r.status_code == 409 and r.json()["code"] == "stale_version"
    etag = env.client.get(f"/cases/{case['id']}", headers=env.h("leader")).headers["ETag"]
    r = env.client.post(f"/cases/{case['id']}/transitions", headers={**env.h("leader"), "If-Match": etag},
                        json={"action": "register"})
    assert r.status_code == 200 and r.headers["ETag"] == '"3"'
    r = env.client.post(f"/cases/{case['id']}/transitions", headers=env.h("dispatcher"), json={"action": "dispatch"})
    assert r.status_code == 428


def test_concurrent_writers_one_wins_per_version_and_a_polling_reader_sees_every_event(env: Env) -> None:
    start = _all_events(env)[-1]["id"]
    cases = [case_in(env, wf.State.reported) for _ in range(6)]
    results: list[int] = []
    seen: list[int] = []
    stop = threading.Event()

    def writer(case: dict[str, Any]) -> None:
        r = env.client.post(f"/cases/{case['id']}/transitions", headers=env.h("operator"),
                            json={"action": "accept", "expected_version": case["version"]})
        results.append(r.status_code)

    def reader() -> None:
        after = start
        while not stop.is_set():
            page = env.client.get("/events", params={"after": after, "limit": 3}, headers=env.h("evaluator")).json()
            seen.extend(e["id"] for e in page["events"])
            after = page["next_cursor"]
        page = env.client.get("/events", params={"after": after, "limit": 1000}, headers=env.h("evaluator")).json()
        seen.extend(e["id"] for e in page["events"])

    poller = threading.Thread(target=reader)
    poller.start()
    threads = [threading.Thread(target=writer, args=(c,)) for c in cases for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    poller.join()
    assert sorted(results) == [200] * 6 + [409] * 12
    everything = [e["id"] for e in _all_events(env, after=start)]
    assert seen == everything == list(range(start + 1, start + 1 + len(everything)))
    for c in cases:
        detail = env.case(c["id"])
        assert detail["version"] == 2 == len(detail["events"]) and detail["status"] == "accepted"


def test_the_event_log_refuses_updates_and_deletes(env: Env) -> None:
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    db = env.client.app.state.service.db  # type: ignore[attr-defined]
    for statement in ("UPDATE events SET actor = 'someone-else'", "DELETE FROM events"):
        with pytest.raises(DBAPIError, match="append-only"), db.writing() as s:
            s.execute(text(statement))


def test_a_writer_waits_for_the_feed_lock_so_ids_are_handed_out_in_commit_order(env: Env) -> None:
    """Transaction A holds the feed cursor; B's transition waits for it instead of committing a higher id
    first. A rolls back, so B gets the very id A had taken: no hole, no id visible before a lower one."""
    from casework.feed import next_event_id
    from casework.service import Actor, TransitionInput

    service = env.client.app.state.service  # type: ignore[attr-defined]
    case = case_in(env, wf.State.reported)
    done: list[int] = []

    def b() -> None:
        _, event = service.transition(Actor("operator", "operator"), case["id"],
                                      TransitionInput("accept", case["version"]))
        done.append(event["id"])

    with service.db.writing() as session_a:
        taken = next_event_id(session_a)
        writer = threading.Thread(target=b)
        writer.start()
        writer.join(timeout=0.5)
        assert writer.is_alive() and done == []  # B is blocked behind A
        session_a.rollback()
    writer.join(timeout=10)
    assert done == [taken]

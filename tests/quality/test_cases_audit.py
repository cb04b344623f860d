"""The cases_conformed publish audit: core.case / core.case_event carry no PRIMARY KEY (migration 0050), so a
duplicate case or event that got past a loader is stopped here — it is never published."""

from __future__ import annotations

import pytest

from quality.cases import cases_conformed
from szcg.settings import Settings
from warehouse.snapshots import AuditFailed
from warehouse.store import Warehouse

CASE = ("INSERT INTO core.\"case\" (case_id, origin_system, origin_case_id, source, reported_at, status, batch_id)"
        " VALUES (?, 'legacy', ?, 'other', TIMESTAMP '2026-03-02 09:00', 'reported', 'b1')")
EVENT = ("INSERT INTO core.case_event_row (case_id, seq, event_id, action, to_state, occurred_at, origin_system,"
         " batch_id) VALUES (?, ?, ?, 'report', 'reported', TIMESTAMP '2026-03-02 09:00', 'legacy', 'b1')")


def _case(wh: Warehouse, number: str, seq: int = 1, event_id: str | None = None) -> None:
    with wh.writer() as con:
        con.execute(CASE, [f"legacy:{number}", number])
        con.execute(EVENT, [f"legacy:{number}", seq, event_id or f"{number}:report"])


def _published_cases(wh: Warehouse) -> int:
    with wh.reader() as con:
        row = con.execute('SELECT count(*) FROM core."case"').fetchone()
    assert row is not None
    return int(row[0])


def test_a_duplicate_case_is_never_published(settings: Settings) -> None:
    wh = Warehouse(settings)
    _case(wh, "A1")
    wh.publish(reason="one case")
    with wh.writer() as con:
        assert cases_conformed(con) == []
        con.execute(CASE, ["legacy:A1", "A1"])  # the same case again, past every loader
        assert cases_conformed(con) == ["1 case_id given to more than one case"]
    with pytest.raises(AuditFailed, match="case_id given to more than one case"):
        wh.publish(reason="duplicate case")
    assert _published_cases(wh) == 1


def test_a_second_event_at_the_same_place_in_a_case_log_fails_the_audit(settings: Settings) -> None:
    wh = Warehouse(settings)
    _case(wh, "A1")
    _case(wh, "A2")
    with wh.writer() as con:
        con.execute(EVENT, ["legacy:A1", 1, "A1:report-again"])  # (case, seq) taken by another event id
        con.execute(EVENT, ["legacy:A2", 2, "A2:report"])  # a new seq, but the event id is taken
        problems = cases_conformed(con)
    assert problems == ["1 (case_id, seq) given to more than one event",
                        "1 (origin_system, event_id) given to more than one event"]
    with pytest.raises(AuditFailed, match=r"\(case_id, seq\) given to more than one event"):
        wh.publish(reason="duplicate event")

"""What the city had on any date, and state changes made by closed cases."""

from __future__ import annotations

import datetime as dt

import pytest
from cityfiles import census_rows, write_csv

from census_loaders.inventory import apply_case_state_change, inventory_on


def test_history_from_surveys_and_cases(census) -> None:
    rows = census_rows(4, date="20260801")
    census.ingest(write_csv(census.tmp / "first.csv", rows))
    cid, s = rows[0]["OBJCODE"], census.wh.settings
    with census.wh.writer() as con:
        assert apply_case_state_change(con, cid, "damaged", dt.datetime(2026, 8, 20, 9, 30), "casework:C-1", settings=s)
        # Replaying the same case change is harmless.
        assert not apply_case_state_change(con, cid, "damaged", dt.datetime(2026, 8, 20, 9, 30), "casework:C-1",
                                           settings=s)
        assert apply_case_state_change(con, cid, "intact", dt.datetime(2026, 8, 25, 16, 0), "casework:C-2", settings=s)
        with pytest.raises(ValueError, match="state"):
            apply_case_state_change(con, cid, "kaputt", dt.datetime(2026, 8, 26), "casework:C-3", settings=s)
        with pytest.raises(ValueError, match="not after"):
            apply_case_state_change(con, cid, "missing", dt.datetime(2026, 8, 1), "casework:C-4", settings=s)
        with pytest.raises(ValueError, match="not in the inventory"):
            apply_case_state_change(con, "14060201001999999", "missing", dt.datetime(2026, 9, 1), "casework:C-5",
                                    settings=s)

        def state_on(day: dt.date | dt.datetime) -> str | None:
            frame = inventory_on(con, day, "140602")
            hit = frame[frame["component_id"] == cid]
            return None if hit.empty else str(hit["state"].iloc[0])

        assert state_on(dt.date(2026, 7, 31)) is None  # not yet surveyed
        assert state_on(dt.date(2026, 8, 1)) == "intact"
        assert state_on(dt.datetime(2026, 8, 20, 9, 0)) == "intact"
        assert state_on(dt.date(2026, 8, 20)) == "damaged"
        assert state_on(dt.date(2026, 9, 1)) == "intact"
        assert len(inventory_on(con, dt.date(2026, 9, 1))) == 4
        sources = con.execute("SELECT change_source FROM core.component WHERE component_id = ? ORDER BY valid_from",
                              [cid]).fetchall()
    assert [s for (s,) in sources][1:] == ["casework:C-1", "casework:C-2"]


def test_a_second_version_with_the_same_start_is_quarantined_and_the_audit_refuses_one(census) -> None:
    """core.component has no primary key since migration 0070: the load keeps (component_id, valid_from) unique
    and the publish audit would refuse a snapshot where it is not."""
    from quality.census import component_history_problems

    rows = census_rows(3, date="20260801")
    census.ingest(write_csv(census.tmp / "first.csv", rows))
    cid = rows[0]["OBJCODE"]
    # The component's only version is closed (no current version), so a re-survey at the same date looks new.
    census.query("UPDATE core.component SET valid_to = TIMESTAMP '2026-09-01' WHERE component_id = ?", [cid])
    again = [dict(rows[0], OBJSTATE="破损")]
    result = census.ingest(write_csv(census.tmp / "again.csv", again))
    assert [(p.row_number, p.rule) for p in result.problems] == [(1, "date.version_exists")]
    assert "2026-08-01" in result.problems[0].message and result.rows_quarantined == 1
    assert census.query("SELECT count(*) FROM core.component WHERE component_id = ?", [cid]) == [(1,)]
    with census.wh.writer() as con:
        assert component_history_problems(con) == []
        con.execute("INSERT INTO core.component SELECT * REPLACE ('damaged' AS state) FROM core.component"
                    " WHERE component_id = ?", [cid])
        assert component_history_problems(con)[0] == f"component {cid}: 2 versions from 2026-08-01 00:00:00"

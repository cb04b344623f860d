"""What the city had on any date, and state changes made by closed cases."""

from __future__ import annotations

import datetime as dt

import pytest
from cityfiles import census_rows, write_csv

from census_loaders.inventory import apply_case_state_change, inventory_on


def test_history_from_surveys_and_cases(census) -> None:
    rows = census_rows(4, date="20260801")
    census.ingest(write_csv(census.tmp / "first.csv", rows))
    cid = rows[0]["OBJCODE"]
    with census.wh.writer() as con:
        assert apply_case_state_change(con, cid, "damaged", dt.datetime(2026, 8, 20, 9, 30), "casework:C-1")
        # Replaying the same case change is harmless.
        assert not apply_case_state_change(con, cid, "damaged", dt.datetime(2026, 8, 20, 9, 30), "casework:C-1")
        assert apply_case_state_change(con, cid, "intact", dt.datetime(2026, 8, 25, 16, 0), "casework:C-2")
        with pytest.raises(ValueError, match="state"):
            apply_case_state_change(con, cid, "kaputt", dt.datetime(2026, 8, 26), "casework:C-3")
        with pytest.raises(ValueError, match="not after"):
            apply_case_state_change(con, cid, "missing", dt.datetime(2026, 8, 1), "casework:C-4")
        with pytest.raises(ValueError, match="not in the inventory"):
            apply_case_state_change(con, "14060201001999999", "missing", dt.datetime(2026, 9, 1), "casework:C-5")

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

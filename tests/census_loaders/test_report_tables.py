"""The report's tables (diff and points) are fetched only for a report; the batch's counts and load do not depend
on them."""

from __future__ import annotations

import shutil
from typing import Any

from cityfiles import census_rows, write_csv
from conftest import Census

from szcg.settings import Settings
from warehouse.store import Warehouse


def _twin(census: Census) -> Census:
    """A second warehouse in the state of ``census``'s (a copy of its data folder)."""
    copy = census.tmp / "twin-var"
    shutil.copytree(census.settings.data_dir, copy)
    settings = Settings(data_dir=copy, hash_key=census.settings.hash_key).with_data_dir(copy)
    return Census(settings, Warehouse(settings), census.ctx, census.config, census.tmp)


def _stored(census: Census) -> dict[str, Any]:
    return {
        "components": census.query("SELECT * EXCLUDE (change_source) FROM core.component ORDER BY ALL"),
        "quarantine": census.query("SELECT row_number, field, rule, message, raw_record FROM quarantine.rejected_row"
                                   " ORDER BY ALL"),
        "ledger": census.query("SELECT target, rows_in, rows_loaded, rows_quarantined, detail FROM landing.load"
                               " ORDER BY ALL"),
    }


def test_a_batch_without_report_tables_has_the_same_counts_and_load(census: Census) -> None:
    census.ingest(write_csv(census.tmp / "first.csv", census_rows(20)))
    twin = _twin(census)
    # The second survey: components 19 and 20 no longer listed (missing; two new ones stand where they stood), one
    # state changed by a later survey, one row rejected (not a state).
    rows = census_rows(20)
    for row, serial in ((rows[18], 101), (rows[19], 102)):
        row["OBJCODE"] = row["OBJCODE"][:-6] + f"{serial:06d}"
    rows[0].update(OBJSTATE="丢失", CHDATE="20260901")
    rows[5]["OBJSTATE"] = "坏了"
    second = write_csv(census.tmp / "second.csv", rows)
    with_tables = census.ingest(second)
    without = twin.ingest(second, report_tables=False)

    assert with_tables.diff_table is not None and with_tables.points_table is not None
    assert without.diff_table is None and without.points_table is None
    assert (with_tables.new, with_tables.changed, with_tables.unchanged, with_tables.missing) == (2, 1, 16, 2)
    assert with_tables.summary() == without.summary()
    assert [p.__dict__ for p in with_tables.problems] == [p.__dict__ for p in without.problems]
    assert list(with_tables.diff["change"].value_counts().sort_index().items()) == [
        ("changed", 1), ("missing", 2), ("new", 2)]
    assert _stored(census) == _stored(twin)

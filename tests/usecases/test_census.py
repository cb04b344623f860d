"""``usecases.census``: one census batch, ingested and published, whoever starts it; its log says what it did."""

from __future__ import annotations

import logging
from pathlib import Path

from cityfiles import census_rows, write_csv, write_grids

from szcg.settings import Settings
from usecases.census import ingest_batch
from warehouse.store import Warehouse

CALLER = "13912345678"  # a phone number in the input: it must never reach the log


def _grids(settings: Settings, tmp_path: Path) -> None:
    from szcg.cli import main

    assert main(["grids", "load", str(write_grids(tmp_path / "grids.geojson")), "--valid-from", "2026-01-01"]) == 0


def test_a_batch_is_loaded_quarantined_reported_and_published(settings: Settings, tmp_path: Path) -> None:
    _grids(settings, tmp_path)
    rows = census_rows(10)
    rows[2]["OBJCODE"] = "14060201001"  # too short
    rows[5]["OBJSTATE"] = "坏了"  # not a state
    outcome = ingest_batch(settings, write_csv(tmp_path / "b.csv", rows), "140602")
    assert (outcome.rows_in, outcome.rows_loaded, outcome.rows_quarantined) == (10, 8, 2)
    assert sum(outcome.problems_by_rule.values()) == 2 and len(outcome.problems_by_rule) == 2
    assert outcome.batch_id.startswith("census-") and outcome.rejected is None
    assert outcome.report_path is not None and outcome.report_path.is_file()
    assert outcome.report_path.parent == settings.data_dir / "reports" / "census"
    assert outcome.published is not None
    with Warehouse(settings).reader() as con:
        assert con.execute("SELECT count(*) FROM core.component").fetchone()[0] == 8

    again = ingest_batch(settings, write_csv(tmp_path / "b.csv", rows), "140602")
    assert again.already_loaded and again.published is None, "the same file changes nothing, publishes nothing"
    assert again.report is None


def test_a_file_refused_as_a_whole_is_an_outcome_not_an_exception(settings: Settings, tmp_path: Path) -> None:
    _grids(settings, tmp_path)
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"OBJCODE,OBJNAME\n\"open quote,x\n1,2,3,4\n")
    outcome = ingest_batch(settings, broken, "140602", report=False)
    assert outcome.rejected and outcome.rows_loaded == 0 and outcome.report is None


def test_the_job_logs_its_steps_with_counts_and_never_a_phone_number(settings: Settings, tmp_path: Path,
                                                                     caplog) -> None:
    _grids(settings, tmp_path)
    rows = census_rows(6)
    rows[1]["OBJNAME"] = f"井盖 联系人电话{CALLER}"
    rows[3]["OBJSTATE"] = f"坏了{CALLER}"  # quarantined: the rejected value is not logged either
    batch = write_csv(tmp_path / f"普查{CALLER}.csv", rows)
    with caplog.at_level(logging.INFO, logger="szcg"):
        ingest_batch(settings, batch, "140602")
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("census ingest: started") and "district=140602" in m for m in messages)
    ingest = next(m for m in messages if "step ingest done in" in m)
    assert "rows_in=6" in ingest and "rows_loaded=5" in ingest and "rows_quarantined=1" in ingest
    assert any("step report done" in m for m in messages) and any("step publish done" in m for m in messages)
    assert any(m.startswith("census ingest: done in") and "rows_loaded=5" in m for m in messages)
    assert CALLER not in caplog.text
    assert all(CALLER not in r.getMessage() for r in caplog.records)

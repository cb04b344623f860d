"""A second `make demo` does not start DAG runs that could only find what is already there: a file whose exact
content the published warehouse has loaded, a month published with its report written."""

from __future__ import annotations

from pathlib import Path

from szcg.demo import evaluated_before, loaded_before
from szcg.settings import Settings
from warehouse.accounting import LoadCount, record_load
from warehouse.store import Warehouse


def test_a_file_is_skipped_only_when_its_very_content_was_loaded_and_published(
    settings: Settings, tmp_path: Path
) -> None:
    batch = tmp_path / "140602-001.csv"
    batch.write_text("OBJCODE,OBJNAME\n14060201001000001,上水井盖\n", encoding="utf-8")
    assert not loaded_before(settings, batch, "census")  # nothing published yet
    wh = Warehouse(settings)
    with wh.writer() as con:
        landed = wh.land(con, batch, "census")
        record_load(con, LoadCount(landed.batch_id, "core.component", 1, 1, 0))
    assert not loaded_before(settings, batch, "census")  # loaded, but readers do not see it yet
    wh.publish(reason="census batch")
    assert loaded_before(settings, batch, "census")
    assert not loaded_before(settings, batch, "hotline")  # another kind of input
    batch.write_text("OBJCODE,OBJNAME\n14060201001000002,上水井盖\n", encoding="utf-8")
    assert not loaded_before(settings, batch, "census")  # same name, new content: loaded again


def test_a_month_without_its_report_is_evaluated_again(settings: Settings) -> None:
    wh = Warehouse(settings)
    with wh.writer():
        pass
    wh.publish(reason="empty")
    assert not evaluated_before(settings, "2026-11")

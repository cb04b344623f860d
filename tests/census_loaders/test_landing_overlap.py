"""Landing runs on a thread while DuckDB reads the file: the batch is still the hash of the bytes kept, and no
half-landed copy is left behind — loaded, refused as a whole, or submitted again."""

from __future__ import annotations

import hashlib
from pathlib import Path

from cityfiles import census_rows, write_csv


def _leftovers(landing: Path) -> list[Path]:
    return [p for p in landing.rglob("*") if p.name.startswith((".incoming-", ".head-"))]


def test_the_batch_is_the_hash_of_the_landed_copy_and_nothing_is_left_half_landed(census) -> None:
    landing = census.settings.landing_dir
    batch = write_csv(census.tmp / "第一批.csv", census_rows(8))
    first = census.ingest(batch)
    assert first.rows_loaded == 8 and not first.rejected_message
    sha = hashlib.sha256(batch.read_bytes()).hexdigest()
    assert first.batch_id == f"census-{sha[:16]}"
    kept = census.query("SELECT landed_path FROM landing.landed_file WHERE batch_id = ?", [first.batch_id])
    assert [(landing / str(kept[0][0])).read_bytes()] == [batch.read_bytes()]
    again = census.ingest(batch)
    assert again.already_loaded and again.batch_id == first.batch_id and again.rows_loaded == 8
    # a file refused as a whole (no coordinate columns) is landed and registered all the same
    broken = census.tmp / "无坐标.csv"
    broken.write_text("OBJCODE,OBJNAME\n140602010010000001,井盖\n", encoding="utf-8")
    refused = census.ingest(broken)
    assert refused.rejected_message and refused.problems[0].rule == "mapping.column_missing"
    assert census.query("SELECT count(*) FROM landing.landed_file WHERE batch_id = ?", [refused.batch_id]) == [(1,)]
    assert census.query("SELECT count(*) FROM landing.load WHERE target = 'core.component'") == [(2,)]
    assert _leftovers(landing) == []


def test_a_missing_file_is_refused_by_landing_as_before(census) -> None:
    import pytest

    from szcg.errors import InputRejected

    with pytest.raises(InputRejected) as refused:
        census.ingest(census.tmp / "不存在.csv")
    assert refused.value.problems[0].rule == "file.missing"
    assert _leftovers(census.settings.landing_dir) == []

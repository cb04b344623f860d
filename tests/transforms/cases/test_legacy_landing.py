"""The legacy import lands its export on a thread while it reads it: the batch is still the hash of the bytes kept,
a refused or failed import leaves no half-landed copy, and an export that moves while it is read is refused."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pandas as pd
import pytest

import transforms.cases.legacy_import as legacy
from szcg.errors import InputRejected
from tests.transforms.cases.conftest import EXPORTS, MAPPINGS
from transforms.cases.mapping import LegacyMapping, load_mapping
from warehouse.store import Warehouse

EXPORT = "nyc_311_2018_dohmh_155.csv"


def _leftovers(landing: Path) -> list[Path]:
    return [p for p in landing.rglob("*") if p.name.startswith(".incoming-")]


def test_the_batch_is_the_hash_of_the_landed_copy_and_nothing_is_left_half_landed(wh: Warehouse) -> None:
    source = EXPORTS / EXPORT
    result = legacy.import_legacy(wh, source, load_mapping(MAPPINGS / "nyc_311_2018_dohmh.yaml"))
    sha = hashlib.sha256(source.read_bytes()).hexdigest()
    assert result.batch_id == f"legacy_cases-{sha[:16]}" and result.rows_loaded > 0
    landing = wh.settings.landing_dir
    with wh.writer() as con:
        kept = con.execute("SELECT landed_path FROM landing.landed_file WHERE batch_id = ?",
                           [result.batch_id]).fetchall()
    assert [(landing / str(kept[0][0])).read_bytes()] == [source.read_bytes()]
    assert _leftovers(landing) == []


def test_an_export_refused_while_read_leaves_nothing_in_landing(wh: Warehouse) -> None:
    with pytest.raises(InputRejected):  # schema drift: the mapping's columns are not in this export
        legacy.import_legacy(wh, EXPORTS / "la_myla311_2020_subset.csv",
                             load_mapping(MAPPINGS / "la_myla311_2017.yaml"))
    landing = wh.settings.landing_dir
    assert _leftovers(landing) == [] and not [p for p in landing.rglob("*") if p.is_file()]
    with wh.writer() as con:
        assert con.execute("SELECT count(*) FROM landing.landed_file").fetchone() == (0,)


def test_an_export_that_moves_while_it_is_read_is_refused(wh: Warehouse, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / EXPORT
    shutil.copyfile(EXPORTS / EXPORT, source)
    read = legacy.read_export

    def read_then_another_writer_appends(path: Path, mapping: LegacyMapping) -> pd.DataFrame:
        raw = read(path, mapping)
        with path.open("ab") as handle:  # the survey team's tool writing the file again, after the read
            handle.write(b"\n")
        return raw

    monkeypatch.setattr(legacy, "read_export", read_then_another_writer_appends)
    with pytest.raises(OSError, match="changed while being landed"):
        legacy.import_legacy(wh, source, load_mapping(MAPPINGS / "nyc_311_2018_dohmh.yaml"))
    assert _leftovers(wh.settings.landing_dir) == []
    with wh.writer() as con:
        assert con.execute('SELECT count(*) FROM core."case"').fetchone() == (0,)

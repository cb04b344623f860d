"""Every defect the synthetic city injects into its census batches (--dirty manifest) is caught or repaired."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest

from tests.support.factories import DIRTY_CITY, SyntheticCities

REJECTED_KINDS = {"wrong_code", "duplicate_id", "swapped_lat_lon", "gcj02_coordinates", "outside_city"}


@pytest.fixture(scope="module")
def dirty_city(cities: SyntheticCities) -> Path:
    return cities.get(DIRTY_CITY)


def test_every_injected_census_defect_is_quarantined_or_repaired(dirty_city: Path, census, capsys) -> None:
    from census_loaders.grids import load_grids

    with census.wh.writer(spatial=True) as con:
        con.execute("DELETE FROM core.grid")  # use the synthetic city's grids instead of the test lattice
        load_grids(con, census.wh, dirty_city / "geography" / "grids.gpkg", census.config, census.ctx,
                   dt.date(2025, 1, 1))
    with (dirty_city / "census" / "batches.csv").open(encoding="utf-8") as handle:
        listed = list(csv.DictReader(handle))
    # One batch of every delivery format (CSV UTF-8 with BOM / GBK, XLSX, GeoPackage, zipped SHP) keeps this quick.
    batches = list({b["format"]: b for b in reversed(listed)}.values())
    assert len(batches) >= 4
    results = {}
    for batch in batches:
        results[batch["file"]] = census.ingest(dirty_city / batch["file"], batch["district_code"])
    for file, result in results.items():
        assert result.rows_in == result.rows_loaded + result.rows_quarantined, file
        assert not result.rejected_message, (file, result.rejected_message)
    quarantined = {(Path(f).name, r): rule for f, r, rule in census.query(
        "SELECT file_name, row_number, rule FROM quarantine.rejected_row WHERE target = 'core.component'")}
    rows_with = {key for key in quarantined}
    manifest = json.loads((dirty_city / "manifest.json").read_text(encoding="utf-8"))
    defects = [d for d in manifest["defects"] if d["file"] in results]
    assert defects, "the dirty city injected no census defects"
    missed = []
    for d in defects:
        name, row = Path(d["file"]).name, d["row"]
        if d["kind"] == "bom":
            assert results[d["file"]].encoding == "utf-8-sig"
        elif d["kind"] in REJECTED_KINDS or (d["kind"] == "missing_field" and d["field"] != "BGCODE"):
            if (name, row) not in rows_with:
                missed.append(d)
        elif d["kind"] == "missing_field":  # BGCODE left empty: the grid is assigned from the position
            if (name, row) not in rows_with:
                code = d["original"]
                found = census.query("SELECT count(*) FROM core.component WHERE grid_code = ? AND change_source = ?",
                                     [code, results[d["file"]].batch_id])[0][0]
                assert found, d
        elif d["kind"] == "mixed_date_format" and (name, row) not in rows_with:
            original = dt.date.fromisoformat(str(d["original"])[:10])
            assert census.query("SELECT count(*) FROM core.component WHERE surveyed_on = ?", [original])[0][0]
    assert not missed, missed[:5]
    # And nothing else: every quarantined row carries an injected defect (no false alarms on clean rows).
    # The row whose id was copied is quarantined too: which of the two carries the id rightly is not knowable.
    injected = {(Path(d["file"]).name, d["row"]) for d in defects}
    injected |= {(Path(d["file"]).name, d["row"] - 1) for d in defects if d["kind"] == "duplicate_id"}
    extra = sorted((key, rule) for key, rule in quarantined.items() if key not in injected)
    assert not extra, extra[:10]

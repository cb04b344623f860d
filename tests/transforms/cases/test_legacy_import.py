"""A city migrating from another case system imports its exports with a declarative mapping: every row is
accounted for, the real defects of each export are found (counted here independently with pandas), and a
re-import changes nothing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from szcg.errors import ConfigError, InputRejected
from tests.transforms.cases.conftest import EXPORTS, MAPPINGS
from transforms.cases.legacy_import import import_legacy
from transforms.cases.mapping import load_mapping
from warehouse.fingerprint import database_fingerprint
from warehouse.store import Warehouse

EXPORT_MAPPINGS = [
    ("la_myla311_2017_subset.csv", "la_myla311_2017.yaml", "SRNumber", "CreatedDate", "ClosedDate",
     "%m/%d/%Y %I:%M:%S %p", "Latitude"),
    ("la_myla311_2020_subset.csv", "la_myla311_2020.yaml", "srnumber", "createddate", "closeddate",
     "%m/%d/%y %H:%M", "latitude"),
    ("sf_311_sample_10k.csv", "sf_311.yaml", "unique_key", "created_date", "closed_date", None, "latitude"),
    ("nyc_311_2019-12-31_sample_1000.csv", "nyc_311_2019.yaml", "unique_key", "created_date", "closed_date",
     "%Y-%m-%dT%H:%M:%S.%f", "latitude"),
    ("nyc_311_2022-05-01_sample_924.csv", "nyc_311_2022.yaml", "Unique Key", "Created Date", "Closed Date",
     "%m/%d/%Y %I:%M:%S %p", "Latitude"),
    ("nyc_311_2018_dohmh_155.csv", "nyc_311_2018_dohmh.yaml", "Unique Key", "Created Date", "Closed Date",
     "%m/%d/%Y %I:%M:%S %p", "Latitude"),
]


def _count_independently(export: str, id_col: str, created: str, closed: str, fmt: str | None,
                         lat: str) -> dict[str, int]:
    raw = pd.read_csv(EXPORTS / export, dtype=str, keep_default_na=False)
    if fmt is None:  # SF: "+00:00" that is really local time — compare the digits
        opened = pd.to_datetime(raw[created].str[:19])
        shut = pd.to_datetime(raw[closed].str[:19].replace("", None))
    else:
        opened = pd.to_datetime(raw[created], format=fmt)
        shut = pd.to_datetime(raw[closed].replace("", None), format=fmt)
    return {
        "rows": len(raw),
        "closed_before_opened": int((shut < opened).sum()),
        "missing_coordinates": int((raw[lat].str.strip() == "").sum()),
        "zero_coordinates": int(pd.to_numeric(raw[lat], errors="coerce").eq(0).sum()),
        "duplicate_ids": int(raw[id_col].duplicated().sum()),
    }


@pytest.mark.parametrize(("export", "mapping", "id_col", "created", "closed", "fmt", "lat"), EXPORT_MAPPINGS,
                         ids=[e[0] for e in EXPORT_MAPPINGS])
def test_each_shared_export_imports_with_its_mapping_and_every_row_is_accounted_for(
    wh: Warehouse, export: str, mapping: str, id_col: str, created: str, closed: str, fmt: str | None, lat: str
) -> None:
    expected = _count_independently(export, id_col, created, closed, fmt, lat)
    result = import_legacy(wh, EXPORTS / export, load_mapping(MAPPINGS / mapping))

    assert result.rows_in == expected["rows"]
    assert result.rows_loaded + result.rows_quarantined == result.rows_in
    assert result.rows_quarantined == expected["duplicate_ids"]
    assert result.flags.get("closed_before_opened", 0) == expected["closed_before_opened"]
    assert result.flags.get("missing_coordinates", 0) == expected["missing_coordinates"]
    assert result.flags.get("zero_coordinates", 0) == expected["zero_coordinates"]
    with wh.writer() as con:
        ledger = con.execute("SELECT rows_in, rows_loaded, rows_quarantined FROM landing.load"
                             " WHERE batch_id = ? AND target = 'core.case'", [result.batch_id]).fetchone()
        loaded = con.execute('SELECT count(*) FROM core."case" WHERE batch_id = ?', [result.batch_id]).fetchone()
    assert ledger == (expected["rows"], result.rows_loaded, result.rows_quarantined)
    assert loaded == (result.rows_loaded,)


def test_new_york_2018_dohmh_defects_are_flagged_not_fixed(wh: Warehouse) -> None:
    raw = pd.read_csv(EXPORTS / "nyc_311_2018_dohmh_155.csv", dtype=str, keep_default_na=False)
    fmt = "%m/%d/%Y %I:%M:%S %p"
    opened = pd.to_datetime(raw["Created Date"], format=fmt)
    shut = pd.to_datetime(raw["Closed Date"].replace("", None), format=fmt)
    before = set(raw.loc[shut < opened, "Unique Key"])
    no_due = int((raw["Due Date"] == "").sum())
    assert len(before) > 0  # the export really has this defect

    result = import_legacy(wh, EXPORTS / "nyc_311_2018_dohmh_155.csv",
                           load_mapping(MAPPINGS / "nyc_311_2018_dohmh.yaml"))

    with wh.writer() as con:
        flagged = con.execute(
            "SELECT origin_case_id, reported_at, closed_at, origin_timezone FROM core.\"case\""
            " WHERE list_contains(flags, 'closed_before_opened')").df()
        missing_due = con.execute(
            "SELECT count(*) FROM core.\"case\" WHERE list_contains(flags, 'missing_deadline')").fetchone()
        rodents = con.execute(
            "SELECT count(*) FROM core.\"case\" WHERE origin_category LIKE 'Rodent%' AND subclass_code IS NULL"
            " AND list_contains(flags, 'unknown_category')").fetchone()
        handled_events = con.execute(
            "SELECT count(*), count(actor_id), count(deadline_at) FROM core.case_event"
            " WHERE batch_id = ? AND action = 'feedback'", [result.batch_id]).fetchone()
    assert set(flagged["origin_case_id"]) == before
    # kept as recorded (local New York wall clock), not swapped or "repaired"
    assert (flagged["closed_at"] < flagged["reported_at"]).all()
    assert set(flagged["origin_timezone"]) == {"America/New_York"}
    assert missing_due == (no_due,)
    assert rodents == (int(raw["Complaint Type"].eq("Rodent").sum()),)
    n_closed = int((raw["Status"] == "Closed").sum())
    closed_without_due = int(((raw["Status"] == "Closed") & (raw["Due Date"] == "")).sum())
    assert handled_events == (n_closed, 0, n_closed - closed_without_due)


def test_state_plane_coordinates_are_converted_to_wgs84(wh: Warehouse) -> None:
    raw = pd.read_csv(EXPORTS / "nyc_311_2018_dohmh_155.csv", dtype=str, keep_default_na=False)
    import_legacy(wh, EXPORTS / "nyc_311_2018_dohmh_155.csv", load_mapping(MAPPINGS / "nyc_311_2018_dohmh.yaml"))
    with wh.writer() as con:
        got = con.execute('SELECT origin_case_id, lon, lat FROM core."case" WHERE lon IS NOT NULL').df()
    merged = got.merge(raw, left_on="origin_case_id", right_on="Unique Key")
    assert len(merged) == int((raw["Latitude"] != "").sum())
    assert (merged["lat"] - merged["Latitude"].astype(float)).abs().max() < 1e-4
    assert (merged["lon"] - merged["Longitude"].astype(float)).abs().max() < 1e-4


def test_reimport_changes_nothing_and_two_schemas_of_one_system_share_an_id_space(wh: Warehouse) -> None:
    la17 = load_mapping(MAPPINGS / "la_myla311_2017.yaml")
    first = import_legacy(wh, EXPORTS / "nyc_311_2022-05-01_sample_924.csv",
                          load_mapping(MAPPINGS / "nyc_311_2022.yaml"))
    with wh.writer() as con:
        before = database_fingerprint(con)
    again = import_legacy(wh, EXPORTS / "nyc_311_2022-05-01_sample_924.csv",
                          load_mapping(MAPPINGS / "nyc_311_2022.yaml"))
    with wh.writer() as con:
        after = database_fingerprint(con)
    assert again.already_landed and again.batch_id == first.batch_id
    assert after == before
    assert la17.origin_system == load_mapping(MAPPINGS / "la_myla311_2020.yaml").origin_system


def test_duplicate_ids_and_unreadable_times_are_quarantined_with_reasons(wh: Warehouse, tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    export.write_text(
        "unique_key,created_date,closed_date,due_date,status,complaint_type,descriptor,open_data_channel_type,"
        "agency,incident_address,latitude,longitude\n"
        "1,2019-12-31T10:00:00.000,2019-12-31T12:00:00.000,,Closed,Graffiti,x,PHONE,DSNY,1 MAIN ST,40.7,-73.9\n"
        "1,2019-12-31T11:00:00.000,,,Open,Graffiti,x,PHONE,DSNY,1 MAIN ST,40.7,-73.9\n"
        "2,yesterday,,,Open,Space Aliens,x,FAX,DSNY,2 MAIN ST,0,0\n"
        ",2019-12-31T10:00:00.000,,,Open,Graffiti,x,PHONE,DSNY,3 MAIN ST,,\n"
        "3,2019-12-31T10:00:00.000,,2020-01-02T10:00:00.000,Open,Space Aliens,x,FAX,DSNY,4 MAIN ST,0,0\n",
        encoding="utf-8")
    result = import_legacy(wh, export, load_mapping(MAPPINGS / "nyc_311_2019.yaml"))
    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (5, 2, 3)
    assert result.quarantine_rules == {"duplicate_id": 1, "bad_reported_at": 1, "missing_id": 1}
    with wh.writer() as con:
        q = con.execute("SELECT row_number, rule, message, raw_record->>'incident_address' FROM"
                        " quarantine.rejected_row ORDER BY row_number").fetchall()
        case3 = con.execute("SELECT flags, source, subclass_code, origin_category, lon, due_at FROM core.\"case\""
                            " WHERE origin_case_id = '3'").fetchone()
    assert [(r[0], r[1]) for r in q] == [(2, "duplicate_id"), (3, "bad_reported_at"), (4, "missing_id")]
    assert "row 1" in q[0][2] and q[1][3] == "2 MAIN ST"
    assert case3 is not None
    assert {"zero_coordinates", "unknown_category"} <= set(case3[0])
    assert "missing_deadline" not in case3[0]
    assert case3[1:5] == ("other", None, "Space Aliens / x", None)


def test_times_outside_the_warehouse_range_are_quarantined_not_a_crash(wh: Warehouse, tmp_path: Path) -> None:
    """A year 0001 or 2262 (a placeholder, a typo) is a real value in a real export: the row is quarantined as an
    unreadable time like any other, the rest of the batch loads (it once stopped the whole import with pandas'
    OutOfBoundsDatetime)."""
    export = tmp_path / "export.csv"
    header = ("unique_key,created_date,closed_date,due_date,status,complaint_type,descriptor,open_data_channel_type,"
              "agency,incident_address,latitude,longitude\n")
    row = "{key},{created},{closed},{due},{status},Graffiti,x,PHONE,DSNY,1 MAIN ST,40.7,-73.9\n"
    ok = "2019-12-31T10:00:00.000"
    rows = [
        row.format(key=1, created="0001-01-01T00:00:00.000", closed="", due="", status="Open"),
        row.format(key=2, created="2262-04-12T00:00:00.000", closed="", due="", status="Open"),
        row.format(key=3, created=ok, closed="9999-12-31T00:00:00.000", due="2020-01-02T10:00:00.000",
                   status="Closed"),
        row.format(key=4, created=ok, closed="", due="0001-01-01T00:00:00.000", status="Open"),
        row.format(key=5, created=ok, closed="2019-12-31T12:00:00.000", due="2020-01-02T10:00:00.000",
                   status="Closed"),
    ]
    export.write_text(header + "".join(rows), encoding="utf-8")
    result = import_legacy(wh, export, load_mapping(MAPPINGS / "nyc_311_2019.yaml"))
    assert result.rows_in == 5 and result.rows_loaded + result.rows_quarantined == 5
    assert result.quarantine_rules.get("bad_reported_at") == 2
    with wh.writer() as con:
        loaded = {r[0] for r in con.execute('SELECT origin_case_id FROM core."case"').fetchall()}
    assert {"4", "5"} <= loaded and not {"1", "2"} & loaded


def test_export_whose_schema_drifted_is_refused_naming_the_missing_columns(wh: Warehouse) -> None:
    with pytest.raises(InputRejected) as err:
        import_legacy(wh, EXPORTS / "la_myla311_2020_subset.csv", load_mapping(MAPPINGS / "la_myla311_2017.yaml"))
    assert "SRNumber" in str(err.value)


def test_a_mapping_to_a_code_outside_the_catalogue_is_a_config_error(tmp_path: Path) -> None:
    text = (MAPPINGS / "sf_311.yaml").read_text(encoding="utf-8").replace('"06028"', '"99999"')
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_mapping(bad)
    assert "categories.Noise Report" in str(err.value) and "99999" in str(err.value)

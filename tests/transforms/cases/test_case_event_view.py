"""core.case_event is a view (migration 0102) over core.case_event_row (every column as given) and
core.case_event_bulk (a bulk file's columns, the rest derived): a bulk-loaded event reads back exactly as the row
path stores it, an existing warehouse keeps every event, and the audits and the loaders' gates see both tables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from quality.cases import cases_conformed
from szcg.settings import Settings
from tests.support.factories import DIRTY_CITY, SyntheticCities
from transforms.cases.model import delete_batch
from transforms.cases.parquet_import import import_parquet
from warehouse.fingerprint import database_fingerprint, table_fingerprint
from warehouse.migrate import available_migrations, migrate
from warehouse.store import Warehouse

EDITION = "gbt47678.5-2026"
EVENTS = "SELECT * FROM core.case_event ORDER BY case_id, seq"


@pytest.fixture(scope="module")
def city(cities: SyntheticCities) -> Path:
    return cities.get(DIRTY_CITY)


def _stored(con: duckdb.DuckDBPyConnection) -> tuple[int, int, int]:
    return tuple(con.execute(f"SELECT count(*) FROM core.{t}").fetchone()[0]  # type: ignore[return-value, index]
                 for t in ("case_event_row", "case_event_bulk", "case_event_load"))


def test_bulk_events_read_back_as_the_row_path_stores_them(wh: Warehouse, settings: Settings, city: Path,
                                                           tmp_path: Path) -> None:
    result = import_parquet(wh, city / "cases", edition=EDITION)
    # The same events with one more (empty) column core.case_event_bulk lacks: stored as given, every column.
    wide = tmp_path / "wide"
    wide.mkdir()
    (wide / "cases.parquet").write_bytes((city / "cases" / "cases.parquet").read_bytes())
    events = pd.read_parquet(city / "cases" / "case_events.parquet")
    events["limit_basis"] = pd.Series([None] * len(events), dtype="object")
    events.to_parquet(wide / "case_events.parquet")
    other = Warehouse(settings.with_data_dir(tmp_path / "other"))
    wide_result = import_parquet(other, wide, edition=EDITION)
    assert wide_result.events_loaded == result.events_loaded > 0
    with wh.writer() as con:
        bulk = con.execute(EVENTS).df()
        assert _stored(con) == (0, result.events_loaded, 1)
        assert con.execute("SELECT DISTINCT batch_id, origin_system FROM core.case_event").fetchall() == [
            (result.events_batch, "synth")]
    with other.writer() as con:
        row = con.execute(EVENTS).df()
        assert _stored(con) == (wide_result.events_loaded, 0, 0)
    assert list(bulk.columns) == list(row.columns)
    assert bulk.dtypes.equals(row.dtypes)
    pd.testing.assert_frame_equal(bulk.drop(columns="batch_id"), row.drop(columns="batch_id"))
    assert (bulk["event_id"] == bulk["case_id"].str.removeprefix("synth:") + ":" + bulk["seq"].astype(str)).all()
    assert (bulk["origin_action"] == bulk["action"]).all() and bulk["comment"].isna().all()


def test_reimport_and_delete_leave_no_row_of_the_batch_behind(wh: Warehouse, city: Path) -> None:
    first = import_parquet(wh, city / "cases", edition=EDITION)
    with wh.writer() as con:
        before = con.execute(EVENTS).df()
    again = import_parquet(wh, city / "cases", edition=EDITION)
    assert again.events_batch == first.events_batch
    with wh.writer() as con:
        pd.testing.assert_frame_equal(con.execute(EVENTS).df(), before)
        assert _stored(con) == (0, first.events_loaded, 1)
        delete_batch(con, first.events_batch)
        assert _stored(con) == (0, 0, 0)


def test_the_audit_sees_an_event_id_given_twice_across_the_two_tables(wh: Warehouse, city: Path) -> None:
    import_parquet(wh, city / "cases", edition=EDITION)
    with wh.writer() as con:
        assert cases_conformed(con) == []
        case_id, event_id = con.execute("SELECT case_id, event_id FROM core.case_event LIMIT 1").fetchone()  # type: ignore[misc]
        con.execute("INSERT INTO core.case_event_row (case_id, seq, event_id, action, occurred_at, origin_system,"
                    " batch_id) VALUES (?, 999, ?, 'check', TIMESTAMP '2026-03-02 09:00', 'synth', 'b-other')",
                    [case_id, event_id])
        assert cases_conformed(con) == ["1 (origin_system, event_id) given to more than one event"]


def _load_columns_read(con: duckdb.DuckDBPyConnection, sql: str) -> list[str]:
    """The columns the plan reads from core.case_event_load, by any of the view's joins with it (the bulk and the
    legacy events': origin_system and batch_id for derived columns only)."""
    found: list[str] = []

    def walk(node: dict[str, Any]) -> None:
        info = node.get("extra_info", {})
        if str(info.get("Table", "")).endswith("case_event_load"):
            projections = info.get("Projections", [])
            found.extend([projections] if isinstance(projections, str) else projections)
        for child in node.get("children", []):
            walk(child)

    for root in json.loads(con.execute(f"EXPLAIN (FORMAT JSON) {sql}").fetchall()[0][1]):
        walk(root)
    return sorted(set(found))


def test_a_reader_that_does_not_ask_for_a_derived_column_does_not_compute_it(wh: Warehouse, city: Path) -> None:
    import_parquet(wh, city / "cases", edition=EDITION)
    with wh.writer() as con:
        assert _load_columns_read(con, "SELECT case_id, seq, action, occurred_at, outcome FROM core.case_event"
                                       " WHERE action = 'close'") == ["load_no"]
        assert _load_columns_read(con, "SELECT event_id FROM core.case_event") == ["load_no", "origin_system"]
        assert _load_columns_read(con, "SELECT batch_id FROM core.case_event") == ["batch_id", "load_no"]


def test_migration_0102_keeps_every_event_of_a_populated_warehouse() -> None:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA meta")
    con.execute("CREATE TABLE meta.schema_migration (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
                " checksum VARCHAR NOT NULL)")
    for m in available_migrations():  # the schema as it was before 0102, with events of three sources in it
        if m.version >= 102:
            break
        con.execute(m.sql)
        con.execute("INSERT INTO meta.schema_migration VALUES (?, ?, ?)", [m.version, m.name, m.checksum])
    con.execute("""
        INSERT INTO core.case_event SELECT
            s || ':' || (i // 7), i % 7, CASE s WHEN 'casework' THEN CAST(1000 + i AS VARCHAR)
                                        ELSE (i // 7) || ':' || (i % 7) END,
            ['report', 'register', 'dispatch', 'handle', 'feedback', 'check', 'close'][i % 7 + 1],
            NULL, 'registered', TIMESTAMP '2026-03-02 09:00' + INTERVAL (i) MINUTE, 'A' || (i % 5),
            'supervisor', CASE WHEN i % 3 = 0 THEN 'D1' END, '140602', CASE WHEN i % 11 = 0 THEN 'passed' END,
            TIMESTAMP '2026-03-03 18:00', i % 2 = 0, CASE WHEN i % 4 = 0 THEN 1.5 END, 48.0, 'working', 'h-2026',
            CASE WHEN i % 13 = 0 THEN '已处理' END, s, 'b-' || s, 'raw_' || i % 7, CASE WHEN i % 7 = 3 THEN 'handle' END
        FROM range(300) r(i), (VALUES ('synth'), ('legacy'), ('casework')) v(s)
    """)
    columns = con.execute("SELECT column_name, data_type FROM information_schema.columns"
                          " WHERE table_schema = 'core' AND table_name = 'case_event' ORDER BY ordinal_position"
                          ).fetchall()
    rows = con.execute(EVENTS).fetchall()
    fingerprint = table_fingerprint(con, "core.case_event")
    assert migrate(con)[-1] >= 102
    assert con.execute("SELECT table_type FROM information_schema.tables WHERE table_schema = 'core'"
                       " AND table_name = 'case_event'").fetchall() == [("VIEW",)]
    assert con.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'core'"
                       " AND table_name = 'case_event' ORDER BY ordinal_position").fetchall() == columns
    assert con.execute(EVENTS).fetchall() == rows
    assert _stored(con) == (900, 0, 0)  # renamed in place: no row copied
    # fingerprinted as the view, with the table's fingerprint: a snapshot taken before still counts as current
    prints = database_fingerprint(con)
    assert prints["core.case_event"] == fingerprint and "core.case_event_row" not in prints
    assert con.execute("SELECT count(*) FROM marts.dash_case_step").fetchone() is not None  # readers still bind

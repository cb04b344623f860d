"""The cockpit's monthly summaries (marts.summary_*): same figures as before, no core scan at query time, rebuilt
idempotently, audited against core; and the census batches carry their district."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from dashboards.authoring import DATASETS, _charts
from dashboards.marts import summaries_match_core
from tests.support.demo_data import DemoSize, build_demo_warehouse
from warehouse.fingerprint import TABLE_VIEWS, database_fingerprint
from warehouse.mart_builders import build_marts
from warehouse.migrate import migrate

MIGRATIONS = Path(__file__).resolve().parents[2] / "warehouse" / "migrations"
SUMMARIES = ("marts.summary_case_month", "marts.summary_step_month", "marts.summary_call_month",
             "marts.summary_grid_month")


@pytest.fixture()
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    migrate(con)
    build_demo_warehouse(con, DemoSize(cases=3000, months=14))
    build_marts(con)
    yield con
    con.close()


def _previous_view(con: duckdb.DuckDBPyConnection, migration: str, view: str) -> str:
    """Create the view as an earlier migration defined it (reading core at query time), as a temp view."""
    sql = (MIGRATIONS / migration).read_text(encoding="utf-8")
    match = re.search(rf"CREATE VIEW marts\.{view} AS\n(.*?);\n", sql, re.S)
    assert match, f"{view} not in {migration}"
    con.execute(f"CREATE TEMP VIEW previous_{view} AS {match.group(1)}")
    return f"previous_{view}"


@pytest.mark.parametrize(("migration", "view", "rows"), [
    # the headline's 立案数/结案数/结案率/按期处置率 are the scorecard's since 0048 (tests/dashboards/test_assets.py)
    ("0040_dashboard_views.sql", "dash_headline", "indicator IN ('上报数', '热线来电数')"),
    ("0040_dashboard_views.sql", "dash_grid_density", "TRUE"),
    ("0042_dashboard_filter_options.sql", "dash_filter_option", "TRUE"),
])
def test_views_over_the_summaries_show_exactly_what_the_views_over_core_showed(
        con: duckdb.DuckDBPyConnection, migration: str, view: str, rows: str) -> None:
    # Cases without district or grid, and steps that record no district, are attributed as before.
    con.execute("UPDATE core.\"case\" SET district_code = NULL, grid_code = NULL WHERE hash(case_id) % 50 = 0")
    con.execute("UPDATE core.case_event_row SET district_code = NULL WHERE seq = 2")
    build_marts(con)
    previous = _previous_view(con, migration, view)
    columns = [r[0] for r in con.execute(f"DESCRIBE marts.{view}").fetchall()]
    assert columns == [r[0] for r in con.execute(f"DESCRIBE {previous}").fetchall()]
    now = con.execute(f"SELECT * FROM marts.{view} WHERE {rows} ORDER BY ALL").fetchall()
    before = con.execute(f"SELECT * FROM {previous} WHERE {rows} ORDER BY ALL").fetchall()
    assert len(now) > 50 and now == before


def test_monthly_case_and_step_views_add_up_to_the_per_case_and_per_step_views(
        con: duckdb.DuckDBPyConnection) -> None:
    monthly = con.execute("""
        SELECT period_month, district_name, source_name, kind_name, major_name, sum(reported), sum(registered),
               sum(closed) FROM marts.dash_case_monthly GROUP BY ALL ORDER BY ALL""").fetchall()
    # reported and closed count in the month reported, registered in the month of the first 立案
    per_case = con.execute("""
        SELECT m, district_name, source_name, kind_name, major_name, sum(r), sum(g), sum(c) FROM (
            SELECT period_month AS m, district_name, source_name, kind_name, major_name, 1 AS r, 0 AS g,
                   CAST(is_closed AS INTEGER) AS c FROM marts.dash_case
            UNION ALL
            SELECT registered_month, district_name, source_name, kind_name, major_name, 0, 1, 0
            FROM marts.dash_case WHERE is_registered)
        GROUP BY ALL ORDER BY ALL""").fetchall()
    assert len(monthly) > 100 and monthly == per_case
    steps = con.execute("""
        SELECT period_month, district_name, step_name, step_order, sum(on_time), sum(with_deadline)
        FROM marts.dash_step_monthly GROUP BY ALL ORDER BY ALL""").fetchall()
    per_step = con.execute("""
        SELECT period_month, district_name, step_name, step_order, sum(on_time), count(*)
        FROM marts.dash_case_step GROUP BY ALL ORDER BY ALL""").fetchall()
    assert len(steps) > 50 and steps == per_step


def _tables_read(con: duckdb.DuckDBPyConnection, sql: str) -> set[str]:
    plan = con.execute(f"EXPLAIN (FORMAT JSON) {sql}").fetchall()[0][1]
    found: set[str] = set()

    def walk(node: dict) -> None:
        table = node.get("extra_info", {}).get("Table")
        if table:
            found.add(str(table).split(".", 1)[1].replace('"', ""))
        for child in node.get("children", []):
            walk(child)

    for root in json.loads(plan):
        walk(root)
    behind = {t: view for view, tables in TABLE_VIEWS.items() for t in tables}  # core.case_event's tables (0102)
    return {behind.get(t, t) for t in found}


def test_no_cockpit_chart_or_filter_reads_case_step_or_call_rows_at_query_time(
        con: duckdb.DuckDBPyConnection) -> None:
    keys = {dataset for row in _charts()["cockpit"] for _k, _t, dataset, *_ in row["row"]} | {"filter_option"}
    assert {"headline", "case_month", "step_month", "grid_density", "filter_option"} == keys
    for key in keys:
        read = _tables_read(con, f"SELECT * FROM marts.{DATASETS[key]['view']}")
        assert read, key
        assert not read & {"core.case", "core.case_event", "core.hotline_call"}, (key, read)
    assert "core.case_event" in _tables_read(con, "SELECT * FROM marts.dash_case_step")  # the probe sees scans


def _summary_fingerprints(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, str]]:
    return {t: fp for t, fp in database_fingerprint(con).items() if t in SUMMARIES}


def test_rebuilding_is_idempotent_and_follows_core(con: duckdb.DuckDBPyConnection) -> None:
    first = _summary_fingerprints(con)
    assert len(first) == 4 and all(rows for rows, _ in first.values())
    build_marts(con)
    assert _summary_fingerprints(con) == first
    con.execute("""INSERT INTO core."case" (case_id, origin_system, origin_case_id, source, reported_at,
                   district_code, grid_code, status, batch_id)
                   SELECT 'late:' || i, 'late', 'L' || i, 'public', TIMESTAMP '2026-10-30 10:00', '140623', NULL,
                          'closed', 'late' FROM range(7) t(i)""")
    build_marts(con)
    assert _summary_fingerprints(con)["marts.summary_case_month"] != first["marts.summary_case_month"]
    assert con.execute("SELECT sum(reported), sum(closed) FROM marts.summary_case_month"
                       " WHERE district_code = '140623' AND source = 'public' AND kind IS NULL"
                       " AND period_start = DATE '2026-10-01'").fetchone() == (7, 7)


def test_the_audit_refuses_a_summary_that_disagrees_with_core(con: duckdb.DuckDBPyConnection) -> None:
    assert summaries_match_core(con) == []
    con.execute("UPDATE core.\"case\" SET status = 'closed' WHERE status = 'handling'"
                " AND reported_at >= (SELECT max(period_start) FROM marts.summary_case_month)")
    con.execute("DELETE FROM core.hotline_call WHERE call_id = 'call-1'")
    problems = summaries_match_core(con)
    assert any(p.startswith("marts.summary_case_month: total") for p in problems), problems
    assert any("per district" in p for p in problems), problems
    assert any(p.startswith("marts.summary_call_month: total calls") for p in problems), problems
    # A sample the totals cannot see: two districts swap cases of the latest month.
    build_marts(con)
    con.execute("UPDATE marts.summary_case_month SET district_code = CASE district_code WHEN '140602' THEN"
                " '140681' WHEN '140681' THEN '140602' END WHERE district_code IN ('140602', '140681')"
                " AND period_start = (SELECT max(period_start) FROM marts.summary_case_month)")
    problems = summaries_match_core(con)
    assert len(problems) == 1 and "per district" in problems[0], problems
    build_marts(con)
    assert summaries_match_core(con) == []


def test_census_batches_carry_the_district_they_were_loaded_for(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute("SELECT batch_id, district_code, district_name FROM marts.dash_census_batch"
                       " ORDER BY batch_id").fetchall()
    assert len(rows) == 6 and len({r[1] for r in rows}) == 6 and all(r[1] and r[2] != "全市" for r in rows)
    # Each batch's district is the district of the components it wrote.
    assert con.execute("""SELECT count(*) FROM marts.dash_census_batch b JOIN core.component c
        ON c.change_source = b.batch_id WHERE c.district_code <> b.district_code""").fetchone() == (0,)
    # A whole-file rejection records the district under options; a batch with no record takes its components'.
    con.execute("INSERT INTO landing.landed_file VALUES ('census-bad', 'census', 'bad.csv', 'x', 1, 'bad.csv',"
                " TIMESTAMP '2026-10-01 09:00')")
    con.execute("INSERT INTO landing.load VALUES ('census-bad', 'core.component', 1, 0, 1,"
                " TIMESTAMP '2026-10-01 10:00', '{\"rejected\": \"unreadable\", \"options\": {\"district_code\":"
                " \"140603\"}}')")
    con.execute("UPDATE landing.load SET detail = NULL WHERE batch_id = 'census-demo00000000005'")
    found = dict(con.execute("SELECT batch_id, district_name FROM marts.dash_census_batch").fetchall())
    assert found["census-bad"] == "平鲁区" and found["census-demo00000000005"] == "怀仁市"

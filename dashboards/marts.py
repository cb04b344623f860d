"""The cockpit's monthly summaries: rebuilt from core in the work database before every publish, audited after.

The tables (marts.summary_*, migration 0043; their queries are the table models
warehouse/models/marts/marts.summary_*.sql) hold counts per month and district; the cockpit's views read them, so
no cockpit chart scans core.case, core.case_event or core.hotline_call at query time. ``Warehouse.publish`` runs
:func:`build_summaries` inside its one mart-build transaction (warehouse.mart_builders) — whatever path publishes
(CLI, Airflow steps, demo), the snapshot's summaries are rebuilt from the core rows it carries. The audit
:func:`summaries_match_core` then checks, on the candidate snapshot, that totals and the latest month per district
agree with core, so a snapshot with a stale or wrong summary is never published.
"""

from __future__ import annotations

import duckdb

from szcg.vocabulary import CaseState
from warehouse.models import table_model

CLOSED = CaseState.closed

# What each summary holds is a table model (warehouse/models/marts/<table>.sql); the tables are migration 0043's.
SUMMARIES = ("marts.summary_case_month", "marts.summary_step_month", "marts.summary_call_month",
             "marts.summary_grid_month")


# Written first: the one meaning of 立案, which marts.summary_case_month (and marts.dash_case) read.
REGISTRATION = "marts.case_registration"


def build_summaries(con: duckdb.DuckDBPyConnection) -> None:
    """Rewrite every summary from core (the caller holds the transaction): same core, same summaries."""
    for table in (REGISTRATION, *SUMMARIES):
        con.execute(f"DELETE FROM {table}")
        con.execute(f"INSERT INTO {table} {table_model(table)} ORDER BY ALL")


def _scalar_row(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[int, ...]:
    row = con.execute(sql).fetchone()
    assert row is not None
    return tuple(int(v or 0) for v in row)


def summaries_match_core(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Totals of every summary, and the latest month per district in full, equal what core says."""
    hint = " — the summary is stale or wrong (Warehouse.publish rebuilds it; dashboards.marts)"
    problems = []
    # core's cases with their 立案 (the one definition, computed here from the events, not read from the mart)
    cases = f"core.\"case\" c LEFT JOIN ({table_model(REGISTRATION)}) r ON r.case_id = c.case_id"
    totals = [
        ("marts.summary_case_month", "reported, registered, closed",
         "SELECT sum(reported), sum(registered), sum(closed) FROM marts.summary_case_month",
         f"SELECT count(*), count(r.case_id), count(*) FILTER (WHERE c.status = '{CLOSED}') FROM {cases}"),
        ("marts.summary_step_month", "on time, with deadline",
         "SELECT sum(on_time), sum(with_deadline) FROM marts.summary_step_month",
         "SELECT count(*) FILTER (WHERE deadline_met), count(deadline_met) FROM core.case_event"),
        ("marts.summary_call_month", "calls", "SELECT sum(calls) FROM marts.summary_call_month",
         "SELECT count(*) FROM core.hotline_call"),
        ("marts.summary_grid_month", "cases with a grid", "SELECT sum(cases) FROM marts.summary_grid_month",
         "SELECT count(grid_code) FROM core.\"case\""),
    ]
    for table, what, summary_sql, core_sql in totals:
        summary, core = _scalar_row(con, summary_sql), _scalar_row(con, core_sql)
        if summary != core:
            problems.append(f"{table}: total {what} {summary} ≠ core {core}{hint}")
    # A sample in full: the latest month's cases per district (month and district attribution, not just totals).
    latest = con.execute("SELECT max(period_start) FROM marts.summary_case_month").fetchone()
    if latest is not None and latest[0] is not None:
        summary_rows = con.execute(
            "SELECT district_code, sum(reported), sum(registered), sum(closed) FROM marts.summary_case_month"
            " WHERE period_start = ? GROUP BY ALL ORDER BY 1 NULLS FIRST", [latest[0]]).fetchall()
        reported = "date_trunc('month', c.reported_at) = $m"
        core_rows = con.execute(
            f"SELECT c.district_code, count(*) FILTER (WHERE {reported}),"
            f" count(*) FILTER (WHERE date_trunc('month', r.registered_at) = $m),"
            f" count(*) FILTER (WHERE {reported} AND c.status = '{CLOSED}') FROM {cases}"
            f" WHERE {reported} OR date_trunc('month', r.registered_at) = $m"
            " GROUP BY ALL ORDER BY 1 NULLS FIRST", {"m": latest[0]}).fetchall()
        if [tuple(r) for r in summary_rows] != [tuple(r) for r in core_rows]:
            problems.append(f"marts.summary_case_month: {latest[0]:%Y-%m} per district {summary_rows} ≠ core"
                            f" {core_rows}{hint}")
    return problems

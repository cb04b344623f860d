"""The cockpit's monthly summaries: rebuilt from core in the work database before every publish, audited after.

The tables (marts.summary_*, migration 0043) hold counts per month and district; the cockpit's views read them, so
no cockpit chart scans core.case, core.case_event or core.hotline_call at query time. ``Warehouse.publish`` runs
:func:`build_summaries` inside its one mart-build transaction (warehouse.mart_builders) — whatever path publishes
(CLI, Airflow steps, demo), the snapshot's summaries are rebuilt from the core rows it carries. The audit
:func:`summaries_match_core` then checks, on the candidate snapshot, that totals and the latest month per district
agree with core, so a snapshot with a stale or wrong summary is never published.
"""

from __future__ import annotations

import duckdb

# Statuses before 立案 (as marts.dash_case.is_registered).
NOT_REGISTERED = "('reported', 'verifying', 'accepted', 'rejected')"

SUMMARY_SQL: dict[str, str] = {
    "marts.summary_case_month": f"""
        SELECT CAST(date_trunc('month', c.reported_at) AS DATE), c.district_code, c.source, c.kind,
               coalesce(sc.major_name, '未分类'), count(*),
               count(*) FILTER (WHERE c.status NOT IN {NOT_REGISTERED}), count(*) FILTER (WHERE c.status = 'closed')
        FROM core."case" c
        LEFT JOIN core.subclass sc ON sc.edition = c.edition AND sc.kind = c.kind AND sc.code = c.subclass_code
        GROUP BY ALL""",
    # Steps that record their district need no join; only the others look up their case's district.
    "marts.summary_step_month": """
        SELECT CAST(date_trunc('month', occurred_at) AS DATE), district_code, step,
               count(*) FILTER (WHERE deadline_met), count(*)
        FROM (
            SELECT occurred_at, district_code, coalesce(step, action) AS step, deadline_met
            FROM core.case_event WHERE deadline_met IS NOT NULL AND district_code IS NOT NULL
            UNION ALL
            SELECT e.occurred_at, c.district_code, coalesce(e.step, e.action), e.deadline_met
            FROM core.case_event e LEFT JOIN core."case" c ON c.case_id = e.case_id
            WHERE e.deadline_met IS NOT NULL AND e.district_code IS NULL
        )
        GROUP BY ALL""",
    "marts.summary_call_month": """
        SELECT CAST(date_trunc('month', called_at) AS DATE), district_code, count(*)
        FROM core.hotline_call GROUP BY ALL""",
    "marts.summary_grid_month": """
        SELECT CAST(date_trunc('month', reported_at) AS DATE), grid_code, count(*)
        FROM core."case" WHERE grid_code IS NOT NULL GROUP BY ALL""",
}


def build_summaries(con: duckdb.DuckDBPyConnection) -> None:
    """Rewrite every summary from core (the caller holds the transaction): same core, same summaries."""
    for table, select in SUMMARY_SQL.items():
        con.execute(f"DELETE FROM {table}")
        con.execute(f"INSERT INTO {table} {select} ORDER BY ALL")


def _scalar_row(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[int, ...]:
    row = con.execute(sql).fetchone()
    assert row is not None
    return tuple(int(v or 0) for v in row)


def summaries_match_core(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Totals of every summary, and the latest month per district in full, equal what core says."""
    hint = " — the summary is stale or wrong (Warehouse.publish rebuilds it; dashboards.marts)"
    problems = []
    totals = [
        ("marts.summary_case_month", "reported, registered, closed",
         "SELECT sum(reported), sum(registered), sum(closed) FROM marts.summary_case_month",
         f"SELECT count(*), count(*) FILTER (WHERE status NOT IN {NOT_REGISTERED}),"
         " count(*) FILTER (WHERE status = 'closed') FROM core.\"case\""),
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
        core_rows = con.execute(
            f"SELECT district_code, count(*), count(*) FILTER (WHERE status NOT IN {NOT_REGISTERED}),"
            " count(*) FILTER (WHERE status = 'closed') FROM core.\"case\""
            " WHERE reported_at >= ? AND reported_at < CAST(? AS DATE) + INTERVAL 1 MONTH"
            " GROUP BY ALL ORDER BY 1 NULLS FIRST", [latest[0], latest[0]]).fetchall()
        if [tuple(r) for r in summary_rows] != [tuple(r) for r in core_rows]:
            problems.append(f"marts.summary_case_month: {latest[0]:%Y-%m} per district {summary_rows} ≠ core"
                            f" {core_rows}{hint}")
    return problems

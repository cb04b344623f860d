"""Run the evaluation models in DuckDB: working calendar, facts, indicators, lineage, scores (all as temp tables).

Python only prepares small inputs (one calendar row per day, the scheme as tables) and generates the aggregate
SQL from the indicator catalogue; every per-case computation happens in DuckDB.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib import resources

import duckdb

from standards.calendar import WorkingCalendar
from transforms.evaluation.indicators import CATALOGUE, REGION_LEVELS, Indicator, indicators_of
from transforms.evaluation.period import Period
from transforms.evaluation.scheme import Scheme

FACT_MODELS = ("01_events.sql", "02_case_summary.sql", "03_case_fact.sql", "04_department_fact.sql",
               "05_post_fact.sql")
SCORE_MODEL = "10_score.sql"


@dataclass(frozen=True)
class Exclusion:
    """An accepted appeal: ``case_id`` does not count for ``indicator`` (None = every indicator) of the entity."""

    object: str
    entity_code: str
    case_id: str
    indicator: str | None


def sql_model(name: str) -> str:
    return resources.files("transforms.evaluation.sql").joinpath(name).read_text(encoding="utf-8")


# --- working calendar -------------------------------------------------------------------------------------------
def day_minutes_sql(calendar: WorkingCalendar) -> str:
    """SQL for working minutes from midnight to minute-of-day ``m`` on a working day (periods from the config)."""
    parts = [f"least(greatest(m - {start}, 0), {end - start})" for start, end in calendar.periods]
    return " + ".join(parts)


def build_calendar(con: duckdb.DuckDBPyConnection, calendar: WorkingCalendar, first: date, last: date) -> int:
    """eval_calendar(day, working, cum_before): cumulative working minutes before each day from ``first``.

    Working minutes of an instant t = cum_before(day of t) + eval_day_minutes(minute of day of t) on working days;
    a duration in working time is the difference of two such values (one join per endpoint, no per-case loops)."""
    per_day = sum(end - start for start, end in calendar.periods)
    rows: list[tuple[date, bool, float]] = []
    cum = 0.0
    d = first
    while d <= last:
        working = calendar.is_working_day(d)
        rows.append((d, working, cum))
        cum += per_day if working else 0
        d += timedelta(days=1)
    con.execute("CREATE OR REPLACE TEMP TABLE eval_calendar (day DATE PRIMARY KEY, working BOOLEAN, cum_before DOUBLE)")
    if rows:
        con.executemany("INSERT INTO eval_calendar VALUES (?, ?, ?)", rows)
    con.execute(f"CREATE OR REPLACE TEMP MACRO eval_day_minutes(m) AS ({day_minutes_sql(calendar)})")
    con.execute(
        "CREATE OR REPLACE TEMP MACRO eval_wm(ts, cum, working) AS "
        "cum + CASE WHEN working THEN eval_day_minutes(epoch(ts - date_trunc('day', ts)) / 60.0) ELSE 0 END"
    )
    return len(rows)


# --- scheme as tables -------------------------------------------------------------------------------------------
def load_scheme_tables(con: duckdb.DuckDBPyConnection, scheme: Scheme) -> None:
    con.execute("CREATE OR REPLACE TEMP TABLE eval_scheme_indicator "
                "(object VARCHAR, indicator VARCHAR, method VARCHAR, weight DOUBLE, band_table VARCHAR)")
    con.execute("CREATE OR REPLACE TEMP TABLE eval_scheme_band "
                "(band_table VARCHAR, lo DOUBLE, hi DOUBLE, score DOUBLE)")
    con.execute("CREATE OR REPLACE TEMP TABLE eval_grade (grade VARCHAR, lo DOUBLE, colour VARCHAR, hex VARCHAR)")
    con.execute("CREATE OR REPLACE TEMP TABLE eval_scheme_sample "
                "(object VARCHAR, level VARCHAR, sample_indicator VARCHAR, min_sample BIGINT)")
    ind_rows = [(o.object, s.indicator, s.method, s.weight, s.bands)
                for o in scheme.objects.values() for s in o.indicators]
    if ind_rows:
        con.executemany("INSERT INTO eval_scheme_indicator VALUES (?, ?, ?, ?, ?)", ind_rows)
    band_rows = []
    for name, bands in scheme.bands.items():
        lo = float("-inf")
        for b in bands:
            band_rows.append((name, lo, b.max, b.score))
            lo = b.max if b.max is not None else lo
    if band_rows:
        con.executemany("INSERT INTO eval_scheme_band VALUES (?, ?, ?, ?)", band_rows)
    con.executemany("INSERT INTO eval_grade VALUES (?, ?, ?, ?)", [(g.grade, g.min, g.colour, g.hex)
                                                                   for g in scheme.grades])
    sample_rows = [(o.object, lv, o.sample, n) for o in scheme.objects.values() for lv, n in o.min_sample.items()]
    con.executemany("INSERT INTO eval_scheme_sample VALUES (?, ?, ?, ?)", sample_rows)


def load_exclusions(con: duckdb.DuckDBPyConnection, exclusions: list[Exclusion]) -> None:
    con.execute("CREATE OR REPLACE TEMP TABLE eval_exclusion "
                "(object VARCHAR, entity_code VARCHAR, case_id VARCHAR, indicator VARCHAR)")
    if exclusions:
        con.executemany("INSERT INTO eval_exclusion VALUES (?, ?, ?, ?)",
                        [(x.object, x.entity_code, x.case_id, x.indicator) for x in exclusions])
    con.execute("CREATE OR REPLACE TEMP MACRO eval_excluded(x, k) AS "
                "(x IS NOT NULL AND (list_contains(x, k) OR list_contains(x, '*')))")


# --- generated aggregate and lineage SQL ------------------------------------------------------------------------
def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _aggregates(ind: Indicator) -> tuple[str, str]:
    keep = f"NOT eval_excluded(excluded, {_q(ind.key)})"
    if ind.kind == "count":
        return f"count(*) FILTER (WHERE ({ind.numerator}) AND {keep})", "NULL"
    if ind.kind == "rate":
        return (f"count(*) FILTER (WHERE ({ind.numerator}) AND ({ind.denominator}) AND {keep})",
                f"count(*) FILTER (WHERE ({ind.denominator}) AND {keep})")
    return (f"coalesce(sum({ind.numerator}) FILTER (WHERE ({ind.denominator}) AND {keep}), 0)",
            f"count(*) FILTER (WHERE ({ind.denominator}) AND {keep})")


def _value(ind: Indicator, n: str, d: str) -> str:
    if ind.kind == "count":
        return f"CAST({n} AS DOUBLE)"
    if ind.kind == "mean":
        return f"CASE WHEN {d} > 0 THEN {n} / {d} END"
    return f"CASE WHEN {d} > 0 THEN CAST({n} AS DOUBLE) / {d} END"


def indicator_sql() -> str:
    """One aggregate pass per fact table, unpivoted into eval_indicator (long format)."""
    selects: list[str] = []
    # regions: one pass with grouping sets over the four levels
    region = indicators_of("region")
    cols = []
    for k, ind in enumerate(region):
        n, d = _aggregates(ind)
        cols += [f"{n} AS n{k}", f"{d} AS d{k}"]
    level_case = " ".join(f"WHEN grouping({lv}_code) = 0 THEN '{lv}'" for lv in REGION_LEVELS)
    codes = ", ".join(f"{lv}_code" for lv in REGION_LEVELS)
    sets = ", ".join(f"({lv}_code)" for lv in REGION_LEVELS)
    wide_region = (f"SELECT CASE {level_case} END AS level, coalesce({codes}) AS entity_code, {', '.join(cols)} "
                   f"FROM eval_case_fact GROUP BY GROUPING SETS ({sets})")
    selects += _unpivot("region", region, "wide_region", "level")
    dept = indicators_of("department")
    cols = []
    for k, ind in enumerate(dept):
        n, d = _aggregates(ind)
        cols += [f"{n} AS n{k}", f"{d} AS d{k}"]
    wide_dept = (f"SELECT department_code AS entity_code, {', '.join(cols)} FROM eval_department_fact "
                 "GROUP BY department_code")
    selects += _unpivot("department", dept, "wide_dept", "'department'")
    post_ctes = []
    for obj in ("supervisor", "operator", "shift_leader", "dispatcher"):
        inds = indicators_of(obj)
        cols = []
        for k, ind in enumerate(inds):
            n, d = _aggregates(ind)
            cols += [f"{n} AS n{k}", f"{d} AS d{k}"]
        post_ctes.append(f"wide_{obj} AS (SELECT actor_id AS entity_code, {', '.join(cols)} FROM eval_post_fact "
                         f"WHERE object = '{obj}' GROUP BY actor_id)")
        selects += _unpivot(obj, inds, f"wide_{obj}", f"'{obj}'")
    ctes = [f"wide_region AS ({wide_region})", f"wide_dept AS ({wide_dept})", *post_ctes]
    return ("CREATE OR REPLACE TEMP TABLE eval_indicator AS WITH " + ", ".join(ctes) + " "
            + " UNION ALL ".join(selects))


def _unpivot(obj: str, inds: list[Indicator], wide: str, level: str) -> list[str]:
    out = []
    for k, ind in enumerate(inds):
        out.append(
            f"SELECT '{obj}' AS object, {level} AS level, entity_code, {_q(ind.key)} AS indicator, "
            f"{_q(ind.label)} AS label, CAST(n{k} AS DOUBLE) AS numerator, CAST(d{k} AS DOUBLE) AS denominator, "
            f"{_value(ind, f'n{k}', f'd{k}')} AS value FROM {wide} WHERE entity_code IS NOT NULL"
        )
    return out


def lineage_sql() -> str:
    """eval_lineage: for every indicator, the cases in its numerator and in its denominator."""
    parts: list[str] = []
    for ind in CATALOGUE:
        keep = f"NOT eval_excluded(excluded, {_q(ind.key)})"
        roles: list[tuple[str, str]] = []
        if ind.kind == "count":
            roles.append(("numerator", f"({ind.numerator})"))
        elif ind.kind == "rate":
            roles += [("numerator", f"({ind.numerator}) AND ({ind.denominator})"),
                      ("denominator", f"({ind.denominator})")]
        else:
            roles += [("numerator", f"({ind.denominator})"), ("denominator", f"({ind.denominator})")]
        for role, cond in roles:
            head = f"'{ind.object}' AS object"
            if ind.object == "region":
                for lv in REGION_LEVELS:
                    parts.append(f"SELECT {head}, '{lv}' AS level, {lv}_code AS entity_code, "
                                 f"{_q(ind.key)} AS indicator, case_id, '{role}' AS role, "
                                 f"CAST(NULL AS INTEGER) AS event_seq FROM eval_case_fact "
                                 f"WHERE {lv}_code IS NOT NULL AND {cond} AND {keep}")
            elif ind.object == "department":
                parts.append(f"SELECT {head}, 'department', department_code, {_q(ind.key)}, case_id, '{role}', "
                             f"CAST(NULL AS INTEGER) FROM eval_department_fact WHERE {cond} AND {keep}")
            else:
                parts.append(f"SELECT {head}, '{ind.object}', actor_id, {_q(ind.key)}, case_id, '{role}', seq "
                             f"FROM eval_post_fact WHERE object = '{ind.object}' AND {cond} AND {keep}")
    return "CREATE OR REPLACE TEMP TABLE eval_lineage AS " + " UNION ALL ".join(parts)


# --- the run ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RunInfo:
    period: Period
    as_of: datetime
    cases_in_scope: int
    cohort_cases: int
    calendar_days: int


def run(
    con: duckdb.DuckDBPyConnection,
    period: Period,
    scheme: Scheme,
    calendar: WorkingCalendar,
    *,
    as_of: datetime | None = None,
    exclusions: list[Exclusion] | None = None,
    lineage: bool = True,
) -> RunInfo:
    """Compute everything for ``period`` into temp tables eval_indicator_scored, eval_score (and eval_lineage)."""
    cutoff = as_of or period.end_at
    window_end = min(period.end_at, cutoff)
    con.execute("SET preserve_insertion_order = false")  # temp tables need no order; saves memory and time
    con.execute("SET VARIABLE eval_start = ?", [period.start_at])
    con.execute("SET VARIABLE eval_window_end = ?", [window_end])
    con.execute("SET VARIABLE eval_as_of = ?", [cutoff])
    con.execute("SET VARIABLE eval_public_sources = ?::VARCHAR[]", [list(scheme.public_sources)])
    load_exclusions(con, exclusions or [])
    load_scheme_tables(con, scheme)
    for name in FACT_MODELS[:2]:
        con.execute(sql_model(name))
    lo, hi = con.execute(
        "SELECT min(first_dispatch_at)::DATE, max(last_feedback_at)::DATE FROM eval_case_summary"
    ).fetchone() or (None, None)
    first = lo or period.start
    last = max(hi or period.end, first)
    days = build_calendar(con, calendar, first, last)
    for name in FACT_MODELS[2:]:
        con.execute(sql_model(name))
    con.execute(indicator_sql())
    if lineage:
        con.execute(lineage_sql())
    con.execute(sql_model(SCORE_MODEL))
    con.execute("RESET preserve_insertion_order")
    scope = con.execute("SELECT count(*) FROM eval_case_summary").fetchone()
    cohort = con.execute("SELECT count(*) FROM eval_case_fact").fetchone()
    return RunInfo(period, cutoff, int(scope[0]) if scope else 0, int(cohort[0]) if cohort else 0, days)

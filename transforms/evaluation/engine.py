"""Run the evaluation models in DuckDB: working calendar, facts, indicators, lineage, scores (all as temp tables).

Python only prepares small inputs (one calendar row per day, the scheme as tables) and generates the aggregate
SQL from the indicator catalogue; every per-case computation happens in DuckDB.

The models (``transforms/evaluation/sql/*.sql``) are Jinja templates: the engine chooses their variants by
template variables (``scope`` of the case summary, ``exclusions`` present or not, ``relation`` table or view) and
never edits their text. Values (instants, lists, indicator keys and labels) are bound parameters; the only numbers
rendered into SQL are the working calendar's minutes, typed ints, because a DuckDB macro cannot take parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import wraps
from importlib import resources
from typing import Concatenate, ParamSpec

import duckdb
import jinja2

from standards.calendar import WorkingCalendar
from standards.handbook import Handbook
from szcg.clock import REPORT_CLOCK_SLACK  # reported_at vs its events' times; the Parquet import flags beyond
from transforms.evaluation.availability import Availability, build_availability
from transforms.evaluation.indicators import REGION_LEVELS, Indicator, indicators_of
from transforms.evaluation.lineage import fact_sql, load_roles
from transforms.evaluation.params import Params
from transforms.evaluation.period import Period
from transforms.evaluation.scheme import Scheme

CASE_MODELS = ("01_case_summary.sql", "02_slow_event.sql", "03_slow_case.sql", "03_case_clock.sql")
FACT_MODELS = ("04_case_fact.sql", "05_department_fact.sql", "06_post_base.sql", "07_post_fact.sql")
# Without lineage these are read once by the aggregate (eval_post_fact not at all): views, never stored.
VIEW_WITHOUT_LINEAGE = ("eval_department_fact", "eval_post_base", "eval_post_fact")
# Read once even with lineage (by lineage.fact_sql): a view always.
ALWAYS_VIEW = ("eval_post_fact",)
LINEAGE_MODEL = "11_lineage.sql"
# eval_post_base columns that eval_post_fact's flags read: the aggregate counts events per distinct combination.
# act = eval_act(action, outcome, object) is computed once per cell, not per event.
POST_CELL_KEYS = ("object", "actor_id", "action", "outcome", "deadline_met", "case_bits", "verified_later", "returned")
SCORE_MODEL = "10_score.sql"
# The window's cases are found with a semi join unless the window holds at least this share of the events before
# the cut-off (a year): then every case is aggregated once and those without an event in the window are dropped,
# which saves a hash join over all events. Both give the same rows; this only picks the cheaper plan.
AGGREGATE_ALL_SHARE = 0.5
# History bound (see 01_case_summary.sql): events are read from this long before the period on; the cases in scope
# reported earlier are recomputed from their own earliest report. A cost knob only — any value gives the same rows:
# longer reads more events of every case, shorter sends more long-lived cases (挂账, 延期) to the second pass.
HISTORY_LOOKBACK = timedelta(days=7)
# reported_at bounds a case's events except where a loader flagged that it does not: a close before the report
# (legacy exports), an event earlier than the report by more than the slack (Parquet import). The change feed's
# reported_at is its first event. Flagged cases in scope are recomputed from all their events.
EARLY_EVENT_FLAGS = ("closed_before_opened", "event_before_report")


@dataclass(frozen=True)
class Exclusion:
    """An accepted appeal: ``case_id`` does not count for ``indicator`` (None = every indicator) of the entity."""

    object: str
    entity_code: str
    case_id: str
    indicator: str | None


# What each template renders when the engine says nothing else: the model as a table, with the appeal exclusions,
# the case summary scoped by a semi join with the window's cases.
MODEL_DEFAULTS: dict[str, object] = {"relation": "TEMP TABLE", "exclusions": True, "scope": "window",
                                     "select_only": False, "post_source": "eval_post_base"}
_TEMPLATES = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)


def sql_model(name: str, **context: object) -> str:
    """The model ``name`` rendered with ``context`` over MODEL_DEFAULTS (an unknown variable is an error)."""
    text = resources.files("transforms.evaluation.sql").joinpath(name).read_text(encoding="utf-8")
    try:
        return _TEMPLATES.from_string(text).render({**MODEL_DEFAULTS, **context})
    except jinja2.TemplateError as exc:
        raise ValueError(f"transforms/evaluation/sql/{name}: {exc}") from exc


# --- working calendar -------------------------------------------------------------------------------------------
def day_minutes_sql(calendar: WorkingCalendar) -> str:
    """SQL for working minutes from midnight to minute-of-day ``m`` on a working day (periods from the config).
    Rendered, not bound: it is a macro's body, and DuckDB macros take no parameters; the values are ints."""
    parts = [f"least(greatest(m - {int(start)}, 0), {int(end) - int(start)})" for start, end in calendar.periods]
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


def load_handle_limits(con: duckdb.DuckDBPyConnection, handbook: Handbook | None) -> int:
    """eval_handle_limit(kind, subclass_code, hours, basis): the 指挥手册 处置 limit per subclass, to judge cases still
    open at the cut-off. A case without a kind matches like ``Handbook.rule_for`` (a component rule first)."""
    con.execute("CREATE OR REPLACE TEMP TABLE eval_handle_limit "
                "(kind VARCHAR, subclass_code VARCHAR, hours DOUBLE, basis VARCHAR)")
    if handbook is None:
        return 0
    rows: dict[tuple[str | None, str], tuple[float, str]] = {}
    for rule in handbook.rules():
        limit = rule.limits["handle"]
        rows[(rule.kind, rule.subclass_code)] = (limit.hours, limit.basis)
    for rule in handbook.rules():
        if (None, rule.subclass_code) not in rows:
            kindless = handbook.rule_for(rule.subclass_code).limits["handle"]
            rows[(None, rule.subclass_code)] = (kindless.hours, kindless.basis)
    con.executemany("INSERT INTO eval_handle_limit VALUES (?, ?, ?, ?)",
                    [(k, code, h, b) for (k, code), (h, b) in rows.items()])
    return len(rows)


# --- generated aggregate and lineage SQL ------------------------------------------------------------------------
def _keep(ind: Indicator, exclusions: bool, p: Params) -> str:
    """The appeal-exclusion test, left out of the SQL when the run has no accepted appeal (the usual case)."""
    return f" AND NOT eval_excluded(excluded, {p(ind.key)})" if exclusions else ""


def _post_flags_sql(source: str) -> str:
    """The SELECT of 07_post_fact.sql, its flags over ``<source> b``."""
    return sql_model("07_post_fact.sql", select_only=True, post_source=source).strip().rstrip(";")


def _aggregates(ind: Indicator, exclusions: bool, p: Params, scope: str = "",
                count: str = "count(*)") -> tuple[str, str]:
    """(numerator, denominator) aggregates of one indicator; ``scope`` narrows the rows (e.g. one post object);
    ``count`` counts a row (``sum(n)`` over pre-counted cells)."""
    keep = _keep(ind, exclusions, p)
    if ind.kind == "count":
        return f"coalesce({count} FILTER (WHERE {scope}({ind.numerator}){keep}), 0)", "NULL"
    if ind.kind == "rate":
        return (f"coalesce({count} FILTER (WHERE {scope}({ind.numerator}) AND ({ind.denominator}){keep}), 0)",
                f"coalesce({count} FILTER (WHERE {scope}({ind.denominator}){keep}), 0)")
    if count != "count(*)":
        raise ValueError(f"{ind.key}: a mean cannot be computed from pre-counted cells")
    return (f"coalesce(sum({ind.numerator}) FILTER (WHERE {scope}({ind.denominator}){keep}), 0)",
            f"count(*) FILTER (WHERE {scope}({ind.denominator}){keep})")


def _value(ind: Indicator, n: str, d: str) -> str:
    if ind.kind == "count":
        return f"CAST({n} AS DOUBLE)"
    if ind.kind == "mean":
        return f"CASE WHEN {d} > 0 THEN {n} / {d} END"
    return f"CASE WHEN {d} > 0 THEN CAST({n} AS DOUBLE) / {d} END"


def indicator_sql(exclusions: bool = True) -> tuple[str, dict[str, object]]:
    """One aggregate pass per fact table, unpivoted into eval_indicator (long format); (statement, parameters).

    Regions: numerators and denominators are counts and sums, so they are computed once per (district, street,
    community, grid) and the four levels are rolled up from those few thousand rows with GROUPING SETS. Posts: one
    pass grouped by (object, actor) with each object's aggregates filtered to its rows."""
    selects: list[str] = []
    p = Params()
    region = indicators_of("region")
    codes = ", ".join(f"{lv}_code" for lv in REGION_LEVELS)
    cols, sums = [], []
    for k, ind in enumerate(region):
        n, d = _aggregates(ind, exclusions, p)
        cols += [f"{n} AS n{k}", f"{d} AS d{k}"]
        sums += [f"sum(n{k}) AS n{k}", f"sum(d{k}) AS d{k}"]
    cell = f"SELECT {codes}, {', '.join(cols)} FROM eval_case_fact GROUP BY {codes}"
    level_case = " ".join(f"WHEN grouping({lv}_code) = 0 THEN {p(lv)}" for lv in REGION_LEVELS)
    sets = ", ".join(f"({lv}_code)" for lv in REGION_LEVELS)
    wide_region = (f"SELECT CASE {level_case} END AS level, coalesce({codes}) AS entity_code, {', '.join(sums)} "
                   f"FROM region_cell GROUP BY GROUPING SETS ({sets})")
    selects += _unpivot(p, "region", region, "wide_region", "level", "n{k}", "d{k}")
    dept = indicators_of("department")
    cols = []
    for k, ind in enumerate(dept):
        n, d = _aggregates(ind, exclusions, p)
        cols += [f"{n} AS n{k}", f"{d} AS d{k}"]
    wide_dept = (f"SELECT department_code AS entity_code, {', '.join(cols)} FROM eval_department_fact "
                 "GROUP BY department_code")
    selects += _unpivot(p, "department", dept, "wide_dept", p("department"), "n{k}", "d{k}")
    # posts: the events were first counted per (object, actor, what the flags read) — a few thousand cells, see
    # post_cell_sql — then 07_post_fact's flags are evaluated once per cell and every indicator sums their counts
    post_flags = _post_flags_sql("eval_post_cell")
    cols = []
    for obj in ("supervisor", "operator", "shift_leader", "dispatcher"):
        inds = indicators_of(obj)
        for k, ind in enumerate(inds):
            n, d = _aggregates(ind, exclusions, p, f"object = {p(obj)} AND ", "sum(n)")
            cols += [f"{n} AS n_{obj}_{k}", f"{d} AS d_{obj}_{k}"]
        selects += _unpivot(p, obj, inds, "wide_post", p(obj), f"n_{obj}_{{k}}", f"d_{obj}_{{k}}",
                            f"object = {p(obj)}")
    wide_post = (f"SELECT object, actor_id AS entity_code, {', '.join(cols)} FROM post_flags "
                 "GROUP BY object, actor_id")
    ctes = [f"region_cell AS ({cell})", f"wide_region AS ({wide_region})", f"wide_dept AS ({wide_dept})",
            f"post_flags AS ({post_flags})", f"wide_post AS ({wide_post})"]
    return ("CREATE OR REPLACE TEMP TABLE eval_indicator AS WITH " + ", ".join(ctes) + " "
            + " UNION ALL ".join(selects)), p.values


def post_cell_sql(exclusions: bool = True) -> str:
    """eval_post_cell: the post events counted per (object, actor, what 07_post_fact's flags read).

    A statement of its own: inside the indicator statement the optimizer pushed every indicator's object test
    down into the scan of all events as one long OR (more costly than the rest of the post pass)."""
    keys = ", ".join([*POST_CELL_KEYS, *(["excluded"] if exclusions else [])])
    return (f"CREATE OR REPLACE TEMP TABLE eval_post_cell AS SELECT {keys}, eval_act(action, outcome, object) AS act, "
            f"count(*) AS n FROM eval_post_base GROUP BY {keys}")


def _unpivot(p: Params, obj: str, inds: list[Indicator], wide: str, level: str, n_col: str, d_col: str,
             where: str = "TRUE") -> list[str]:
    out = []
    for k, ind in enumerate(inds):
        n, d = n_col.format(k=k), d_col.format(k=k)
        out.append(
            f"SELECT {p(obj)} AS object, {level} AS level, entity_code, {p(ind.key)} AS indicator, "
            f"{p(ind.label)} AS label, CAST({n} AS DOUBLE) AS numerator, CAST({d} AS DOUBLE) AS denominator, "
            f"{_value(ind, n, d)} AS value FROM {wide} WHERE entity_code IS NOT NULL AND {where}"
        )
    return out


def lineage_sql(exclusions: bool = True) -> tuple[str, dict[str, object]]:
    """eval_lineage_fact: what each case (each post event) counted in, once, as bit masks (lineage.py);
    (statement, params). The rows per (entity, indicator, role, case) are derived from it (11_lineage.sql)."""
    return fact_sql(exclusions)


# --- the run ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RunInfo:
    period: Period
    as_of: datetime
    cases_in_scope: int
    cohort_cases: int
    calendar_days: int
    early_history_cases: int = 0  # cases in scope reported before the history bound, recomputed (see run)
    # per indicator and object level: whether the period's events hold its inputs, else why not (availability.py)
    availability: tuple[Availability, ...] = ()

    # cases in scope without any 立案 event / first registered before the period (why a cohort can be empty)
    unregistered_cases: int = 0
    registered_before_cases: int = 0

    @property
    def unavailable(self) -> list[Availability]:
        return [a for a in self.availability if not a.available]

    @property
    def warnings(self) -> list[dict[str, object]]:
        """What the office must know before trusting the draft: cases in scope but an empty cohort (every 区域 and
        专业部门 indicator is then unavailable), with the reason."""
        if self.cases_in_scope == 0 or self.cohort_cases > 0:
            return []
        reasons = []
        if self.unregistered_cases:
            reasons.append(f"{self.unregistered_cases} 件没有立案（立案）环节记录（导入的历史案件可在映射中声明缺失的"
                           "立案，如 steps.registered: at_report）")
        if self.registered_before_cases:
            reasons.append(f"{self.registered_before_cases} 件在本期之前已立案")
        return [{"code": "empty_cohort", "cases_in_scope": self.cases_in_scope,
                 "unregistered_cases": self.unregistered_cases,
                 "registered_before_cases": self.registered_before_cases,
                 "message": f"本期有 {self.cases_in_scope} 件案件有事件，但没有一件在本期立案，"
                            "区域和专业部门评价无案件可评：" + "；".join(reasons)}]


def _instant(value: datetime) -> str:
    """A parameter for ``CAST($x AS TIMESTAMP)``: binding a Python datetime costs ~1 s of imports on first use."""
    return value.isoformat(sep=" ")


# The post events (all events of the window: 60 M in a year) are LEFT JOINed with eval_case_summary. DuckDB's
# build-side optimizer underestimates the filtered events and builds its hash table on them instead of on the case
# summary; keeping the summary as the build side cut that join's CPU time by a third at 10 M cases.
KEEP_BUILD_SIDE = "build_side_probe_side"


@contextmanager
def _optimizer_off(con: duckdb.DuckDBPyConnection, name: str) -> Iterator[None]:
    row = con.execute("SELECT current_setting('disabled_optimizers')").fetchone()
    before = str(row[0]) if row and row[0] else ""
    con.execute("SET disabled_optimizers = $1", [",".join(x for x in (before, name) if x)])
    try:
        yield
    finally:
        con.execute("SET disabled_optimizers = $1", [before])


def _drop_relation(con: duckdb.DuckDBPyConnection, relation: str) -> None:
    """Drop the temp table or view ``relation`` (one of the engine's own names) if there is one."""
    old = con.execute("SELECT 'VIEW' FROM duckdb_views() WHERE temporary AND view_name = ? UNION ALL "
                      "SELECT 'TABLE' FROM duckdb_tables() WHERE temporary AND table_name = ?",
                      [relation, relation]).fetchone()
    if old:
        con.execute(f"DROP {old[0]} {relation}")


def _replace_model(con: duckdb.DuckDBPyConnection, name: str, exclusions: bool, as_view: bool) -> None:
    """Create a model as a table, or as a view when it is read only once; whatever it was before is dropped.
    ``name`` is one of FACT_MODELS, whose file creates the relation eval_<name without number and .sql>."""
    _drop_relation(con, f"eval_{name[3:-4]}")
    con.execute(sql_model(name, exclusions=exclusions, relation="TEMP VIEW" if as_view else "TEMP TABLE"))


def _case_summary_sql(con: duckdb.DuckDBPyConnection) -> str:
    """01_case_summary with the cheaper of two equivalent ways to keep the cases that have an event in the window."""
    row = con.execute(
        "SELECT count(*) FILTER (WHERE occurred_at >= getvariable('eval_start') "
        "AND occurred_at < getvariable('eval_window_end')), count(*) FROM core.case_event "
        "WHERE occurred_at >= getvariable('eval_lower') AND occurred_at < getvariable('eval_as_of')"
    ).fetchone()
    inside, total = (row[0], row[1]) if row else (0, 0)
    return sql_model("01_case_summary.sql",
                     scope="having" if total and inside >= AGGREGATE_ALL_SHARE * total else "window")


def _early_history(con: duckdb.DuckDBPyConnection) -> int:
    """Recompute from all their events the cases in scope that may have events before the history bound.

    eval_case_summary was aggregated over the events from eval_lower on. A case reported before eval_lower (plus the
    clock slack) may have earlier events, and a case whose row was not found between the report bounds has no known
    report, and a case flagged in EARLY_EVENT_FLAGS has events before it: those cases (eval_early_case) are
    aggregated again over their events from their earliest report on (without a report, or flagged: from the
    beginning), filtered by case, and replace their rows. Returns how many they were."""
    con.execute(  # a flagged case's reported_at does not bound its events: as if it had none (read unbounded)
        "CREATE OR REPLACE TEMP TABLE eval_early_case AS "
        "SELECT s.case_id, CASE WHEN t.case_id IS NULL THEN s.reported_at END AS reported_at "
        "FROM eval_case_summary s LEFT JOIN (SELECT case_id FROM core.\"case\" WHERE len(flags) > 0 "
        "AND list_has_any(flags, $flags::VARCHAR[])) t USING (case_id) "
        "WHERE t.case_id IS NOT NULL OR s.reported_at IS NULL "
        "OR s.reported_at < getvariable('eval_lower') + to_seconds($slack)",
        {"flags": list(EARLY_EVENT_FLAGS), "slack": int(REPORT_CLOCK_SLACK.total_seconds())},
    )
    row = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE reported_at IS NULL), min(reported_at) FROM eval_early_case"
    ).fetchone()
    n, unknown, first = row if row else (0, 0, None)
    if not n:
        return 0
    # a case without a known report has no bound: all its events before eval_lower are read
    since = "-infinity" if unknown or first is None else _instant(first - REPORT_CLOCK_SLACK)
    con.execute("SET VARIABLE eval_early_lower = least(CAST($1 AS TIMESTAMP), getvariable('eval_lower'))", [since])
    con.execute("SET VARIABLE eval_history_from = getvariable('eval_early_lower')")
    con.execute("DELETE FROM eval_case_summary WHERE case_id IN (SELECT case_id FROM eval_early_case)")
    # these cases' rows are added to the summary, and their case rows looked up without report bounds
    con.execute(sql_model("01_case_summary.sql", scope="early"))
    con.execute("SET VARIABLE eval_history_from = getvariable('eval_lower')")
    return int(n)


_P = ParamSpec("_P")


def _insertion_order_off(
    func: Callable[Concatenate[duckdb.DuckDBPyConnection, _P], RunInfo],
) -> Callable[Concatenate[duckdb.DuckDBPyConnection, _P], RunInfo]:
    """Temp tables need no order (less memory and time); the setting is restored however the run ends, since
    others on the same connection rely on it (the census numbers staged rows by insertion order)."""
    @wraps(func)
    def wrapper(con: duckdb.DuckDBPyConnection, *args: _P.args, **kwargs: _P.kwargs) -> RunInfo:
        con.execute("SET preserve_insertion_order = false")
        try:
            return func(con, *args, **kwargs)
        finally:
            con.execute("RESET preserve_insertion_order")
    return wrapper


@_insertion_order_off
def run(
    con: duckdb.DuckDBPyConnection,
    period: Period,
    scheme: Scheme,
    calendar: WorkingCalendar,
    *,
    as_of: datetime | None = None,
    exclusions: list[Exclusion] | None = None,
    lineage: bool = True,
    handbook: Handbook | None = None,
    history_lookback: timedelta = HISTORY_LOOKBACK,
) -> RunInfo:
    """Compute everything for ``period`` into temp tables eval_indicator_scored, eval_score (and eval_lineage).

    ``handbook`` gives the 处置 limits that judge cases still open at the cut-off (超期未处置); without it only
    recorded judgements (and deadlines recorded on 延期) count. ``history_lookback`` only changes the cost (see
    HISTORY_LOOKBACK), never the result."""
    cutoff = as_of or period.end_at
    lower = min(period.start_at - history_lookback, cutoff)
    instants = {"eval_start": period.start_at, "eval_window_end": min(period.end_at, cutoff), "eval_as_of": cutoff,
                "eval_lower": lower, "eval_history_from": lower, "eval_early_lower": lower,
                "eval_report_until": cutoff + REPORT_CLOCK_SLACK}
    for name, value in instants.items():  # names: the constants above, never input
        con.execute(f"SET VARIABLE {name} = CAST($1 AS TIMESTAMP)", [_instant(value)])
    con.execute("SET VARIABLE eval_public_sources = $1::VARCHAR[]", [list(scheme.public_sources)])
    load_exclusions(con, exclusions or [])
    load_scheme_tables(con, scheme)
    load_handle_limits(con, handbook)
    con.execute(_case_summary_sql(con))
    early = _early_history(con)
    for name in CASE_MODELS[1:]:
        con.execute(sql_model(name))
    lo, hi = con.execute(
        "SELECT min(first_dispatch_at)::DATE, max(last_feedback_at)::DATE FROM eval_case_summary"
    ).fetchone() or (None, None)
    first = lo or period.start
    last = max(hi or period.end, first, cutoff.date())  # the cut-off's day: open cases are judged at as_of
    days = build_calendar(con, calendar, first, last)
    for name in FACT_MODELS:
        table = f"eval_{name[3:-4]}"  # 05_department_fact.sql → eval_department_fact
        with _optimizer_off(con, KEEP_BUILD_SIDE if table == "eval_post_base" else ""):
            _replace_model(con, name, bool(exclusions),
                           table in ALWAYS_VIEW or (table in VIEW_WITHOUT_LINEAGE and not lineage))
    with _optimizer_off(con, KEEP_BUILD_SIDE):
        con.execute(post_cell_sql(bool(exclusions)))
    con.execute(*indicator_sql(bool(exclusions)))
    if lineage:
        con.execute(*lineage_sql(bool(exclusions)))
        load_roles(con)
        _drop_relation(con, "eval_lineage")
        con.execute(sql_model(LINEAGE_MODEL))
    available = build_availability(con)
    con.execute(sql_model(SCORE_MODEL))
    scope = con.execute("SELECT count(*), count(*) FILTER (WHERE registered_at IS NULL), count(*) FILTER (WHERE "
                        "registered_at < getvariable('eval_start')) FROM eval_case_summary").fetchone() or (0, 0, 0)
    cohort = con.execute("SELECT count(*) FROM eval_case_fact").fetchone()
    return RunInfo(period, cutoff, int(scope[0]), int(cohort[0]) if cohort else 0, days, early, tuple(available),
                   int(scope[1]), int(scope[2]))

"""What the monthly report shows, read from the published warehouse snapshot (marts + core). Nothing is typed in:
every figure is a query over the scorecard version the report cites, its lineage, or the conformed core.

The month's case cohort is the scorecard's own: the cases behind the districts' 立案数 (``marts.score_lineage``),
so sources, classes and hot grids add up to the 立案 figure of 一、综述.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from szcg import vocabulary
from transforms.evaluation.period import Period

log = logging.getLogger(__name__)

SOURCE_LABELS = {"supervisor": "监督员巡查上报", "hotline": "12319 热线", "public": "公众举报", "video": "视频监控",
                 "leader": "领导交办", "other": "其他"}
KIND_LABELS: dict[str, str] = {str(kind): label for kind, label in vocabulary.KIND_LABELS.items()}
POST_OBJECTS = ("supervisor", "operator", "shift_leader", "dispatcher")
# the four district-level figures of 一、综述, as (indicator, numerator or denominator or value)
COHORT_SQL = """
    SELECT DISTINCT case_id FROM marts.score_lineage
    WHERE period = ? AND version = ? AND object = 'region' AND level = 'district' AND indicator = 'registered'
      AND role = 'numerator'
"""


@dataclass
class Month:
    """One month's published figures, for the month reported and the two it is compared with."""

    period: str
    version: int
    totals: dict[str, Any]


@dataclass
class ReportData:
    period: Period
    version: int
    header: dict[str, Any]
    months: dict[str, Month | None]  # "this", "mom" (previous month), "yoy" (same month a year earlier)
    sources: list[dict[str, Any]]
    majors: list[dict[str, Any]]
    top_subclasses: list[dict[str, Any]]
    rankings: dict[tuple[str, str], list[dict[str, Any]]]
    indicators: dict[tuple[str, str], dict[str, dict[str, Any]]]  # (object, entity) → indicator → row
    trend: list[dict[str, Any]]
    hot_grids: list[dict[str, Any]]
    grid_shapes: dict[str, list[dict[str, Any]]]  # district → its grids (code, wkt, registered)
    repeated: list[dict[str, Any]]
    overdue: list[dict[str, Any]]
    overdue_total: int
    overdue_mean_by_department: dict[str, float]  # 超时倍数 of each department: mean over its 超期 cases
    overdue_open_by_department: dict[str, int]  # 超期未处置 at the cut-off, by department name
    hotline: dict[str, Any]
    hotline_mom: dict[str, Any] | None
    area_names: dict[str, str] = field(default_factory=dict)
    area_parents: dict[str, str] = field(default_factory=dict)  # street → district, community → street
    timings: dict[str, float] = field(default_factory=dict)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _version_of(con: duckdb.DuckDBPyConnection, period: str) -> int | None:
    row = con.execute("SELECT coalesce(max(version) FILTER (WHERE status = 'published'), min(version)) "
                      "FROM marts.scorecard WHERE period = ?", [period]).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def _published_version(con: duckdb.DuckDBPyConnection, period: str) -> int | None:
    row = con.execute("SELECT max(version) FROM marts.scorecard WHERE period = ? AND status = 'published'",
                      [period]).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def city_totals(con: duckdb.DuckDBPyConnection, period: str, version: int) -> dict[str, Any]:
    """The city's figures: district-level numerators and denominators summed (every case has one district), plus
    受理数 (the operators' 受理 events) — rates as sums of numerators over sums of denominators."""
    rows = _rows(con, "SELECT indicator, sum(numerator) AS n, sum(denominator) AS d FROM marts.indicator_value "
                      "WHERE period = ? AND version = ? AND object = 'region' AND level = 'district' GROUP BY 1",
                 [period, version])
    out: dict[str, Any] = {}
    for r in rows:
        n, d = r["n"], r["d"]
        out[r["indicator"]] = n if d is None else (n / d if d else None)
        if r["indicator"] == "close_rate":
            out["due"], out["closed"] = d, n
        if r["indicator"] == "on_time_close_rate":
            out["on_time_closed"] = n
    accepted = con.execute("SELECT sum(numerator) FROM marts.indicator_value WHERE period = ? AND version = ? "
                           "AND object = 'operator' AND indicator = 'accepted'", [period, version]).fetchone()
    out["accepted"] = accepted[0] if accepted else None
    return out


def _month(con: duckdb.DuckDBPyConnection, period: Period | None) -> Month | None:
    if period is None:
        return None
    v = _published_version(con, period.key)
    return None if v is None else Month(period.key, v, city_totals(con, period.key, v))


def _cohort_counts(con: duckdb.DuckDBPyConnection, month: Month | None, by: str) -> dict[Any, int]:
    """Cases of a month's cohort counted by an expression over core.case ``k`` and core.subclass ``s``."""
    if month is None:
        return {}
    rows = con.execute(f"""
        SELECT {by} AS key, count(*) FROM ({COHORT_SQL}) c JOIN core."case" k USING (case_id)
        LEFT JOIN core.subclass s ON s.edition = k.edition AND s.kind = k.kind AND s.code = k.subclass_code
        GROUP BY 1
    """, [month.period, month.version]).fetchall()
    return {tuple(r[0]) if isinstance(r[0], list) else r[0]: int(r[1]) for r in rows}


def _with_change(counts: dict[Any, int], before: dict[Any, int], before_known: bool) -> list[dict[str, Any]]:
    total = sum(counts.values()) or 1
    out = [{"key": k, "count": n, "share": n / total, "previous": before.get(k, 0) if before_known else None}
           for k, n in counts.items()]
    return sorted(out, key=lambda r: (-r["count"], str(r["key"])))


def _hotline(con: duckdb.DuckDBPyConnection, period: Period) -> dict[str, Any]:
    row = _rows(con, """
        SELECT count(*) AS calls,
               count(*) FILTER (WHERE case_id IS NOT NULL) AS to_cases,
               count(*) FILTER (WHERE is_repeat) AS repeats,
               count(*) FILTER (WHERE list_contains(?, satisfaction)) AS satisfied,
               count(*) FILTER (WHERE list_contains(?, satisfaction)) AS reached,
               count(DISTINCT caller_hash) FILTER (WHERE caller_hash IS NOT NULL) AS callers
        FROM core.hotline_call WHERE called_at >= ? AND called_at < ?
    """, [[str(s) for s in vocabulary.SATISFIED], [str(s) for s in vocabulary.REACHED], period.start_at,
          period.end_at])[0]
    repeat_callers = con.execute("""
        SELECT count(*) FROM (SELECT caller_hash FROM core.hotline_call WHERE called_at >= ? AND called_at < ?
                              AND caller_hash IS NOT NULL GROUP BY 1 HAVING count(*) > 1)
    """, [period.start_at, period.end_at]).fetchone()
    by = dict(con.execute("SELECT coalesce(satisfaction, 'not_recorded'), count(*) FROM core.hotline_call "
                          "WHERE called_at >= ? AND called_at < ? GROUP BY 1", [period.start_at, period.end_at]
                          ).fetchall())
    categories = con.execute("SELECT coalesce(category, '未分类'), count(*) FROM core.hotline_call "
                             "WHERE called_at >= ? AND called_at < ? GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5",
                             [period.start_at, period.end_at]).fetchall()
    calls = int(row["calls"])
    return {
        **{k: int(v) for k, v in row.items()},
        "repeat_callers": int(repeat_callers[0]) if repeat_callers else 0,
        "conversion_rate": row["to_cases"] / calls if calls else None,
        "satisfaction_rate": row["satisfied"] / row["reached"] if row["reached"] else None,
        "by_satisfaction": by,
        "categories": [(str(c), int(n)) for c, n in categories],
    }


def _indicators(con: duckdb.DuckDBPyConnection, period: str, version: int, previous: Month | None
                ) -> dict[tuple[str, str], dict[str, dict[str, Any]]]:
    out: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    rows = _rows(con, """
        SELECT i.object, i.entity_code, i.indicator, i.numerator, i.denominator, i.value, p.value AS previous_value
        FROM marts.indicator_value i
        LEFT JOIN marts.indicator_value p ON p.period = ? AND p.version = ? AND p.object = i.object
             AND p.level = i.level AND p.entity_code = i.entity_code AND p.indicator = i.indicator
        WHERE i.period = ? AND i.version = ? AND i.object <> 'region'
    """, [previous.period if previous else "", previous.version if previous else -1, period, version])
    for r in rows:
        out.setdefault((r["object"], r["entity_code"]), {})[r["indicator"]] = r
    return out


def _hot_grids(con: duckdb.DuckDBPyConnection, period: Period, version: int) -> tuple[
        list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """Every grid of the districts (geometry of the month's end) with its 立案数, and the busiest grids with
    their street, community and main subclass."""
    shapes = _rows(con, """
        WITH g AS (
            SELECT grid_code, arg_max(geometry_wkt, valid_from) AS wkt, arg_max(district_code, valid_from) AS district,
                   arg_max(street_code, valid_from) AS street, arg_max(community_code, valid_from) AS community
            FROM core.grid WHERE valid_from <= ? AND (valid_to IS NULL OR valid_to > ?) GROUP BY grid_code
        )
        SELECT g.grid_code, g.wkt, g.district, g.street, g.community, coalesce(i.value, 0) AS registered
        FROM g LEFT JOIN marts.indicator_value i
          ON i.period = ? AND i.version = ? AND i.object = 'region' AND i.level = 'grid'
         AND i.indicator = 'registered' AND i.entity_code = g.grid_code
    """, [period.end, period.end, period.key, version])
    by_district: dict[str, list[dict[str, Any]]] = {}
    for s in shapes:
        by_district.setdefault(str(s["district"]), []).append(s)
    hot = _rows(con, f"""
        WITH c AS (SELECT k.grid_code, k.district_code, k.street_code, k.community_code, k.subclass_code,
                          coalesce(s.name, k.subclass_code, '未分类') AS subclass
                   FROM ({COHORT_SQL}) x JOIN core."case" k USING (case_id)
                   LEFT JOIN core.subclass s ON s.edition = k.edition AND s.kind = k.kind
                        AND s.code = k.subclass_code
                   WHERE k.grid_code IS NOT NULL),
        g AS (SELECT grid_code, any_value(district_code) AS district, any_value(street_code) AS street,
                     any_value(community_code) AS community, count(*) AS registered FROM c GROUP BY grid_code),
        gs AS (SELECT grid_code, subclass, count(*) AS n FROM c GROUP BY ALL),
        -- the grid's main problem; a tie goes to the first name in order (arg_max would pick either, run to run)
        m AS (SELECT grid_code, first(subclass ORDER BY n DESC, subclass) AS main_subclass, max(n) AS main_count
              FROM gs GROUP BY 1)
        SELECT g.*, m.main_subclass, m.main_count,
               row_number() OVER (PARTITION BY district ORDER BY registered DESC, grid_code) AS district_rank
        FROM g JOIN m USING (grid_code) QUALIFY district_rank <= 5 ORDER BY district, district_rank
    """, [period.key, version])
    return hot, by_district


def _repeated(con: duckdb.DuckDBPyConnection, period: Period, version: int, at_least: int) -> list[dict[str, Any]]:
    """Places with a repeated problem: one grid, one subclass, ``at_least`` cases or more in the month."""
    return _rows(con, f"""
        SELECT k.grid_code, any_value(k.district_code) AS district, any_value(k.community_code) AS community,
               coalesce(any_value(s.name), k.subclass_code) AS subclass, count(*) AS cases
        FROM ({COHORT_SQL}) x JOIN core."case" k USING (case_id)
        LEFT JOIN core.subclass s ON s.edition = k.edition AND s.kind = k.kind AND s.code = k.subclass_code
        WHERE k.grid_code IS NOT NULL AND k.subclass_code IS NOT NULL
        GROUP BY k.grid_code, k.subclass_code HAVING count(*) >= ?
        ORDER BY cases DESC, k.grid_code, subclass LIMIT 15
    """, [period.key, version, at_least])


def _overdue(con: duckdb.DuckDBPyConnection, period: Period, version: int, as_of: datetime, calendar: Any,
             handbook: Any) -> tuple[list[dict[str, Any]], int]:
    """The cases counted 超期 against a department (its 超期处置数 lineage) with a numeric 超时倍数 each, worst first.

    The multiple is the one recorded on the late 处置 event when the source recorded it; otherwise it is derived
    the same way the case service records it, max(0, elapsed ÷ limit − 1) in working hours from the dispatch:
    the limit from the 处置 deadline recorded on that event, or — for a case still open at the cut-off — the
    指挥手册 处置 limit of its subclass (as the evaluation judges 超期未处置). 超期工作日 = working hours past the
    deadline ÷ hours per working day."""
    rows = _rows(con, """
        WITH counted AS (
            SELECT entity_code AS department_code, case_id FROM marts.score_lineage
            WHERE period = ? AND version = ? AND object = 'department' AND indicator = 'overdue_count'
              AND role = 'numerator' GROUP BY ALL
        ), ev AS (
            SELECT e.case_id, e.seq, e.action, e.occurred_at, e.deadline_at, e.deadline_met, e.overdue_multiple,
                   e.department_code
            FROM core.case_event e SEMI JOIN counted c ON c.case_id = e.case_id
            WHERE e.occurred_at < ?
        ), late AS (  -- the most overdue late step; ties: the earliest
            SELECT case_id, first(seq ORDER BY coalesce(overdue_multiple, 0) DESC, seq) AS seq FROM ev
            WHERE action IN ('handle', 'feedback') AND deadline_met = false GROUP BY case_id
        )
        SELECT c.case_id, c.department_code, d.name AS department_name, k.subclass_code, k.kind,
               coalesce(s.name, k.subclass_code) AS subclass, k.grid_code, k.district_code,
               l.occurred_at AS handled_at, l.deadline_at, l.overdue_multiple AS recorded_multiple,
               (SELECT max(occurred_at) FROM ev x WHERE x.case_id = c.case_id AND x.action = 'dispatch'
                  AND x.occurred_at <= coalesce(l.occurred_at, ?)) AS dispatched_at
        FROM counted c
        LEFT JOIN late lt USING (case_id)
        LEFT JOIN ev l ON l.case_id = lt.case_id AND l.seq = lt.seq
        LEFT JOIN core."case" k ON k.case_id = c.case_id
        LEFT JOIN core.subclass s ON s.edition = k.edition AND s.kind = k.kind AND s.code = k.subclass_code
        LEFT JOIN core.department d ON d.code = c.department_code
    """, [period.key, version, as_of, as_of])
    hpd = calendar.hours_per_day
    for r in rows:
        r["open"] = r["handled_at"] is None
        multiple, days = r["recorded_multiple"], None
        start = r["dispatched_at"]
        if r["open"]:
            deadline = None
            if start is not None and r["subclass_code"]:
                try:
                    lim = handbook.rule_for(r["subclass_code"], r["kind"]).limits["handle"]
                except (KeyError, LookupError, ValueError):
                    lim = None
                if lim is not None:
                    deadline = calendar.deadline(start, lim)
                    multiple = calendar.overdue_multiple(start, as_of, lim)
            r["deadline_at"] = deadline
            end = as_of
        else:
            end = r["handled_at"]
            deadline = r["deadline_at"]
            if multiple is None and start is not None and deadline is not None:
                allowed = calendar.working_hours_between(start, deadline)
                if allowed > 0:
                    multiple = max(0.0, calendar.working_hours_between(start, end) / allowed - 1.0)
        if deadline is not None:
            days = max(0.0, calendar.working_hours_between(deadline, end) / hpd)
        r["overdue_multiple"], r["overdue_days"] = multiple, days
    rows.sort(key=lambda r: (r["overdue_multiple"] is None, -(r["overdue_multiple"] or 0.0), r["case_id"]))
    return rows, len(rows)


def collect(con: duckdb.DuckDBPyConnection, period: Period, version: int | None = None, *,
            calendar: Any = None, handbook: Any = None, overdue_rows: int = 15,
            repeat_threshold: int = 3) -> ReportData:
    from transforms.evaluation.store import EvaluationRefused

    clock: dict[str, float] = {}
    started = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal started
        now = time.perf_counter()
        clock[name] = round(now - started, 3)
        started = now

    v = version if version is not None else _version_of(con, period.key)
    if v is None:
        raise EvaluationRefused("period", "computed_first",
                                f"no scorecard for {period.key}; run `szcg evaluate compute --period {period.key}`")
    head = _rows(con, "SELECT * FROM marts.scorecard WHERE period = ? AND version = ?", [period.key, v])
    if not head:
        raise EvaluationRefused("version", "exists", f"no scorecard {period.key} version {v}")
    this = Month(period.key, v, city_totals(con, period.key, v))
    mom = _month(con, period.previous_month()) if period.is_month else None
    yoy = _month(con, period.same_month_last_year()) if period.is_month else None
    lap("headline")
    sources = _with_change(_cohort_counts(con, this, "k.source"), _cohort_counts(con, mom, "k.source"),
                           mom is not None)
    majors = _with_change(_cohort_counts(con, this, "[k.kind, coalesce(s.major_name, '未分类')]"),
                          _cohort_counts(con, mom, "[k.kind, coalesce(s.major_name, '未分类')]"), mom is not None)
    subs = _with_change(_cohort_counts(con, this, "[k.kind, coalesce(s.name, k.subclass_code, '未分类')]"),
                        _cohort_counts(con, mom, "[k.kind, coalesce(s.name, k.subclass_code, '未分类')]"),
                        mom is not None)[:10]
    lap("classes")
    rankings: dict[tuple[str, str], list[dict[str, Any]]] = {}
    # 环比/同比 are derived when read (marts.score_change), so a month published before its predecessor has them;
    # versions published before that view keep their frozen changes as a fallback.
    for r in _rows(con, "SELECT s.* REPLACE (coalesce(c.mom_change, s.mom_score) AS mom_score, "
                        "coalesce(c.yoy_change, s.yoy_score) AS yoy_score) "
                        "FROM marts.score s LEFT JOIN marts.score_change c "
                        "USING (period, version, object, level, entity_code) WHERE s.period = ? AND s.version = ? "
                        "ORDER BY s.object, s.level, s.ranked DESC, s.rank NULLS LAST, s.sample_size DESC, "
                        "s.entity_code",
                   [period.key, v]):
        rankings.setdefault((r["object"], r["level"]), []).append(r)
    indicators = _indicators(con, period.key, v, mom)
    lap("rankings")
    trend: list[dict[str, Any]] = []
    if period.is_month:
        p: Period | None = period
        months: list[Period] = []
        while p is not None and len(months) < 13:
            months.append(p)
            p = p.previous_month()
        for m in reversed(months):
            pv = _published_version(con, m.key) if m.key != period.key else v
            if pv is not None:
                trend.append({"period": m.key, **city_totals(con, m.key, pv)})
    lap("trend")
    hot, shapes = _hot_grids(con, period, v)
    repeated = _repeated(con, period, v, repeat_threshold)
    lap("hot_grids")
    if calendar is None or handbook is None:
        raise ValueError("collect needs the city's working calendar and 指挥手册 (超时倍数 of open cases)")
    every_late, overdue_total = _overdue(con, period, v, head[0]["as_of"], calendar, handbook)
    overdue = every_late[:overdue_rows]
    per_department: dict[str, list[float]] = {}
    still_open: dict[str, int] = {}
    for r in every_late:
        if r["open"]:
            name = str(r["department_name"] or r["department_code"])
            still_open[name] = still_open.get(name, 0) + 1
        if r["overdue_multiple"] is not None:
            per_department.setdefault(str(r["department_code"]), []).append(float(r["overdue_multiple"]))
    lap("overdue")
    hotline = _hotline(con, period)
    prev = period.previous_month() if period.is_month else None
    hotline_mom = _hotline(con, prev) if prev is not None else None
    lap("hotline")
    areas = con.execute("SELECT code, arg_max(name, valid_from), arg_max(parent_code, valid_from) "
                        "FROM core.admin_area GROUP BY 1").fetchall()
    names = {str(c): str(n) for c, n, _ in areas}
    parents = {str(c): str(p) for c, _, p in areas if p is not None}
    lap("names")
    log.info("report data %s v%d collected in %.2f s (%s)", period.key, v, sum(clock.values()), clock)
    return ReportData(period, v, head[0], {"this": this, "mom": mom, "yoy": yoy}, sources, majors, subs, rankings,
                      indicators, trend, hot, shapes, repeated, overdue, overdue_total,
                      {d: sum(m) / len(m) for d, m in per_department.items()}, still_open, hotline, hotline_mom, names,
                      parents, clock)

"""What the monthly report shows, read from the published warehouse snapshot (marts + core)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from transforms.evaluation.period import Period

SATISFACTION_LABELS = {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意",
                       "unreached": "未回访成功"}


@dataclass
class ReportData:
    period: Period
    version: int
    header: dict[str, Any]
    headline: dict[str, Any]
    rankings: dict[tuple[str, str], list[dict[str, Any]]]
    trend: list[dict[str, Any]]
    district_trend: dict[str, list[tuple[str, float | None]]]
    worst_overdue: list[dict[str, Any]]
    grids: list[dict[str, Any]]
    hotline: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _city_totals(con: duckdb.DuckDBPyConnection, period: str, version: int) -> dict[str, Any]:
    """City level = the sum over districts (every case belongs to one district)."""
    rows = _rows(con, "SELECT indicator, sum(numerator) AS n, sum(denominator) AS d FROM marts.indicator_value "
                      "WHERE period = ? AND version = ? AND object = 'region' AND level = 'district' GROUP BY 1",
                 [period, version])
    out: dict[str, Any] = {}
    for r in rows:
        n, d = r["n"], r["d"]
        out[r["indicator"]] = n if d is None else (n / d if d else None)
    return out


def _version_of(con: duckdb.DuckDBPyConnection, period: str) -> int | None:
    row = con.execute("SELECT coalesce(max(version) FILTER (WHERE status = 'published'), min(version)) "
                      "FROM marts.scorecard WHERE period = ?", [period]).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def collect(con: duckdb.DuckDBPyConnection, period: Period, version: int | None = None) -> ReportData:
    from transforms.evaluation.store import EvaluationRefused

    v = version if version is not None else _version_of(con, period.key)
    if v is None:
        raise EvaluationRefused("period", "computed_first",
                                f"no scorecard for {period.key}; run `szcg evaluate compute --period {period.key}`")
    head = _rows(con, "SELECT * FROM marts.scorecard WHERE period = ? AND version = ?", [period.key, v])
    if not head:
        raise EvaluationRefused("version", "exists", f"no scorecard {period.key} version {v}")
    headline = _city_totals(con, period.key, v)
    rankings: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in _rows(con, "SELECT * FROM marts.score WHERE period = ? AND version = ? "
                        "ORDER BY object, level, rank NULLS LAST, total_score DESC NULLS LAST, entity_code",
                   [period.key, v]):
        rankings.setdefault((r["object"], r["level"]), []).append(r)
    # trends: the twelve months up to this one, each at its latest published version (else its draft)
    trend: list[dict[str, Any]] = []
    district_trend: dict[str, list[tuple[str, float | None]]] = {}
    if period.is_month:
        months: list[Period] = [period]
        while len(months) < 12:
            prev = months[-1].previous_month()
            assert prev is not None
            months.append(prev)
        for p in reversed(months):
            pv = _version_of(con, p.key)
            if pv is None:
                continue
            totals = _city_totals(con, p.key, pv)
            trend.append({"period": p.key, **totals})
            for r in _rows(con, "SELECT entity_code, coalesce(entity_name, entity_code) AS name, total_score "
                                "FROM marts.score WHERE period = ? AND version = ? AND object = 'region' "
                                "AND level = 'district'", [p.key, pv]):
                district_trend.setdefault(r["name"], []).append((p.key, r["total_score"]))
    worst = _rows(con, """
        WITH counted AS (
            SELECT DISTINCT entity_code AS department_code, case_id FROM marts.score_lineage
            WHERE period = ? AND version = ? AND object = 'department' AND indicator = 'overdue_count'
              AND role = 'numerator'
        ), late AS (
            SELECT case_id, max(overdue_multiple) AS overdue_multiple, max(occurred_at) AS handled_at
            FROM core.case_event WHERE action IN ('handle', 'feedback') AND deadline_met = false
              AND occurred_at < ? GROUP BY case_id
        )
        SELECT c.case_id, c.department_code, d.name AS department_name, l.overdue_multiple, l.handled_at,
               k.subclass_code, k.grid_code, k.description
        FROM counted c JOIN late l USING (case_id) LEFT JOIN core."case" k USING (case_id)
        LEFT JOIN core.department d ON d.code = c.department_code
        ORDER BY l.overdue_multiple DESC NULLS LAST, c.case_id LIMIT 10
    """, [period.key, v, head[0]["as_of"]])
    grids = _rows(con, """
        WITH g AS (
            SELECT grid_code, arg_max(geometry_wkt, valid_from) AS wkt FROM core.grid
            WHERE valid_from <= ? AND (valid_to IS NULL OR valid_to > ?) GROUP BY grid_code
        )
        SELECT g.grid_code, g.wkt, coalesce(i.value, 0) AS registered
        FROM g LEFT JOIN marts.indicator_value i
          ON i.period = ? AND i.version = ? AND i.object = 'region' AND i.level = 'grid'
         AND i.indicator = 'registered' AND i.entity_code = g.grid_code
    """, [period.end, period.end, period.key, v])
    hotline_rows = _rows(con, """
        SELECT coalesce(satisfaction, 'not_recorded') AS satisfaction, count(*) AS calls,
               count(*) FILTER (WHERE is_repeat) AS repeats
        FROM core.hotline_call WHERE called_at >= ? AND called_at < ? GROUP BY 1 ORDER BY 1
    """, [period.start_at, period.end_at])
    by = {r["satisfaction"]: r["calls"] for r in hotline_rows}
    reached = sum(by.get(k, 0) for k in ("satisfied", "basically_satisfied", "dissatisfied"))
    hotline = {
        "calls": sum(by.values()),
        "repeats": sum(r["repeats"] for r in hotline_rows),
        "by_satisfaction": by,
        "satisfaction_rate": (by.get("satisfied", 0) + by.get("basically_satisfied", 0)) / reached if reached else None,
    }
    return ReportData(period, v, head[0], headline, rankings, trend, district_trend, worst, grids, hotline)

"""Scorecards in the warehouse: draft, publish (frozen), re-issue, appeals, explain; everything audited.

Version 0 of a period is the draft, replaced by each compute. Published versions (1, 2, …) are written once and
never updated or deleted, so a published scorecard does not move when late events arrive; a re-issue or an
accepted appeal adds the next version with its reason.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from standards.calendar import WorkingCalendar
from standards.handbook import Handbook
from szcg import clock
from szcg.errors import InputRejected, RowProblem
from transforms.evaluation import adjustments, engine, lineage_read
from transforms.evaluation.engine import Exclusion
from transforms.evaluation.indicators import BY_KEY, find
from transforms.evaluation.period import Period, parse_period
from transforms.evaluation.scheme import Scheme
from warehouse.transaction import transaction

DRAFT = 0

_IV_COLS = ("object", "level", "entity_code", "indicator", "label", "numerator", "denominator", "value", "score",
            "weight")
_SCORE_COLS = ("object", "level", "entity_code", "entity_name", "sample_size", "ranked", "total_score", "grade",
               "colour", "rank", "tie_break", "mom_score", "yoy_score", "scheme_version")
_LINEAGE_COLS = ("object", "level", "entity_code", "indicator", "case_id", "role", "event_seq")
_ADJUSTMENT_COLS = ("object", "level", "entity_code", "adjustment_id", "points", "engine_total", "adjusted_total")
_AVAILABILITY_COLS = ("object", "level", "indicator", "label", "input", "reason")
TABLES = {"indicator_value": _IV_COLS, "score": _SCORE_COLS, "score_lineage": _LINEAGE_COLS,
          "score_adjustment_lineage": _ADJUSTMENT_COLS, "indicator_availability": _AVAILABILITY_COLS}
# What a version stores (TABLES are what it is hashed and counted by): marts.score_lineage is a view (migration 0100)
# derived from the frozen rows of score_lineage_fact and the bit table score_lineage_role; versions written before
# 0100 keep their rows in score_lineage_legacy.
_LINEAGE_FACT_COLS = ("object", "entity_code", "case_id", "district_code", "street_code", "community_code",
                      "grid_code", "roles", "events")
STORED = {"indicator_value": _IV_COLS, "score": _SCORE_COLS, "score_lineage_legacy": _LINEAGE_COLS,
          "score_lineage_fact": _LINEAGE_FACT_COLS, "score_lineage_role": ("object", "indicator", "role", "bit"),
          "score_adjustment_lineage": _ADJUSTMENT_COLS, "indicator_availability": _AVAILABILITY_COLS,
          "score_lineage_bound": ("object", "reported_from")}
# Tables added after versions were published: a version without rows in them hashes as before they existed, so
# the content recorded at publication still matches (published_scorecards_intact).
_HASHED_WHEN_PRESENT = frozenset({"score_adjustment_lineage", "indicator_availability"})


def now_cst() -> datetime:
    """Naive CST to the second: the time a scorecard action is recorded with."""
    return clock.now().replace(microsecond=0)


class EvaluationRefused(InputRejected):
    """A request the scorecard rules do not allow (publish twice, appeal a case that was not counted, …)."""

    def __init__(self, field_name: str, rule: str, message: str) -> None:
        super().__init__(message, [RowProblem("szcg evaluate", 0, field_name, rule, message)])


@dataclass
class VersionSummary:
    period: str
    version: int
    status: str
    scheme_version: str
    reason: str
    content_sha256: str
    counts: dict[str, int] = field(default_factory=dict)
    # a computed version: the indicators it could not compute and why (availability.py), and the run's warnings
    unavailable: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


# --- reading ----------------------------------------------------------------------------------------------------
def published_versions(con: duckdb.DuckDBPyConnection, period: str) -> list[int]:
    rows = con.execute("SELECT version FROM marts.scorecard WHERE period = ? AND status = 'published' ORDER BY 1",
                       [period]).fetchall()
    return [int(r[0]) for r in rows]


def latest_published(con: duckdb.DuckDBPyConnection, period: str) -> int | None:
    versions = published_versions(con, period)
    return versions[-1] if versions else None


def header(con: duckdb.DuckDBPyConnection, period: str, version: int) -> dict[str, Any] | None:
    cur = con.execute("SELECT * FROM marts.scorecard WHERE period = ? AND version = ?", [period, version])
    row = cur.fetchone()
    if row is None:
        return None
    return dict(zip([d[0] for d in cur.description], row, strict=True))


_HASH_BATCH = 100_000  # rows fetched at a time while hashing


def _hashed_tables(con: duckdb.DuckDBPyConnection, period: str, version: int) -> list[tuple[str, tuple[str, ...]]]:
    """TABLES, with the lineage as stored when the version was stored by derivation (it has a bit table)."""
    has_bits = con.execute("SELECT count(*) > 0 FROM duckdb_tables() WHERE schema_name = 'marts' "
                           "AND table_name = 'score_lineage_role'").fetchone()
    derived = has_bits and has_bits[0] and con.execute(
        "SELECT count(*) > 0 FROM marts.score_lineage_role WHERE period = ? AND version = ?", [period, version]
    ).fetchone()
    if not (derived and derived[0]):  # stored before migration 0100 (or a warehouse not yet migrated)
        return list(TABLES.items())
    out: list[tuple[str, tuple[str, ...]]] = []
    for table, cols in TABLES.items():
        if table == "score_lineage":
            out += [("score_lineage_fact", STORED["score_lineage_fact"]),
                    ("score_lineage_role", STORED["score_lineage_role"])]
        else:
            out.append((table, cols))
    return out


def content_hash(con: duckdb.DuckDBPyConnection, period: str, version: int) -> str:
    """SHA-256 over the version's score, indicator and lineage rows (period and version columns left out, so a
    published copy of a draft has the draft's hash).

    The digest is that of each table's name, a newline and its rows as text sorted and joined by newlines, the
    tables joined by newlines. The rows are fed to the hash as DuckDB streams them in order, never joined into one
    string: a month of a 10 M-case year has tens of millions of lineage rows, and one string of them (gigabytes)
    ran DuckDB out of memory.

    A version stored by derivation (migration 0100) is hashed by what it stores, its fact and bit rows, not by the
    rows the view derives from them: those are ~40× as many, and sorting them as text for every published version
    at each publish's audit ran DuckDB out of memory at 10 M cases. Versions stored before keep their digest."""
    import hashlib

    digest = hashlib.sha256()
    first_table = True
    for table, cols in _hashed_tables(con, period, version):
        packed = ", ".join(f"\"{c}\" := \"{c}\"" for c in cols)  # quoted: the bit table has a column "bit"
        cur = con.execute(
            f"SELECT CAST(struct_pack({packed}) AS VARCHAR) AS r FROM marts.{table} WHERE period = ? AND version = ? "
            "ORDER BY r",
            [period, version],
        )
        batch = cur.fetchmany(_HASH_BATCH)
        if table in _HASHED_WHEN_PRESENT and not batch:
            continue
        digest.update(f"{'' if first_table else chr(10)}{table}\n".encode())
        first_table, first_row = False, True
        while batch:
            text = "\n".join(r[0] for r in batch)
            digest.update(((text if first_row else "\n" + text)).encode("utf-8"))
            first_row = False
            batch = cur.fetchmany(_HASH_BATCH)
    return digest.hexdigest()


def _counts(con: duckdb.DuckDBPyConnection, period: str, version: int) -> dict[str, int]:
    out = {}
    for table in TABLES:
        row = con.execute(f"SELECT count(*) FROM marts.{table} WHERE period = ? AND version = ?",
                          [period, version]).fetchone()
        out[table] = int(row[0]) if row else 0
    return out


# --- audit ------------------------------------------------------------------------------------------------------
def audit(con: duckdb.DuckDBPyConnection, actor: str, action: str, period: str, version: int | None,
          detail: dict[str, Any]) -> None:
    con.execute(
        "INSERT INTO marts.evaluation_audit SELECT coalesce(max(audit_id), 0) + 1, ?, ?, ?, ?, ?, ? "
        "FROM marts.evaluation_audit",
        [now_cst(), actor, action, period, version, json.dumps(detail, ensure_ascii=False, sort_keys=True,
                                                                default=str)],
    )


# --- writing a version ------------------------------------------------------------------------------------------
def _exclusions(con: duckdb.DuckDBPyConnection, period: str) -> list[Exclusion]:
    rows = con.execute(
        "SELECT object, entity_code, case_id, indicator FROM marts.appeal WHERE period = ? AND status = 'accepted' "
        "ORDER BY appeal_id", [period]
    ).fetchall()
    return [Exclusion(str(o), str(e), str(c), None if i is None else str(i)) for o, e, c, i in rows]


def _write_computed(con: duckdb.DuckDBPyConnection, period: Period, version: int) -> None:
    """Copy the run's temp tables into the marts as (period, version)."""
    p = period.key
    con.execute(
        "INSERT INTO marts.indicator_value SELECT ?, ?, object, level, entity_code, indicator, label, numerator, "
        "denominator, round(value, 6), score, weight FROM eval_indicator_scored", [p, version]
    )
    # 环比/同比 are not stored: marts.score_change derives them from the latest published versions when read, so a
    # month published before its predecessor, or a re-issued predecessor, never leaves them stale (the columns
    # mom_score/yoy_score stay NULL in new versions; published ones keep what they had, frozen)
    con.execute(
        """
        INSERT INTO marts.score
        WITH names AS (
            SELECT code, arg_max(name, valid_from) AS name FROM core.admin_area GROUP BY code
            UNION ALL SELECT code, name FROM core.department
            UNION ALL SELECT staff_id, name FROM core.staff
        )
        SELECT ?, ?, e.object, e.level, e.entity_code, n.name, e.sample_size, e.ranked, e.total_score, e.grade,
               e.colour, e.rank, e.tie_break, CAST(NULL AS DOUBLE), CAST(NULL AS DOUBLE), ?
        FROM eval_score e
        LEFT JOIN (SELECT code, any_value(name) AS name FROM names GROUP BY code) n ON n.code = e.entity_code
        """,
        [p, version, _scheme_version_var(con)],
    )
    # the lineage once per case (per post event), as the run's bit masks, and what the bits mean (lineage.py)
    con.execute(f"INSERT INTO marts.score_lineage_fact SELECT ?, ?, {', '.join(_LINEAGE_FACT_COLS)} "
                "FROM eval_lineage_fact", [p, version])
    con.execute("INSERT INTO marts.score_lineage_role SELECT ?, ?, object, indicator, role, bit FROM eval_lineage_role",
                [p, version])
    _write_case_bound(con, p, version)
    con.execute(f"INSERT INTO marts.score_adjustment_lineage SELECT ?, ?, {', '.join(_ADJUSTMENT_COLS)} "
                "FROM eval_adjustment_lineage", [p, version])
    con.execute(f"INSERT INTO marts.indicator_availability SELECT ?, ?, {', '.join(_AVAILABILITY_COLS)} "
                "FROM eval_indicator_availability WHERE NOT available", [p, version])


def _write_case_bound(con: duckdb.DuckDBPyConnection, period: str, version: int) -> None:
    """Per object, the earliest report time of the cases in the version's fact rows just written (migration 0101):
    the dashboards' drill-down joins core."case" from there on, so DuckDB skips the row groups reported before it.
    Read from core."case" itself, the table the drill-down joins, so it bounds every case the join can find."""
    con.execute(
        """
        INSERT INTO marts.score_lineage_bound
        SELECT ?, ?, f.object, min(k.reported_at)
        FROM (SELECT object, case_id FROM eval_lineage_fact WHERE case_id IS NOT NULL
              UNION SELECT object, unnest(events).case_id FROM eval_lineage_fact WHERE events IS NOT NULL) f
        JOIN core."case" k ON k.case_id = f.case_id
        GROUP BY f.object
        """, [period, version])


def _scheme_version_var(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute("SELECT getvariable('eval_scheme_version')").fetchone()
    return str(row[0]) if row and row[0] is not None else ""


def _insert_header(con: duckdb.DuckDBPyConnection, period: Period, version: int, status: str, scheme: Scheme,
                   as_of: datetime, reason: str, supersedes: int | None, exclusions: int, created_at: datetime,
                   actor: str) -> VersionSummary:
    digest = content_hash(con, period.key, version)
    con.execute(
        "INSERT INTO marts.scorecard VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [period.key, version, status, period.start, period.end, as_of, scheme.scheme_id, scheme.version,
         scheme.sha256, reason, supersedes, exclusions, digest, created_at, actor],
    )
    return VersionSummary(period.key, version, status, scheme.version, reason, digest,
                          _counts(con, period.key, version))


def _run(con: duckdb.DuckDBPyConnection, period: Period, scheme: Scheme, calendar: WorkingCalendar,
         as_of: datetime | None, handbook: Handbook | None) -> tuple[engine.RunInfo, list[Exclusion]]:
    exclusions = _exclusions(con, period.key)
    con.execute("SET VARIABLE eval_scheme_version = ?", [scheme.version])
    info = engine.run(con, period, scheme, calendar, as_of=as_of, exclusions=exclusions, handbook=handbook)
    adjustments.apply(con, period.key)  # 扣分/加分 on top of the engine's totals
    return info, exclusions


def compute_draft(con: duckdb.DuckDBPyConnection, period: Period, scheme: Scheme, calendar: WorkingCalendar, *,
                  as_of: datetime | None = None, actor: str = "system",
                  handbook: Handbook | None = None) -> VersionSummary:
    """(Re)compute the period's draft (version 0) from the events now in core.case_event. ``handbook`` gives the
    处置 limits that make a case still open at the cut-off 超期 (engine.run)."""
    with transaction(con):
        info, exclusions = _run(con, period, scheme, calendar, as_of, handbook)
        for table in ("scorecard", *STORED):
            con.execute(f"DELETE FROM marts.{table} WHERE period = ? AND version = 0", [period.key])
        _write_computed(con, period, DRAFT)
        # the draft's stamp is its cut-off, so recomputing unchanged data leaves the warehouse identical
        summary = _insert_header(con, period, DRAFT, "draft", scheme, info.as_of, "draft", None, len(exclusions),
                                 info.as_of, actor)
    summary.counts.update(cases_in_scope=info.cases_in_scope, cohort_cases=info.cohort_cases)
    summary.unavailable = [a.to_dict() for a in info.unavailable]
    summary.warnings = info.warnings
    return summary


def publish(con: duckdb.DuckDBPyConnection, period: Period, *, actor: str = "system") -> VersionSummary:
    """Freeze the reviewed draft as published version 1. Later changes go through reissue or appeals."""
    existing = latest_published(con, period.key)
    if existing is not None:
        raise EvaluationRefused("period", "published_once",
                                f"{period.key} is already published (version {existing}); "
                                "use `szcg evaluate reissue --reason …` for a new version")
    draft = header(con, period.key, DRAFT)
    if draft is None:
        raise EvaluationRefused("period", "draft_exists",
                                f"{period.key} has no draft; run `szcg evaluate compute --period {period.key}` first")
    version = 1
    with transaction(con):
        _copy_version(con, period.key, DRAFT, version)
        digest = content_hash(con, period.key, version)
        con.execute(
            "INSERT INTO marts.scorecard SELECT period, ?, 'published', period_start, period_end, as_of, scheme_id, "
            "scheme_version, scheme_sha256, 'first publication', NULL, exclusions, ?, ?, ? "
            "FROM marts.scorecard WHERE period = ? AND version = 0",
            [version, digest, now_cst(), actor, period.key],
        )
        audit(con, actor, "publish", period.key, version, {"content_sha256": digest})
    h = header(con, period.key, version) or {}
    return VersionSummary(period.key, version, "published", str(h.get("scheme_version")), "first publication",
                          digest, _counts(con, period.key, version))


def _copy_version(con: duckdb.DuckDBPyConnection, period: str, source: int, target: int) -> None:
    for table, cols in STORED.items():
        listing = ", ".join(cols)
        con.execute(f"INSERT INTO marts.{table} (period, version, {listing}) SELECT period, ?, {listing} "
                    f"FROM marts.{table} WHERE period = ? AND version = ?", [target, period, source])


def reissue(con: duckdb.DuckDBPyConnection, period: Period, scheme: Scheme, calendar: WorkingCalendar, *,
            reason: str, actor: str = "system", as_of: datetime | None = None,
            in_transaction: bool = False, handbook: Handbook | None = None) -> VersionSummary:
    """Recompute from current events (and accepted appeals) into the next published version, with its reason."""
    if not reason.strip():
        raise EvaluationRefused("reason", "reason_required", "a re-issue needs a reason (--reason)")
    previous = latest_published(con, period.key)
    if previous is None:
        raise EvaluationRefused("period", "published_first",
                                f"{period.key} has not been published yet; publish it before re-issuing")
    version = previous + 1
    if not in_transaction:
        con.execute("BEGIN TRANSACTION")
    try:
        info, exclusions = _run(con, period, scheme, calendar, as_of, handbook)
        _write_computed(con, period, version)
        summary = _insert_header(con, period, version, "published", scheme, info.as_of, reason, previous,
                                 len(exclusions), now_cst(), actor)
        audit(con, actor, "reissue", period.key, version,
              {"reason": reason, "supersedes": previous, "content_sha256": summary.content_sha256})
        if not in_transaction:
            con.execute("COMMIT")
    except Exception:
        if not in_transaction:
            con.execute("ROLLBACK")
        raise
    return summary


# --- appeals ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Evidence:
    """An evidence file of an appeal, already checked and kept under the data directory (``stored_path``)."""

    file_name: str
    stored_path: str
    content_type: str
    size_bytes: int
    sha256: str


def file_appeal(con: duckdb.DuckDBPyConnection, period: str, entity: str, case_id: str, reason: str, *,
                indicator: str | None = None, obj: str | None = None, actor: str = "system",
                evidence: Sequence[Evidence] = ()) -> int:
    """申诉: ``entity`` contests ``case_id`` (for one indicator, or all). The case must have counted for it in the
    latest published version. ``evidence`` is recorded with the appeal, in its transaction."""
    version = latest_published(con, period)
    if version is None:
        raise EvaluationRefused("period", "published_first", f"{period} has no published scorecard to appeal")
    if not reason.strip():
        raise EvaluationRefused("reason", "reason_required", "an appeal needs a reason")
    key = _indicator_key(obj, indicator) if indicator else None
    sql = ("SELECT DISTINCT object FROM marts.score_lineage WHERE period = ? AND version = ? AND entity_code = ? "
           "AND case_id = ?")
    params: list[Any] = [period, version, entity, case_id]
    if key:
        sql += " AND indicator = ?"
        params.append(key)
    if obj:
        sql += " AND object = ?"
        params.append(obj)
    objects = [r[0] for r in con.execute(sql, params).fetchall()]
    if not objects:
        what = f"indicator {key}" if key else "any indicator"
        raise EvaluationRefused("case", "counted_for_entity",
                                f"case {case_id} was not counted for {entity} ({what}) in {period} version {version}")
    if len(objects) > 1:
        raise EvaluationRefused("object", "ambiguous", f"{entity} is several objects {objects}; pass --object")
    with transaction(con):
        row = con.execute("SELECT coalesce(max(appeal_id), 0) + 1 FROM marts.appeal").fetchone()
        appeal_id = int(row[0]) if row else 1
        con.execute(
            "INSERT INTO marts.appeal VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', NULL, NULL, NULL, NULL)",
            [appeal_id, period, version, objects[0], entity, key, case_id, reason, actor, now_cst()],
        )
        for file_no, e in enumerate(evidence, 1):
            con.execute("INSERT INTO marts.appeal_evidence VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [appeal_id, file_no, e.file_name, e.stored_path, e.content_type, e.size_bytes, e.sha256,
                         actor, now_cst()])
        audit(con, actor, "appeal_filed", period, version,
              {"appeal_id": appeal_id, "entity": entity, "case_id": case_id, "indicator": key, "reason": reason,
               "evidence": [e.file_name for e in evidence]})
    return appeal_id


def decide_appeal(con: duckdb.DuckDBPyConnection, appeal_id: int, accept: bool, reason: str, scheme: Scheme,
                  calendar: WorkingCalendar, *, actor: str = "system",
                  handbook: Handbook | None = None) -> tuple[str, VersionSummary | None]:
    """The evaluation office accepts (→ new scorecard version without the case) or rejects an appeal."""
    row = con.execute("SELECT period, status FROM marts.appeal WHERE appeal_id = ?", [appeal_id]).fetchone()
    if row is None:
        raise EvaluationRefused("appeal_id", "exists", f"no appeal #{appeal_id}")
    period_key, status = str(row[0]), str(row[1])
    if status != "pending":
        raise EvaluationRefused("appeal_id", "pending", f"appeal #{appeal_id} was already {status}")
    if not reason.strip():
        raise EvaluationRefused("reason", "reason_required", "a decision needs a reason")
    decision = "accepted" if accept else "rejected"
    with transaction(con):
        con.execute("UPDATE marts.appeal SET status = ?, decided_by = ?, decided_at = ?, decision_reason = ? "
                    "WHERE appeal_id = ?", [decision, actor, now_cst(), reason, appeal_id])
        summary = None
        if accept:
            summary = reissue(con, parse_period(period_key), scheme, calendar,
                              reason=f"申诉 #{appeal_id} 受理：{reason}", actor=actor, in_transaction=True,
                              handbook=handbook)
            con.execute("UPDATE marts.appeal SET resulting_version = ? WHERE appeal_id = ?",
                        [summary.version, appeal_id])
        audit(con, actor, f"appeal_{decision}", period_key, summary.version if summary else None,
              {"appeal_id": appeal_id, "reason": reason})
    return decision, summary


# --- 扣分/加分 adjustments --------------------------------------------------------------------------------------
MAX_ADJUSTMENT_POINTS = 100.0


def adjust(con: duckdb.DuckDBPyConnection, period: Period, obj: str, level: str, entity: str, points: float,
           reason: str, approver: str, scheme: Scheme, calendar: WorkingCalendar, *, actor: str = "system",
           handbook: Handbook | None = None) -> tuple[int, VersionSummary]:
    """扣分 (points < 0) or 加分 (points > 0) on one entity's total, approved by ``approver``: kept in
    marts.score_adjustment and published at once as the next version (adjustments.apply adds it to the engine's
    total in this and every later computation of the period)."""
    if not reason.strip():
        raise EvaluationRefused("reason", "reason_required", "an adjustment needs a reason")
    if not approver.strip():
        raise EvaluationRefused("approver", "approver_required", "an adjustment needs its approver")
    if not math.isfinite(points) or points == 0 or abs(points) > MAX_ADJUSTMENT_POINTS:
        raise EvaluationRefused("points", "points_range",
                                f"points {points!r}: expected a non-zero number between -100 and 100")
    previous = latest_published(con, period.key)
    if previous is None:
        raise EvaluationRefused("period", "published_first",
                                f"{period.key} has not been published yet; publish it before adjusting")
    row = con.execute("SELECT total_score FROM marts.score WHERE period = ? AND version = ? AND object = ? "
                      "AND level = ? AND entity_code = ?", [period.key, previous, obj, level, entity]).fetchone()
    if row is None:
        raise EvaluationRefused("entity", "evaluated",
                                f"{obj}/{level} {entity} has no score in {period.key} version {previous}")
    if row[0] is None:
        raise EvaluationRefused("entity", "has_total", f"{entity} has no total (无样本): nothing to adjust")
    kind = "加分" if points > 0 else "扣分"
    with transaction(con):
        next_id = con.execute("SELECT coalesce(max(adjustment_id), 0) + 1 FROM marts.score_adjustment").fetchone()
        adjustment_id = int(next_id[0]) if next_id else 1
        con.execute("INSERT INTO marts.score_adjustment VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                    [adjustment_id, period.key, obj, level, entity, points, reason, approver, actor, now_cst()])
        why = f"{kind} #{adjustment_id} {entity} {points:+g}：{reason}"
        summary = reissue(con, period, scheme, calendar, reason=why, actor=actor, in_transaction=True,
                          handbook=handbook)
        con.execute("UPDATE marts.score_adjustment SET first_version = ? WHERE adjustment_id = ?",
                    [summary.version, adjustment_id])
        audit(con, actor, "adjustment", period.key, summary.version,
              {"adjustment_id": adjustment_id, "object": obj, "level": level, "entity": entity, "points": points,
               "reason": reason, "approver": approver})
    return adjustment_id, summary


# --- explain ----------------------------------------------------------------------------------------------------
def _indicator_key(obj: str | None, text: str) -> str:
    found = find(obj, text)
    keys = sorted({i.key for i in found})
    if not keys:
        raise EvaluationRefused("indicator", "known_indicator", f"unknown indicator {text!r}")
    if len(keys) > 1:
        raise EvaluationRefused("indicator", "ambiguous", f"{text!r} matches {keys}")
    return keys[0]


@dataclass
class Explanation:
    period: str
    version: int
    object: str
    level: str
    entity_code: str
    indicator: str
    label: str
    definition: str
    numerator: float | None
    denominator: float | None
    value: float | None
    score: float | None
    weight: float | None
    total_score: float | None
    grade: str | None
    numerator_cases: list[str]  # of the listed cases (all of them unless a limit was asked)
    denominator_only_cases: list[str]
    numerator_total: int = 0  # over all the indicator's cases, listed or not
    denominator_only_total: int = 0
    offset: int = 0  # the cases are listed in case order from this one (0: the first)
    limit: int | None = None  # at most this many listed; None: all

    @property
    def total(self) -> int:
        return self.numerator_total + self.denominator_only_total

    @property
    def returned(self) -> int:
        return len(self.numerator_cases) + len(self.denominator_only_cases)

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "total": self.total, "returned": self.returned}


def explain(con: duckdb.DuckDBPyConnection, period: str, entity: str, indicator: str, *,
            version: int | None = None, obj: str | None = None, level: str | None = None,
            limit: int | None = None, offset: int = 0) -> Explanation:
    """The indicator value behind a score and the cases in its numerator and denominator: ``limit`` of them (None:
    all) in case order from ``offset``, with how many there are — the portal's paging rule (lineage_read)."""
    if (limit is not None and limit < 1) or offset < 0:
        raise EvaluationRefused("limit", "positive", f"limit must be ≥ 1 and offset ≥ 0 (got {limit}, {offset})")
    if version is None:
        version = latest_published(con, period)
        if version is None:
            version = DRAFT
    if header(con, period, version) is None:
        raise EvaluationRefused("version", "exists", f"no scorecard {period} version {version}")
    key = _indicator_key(obj, indicator)
    sql = ("SELECT object, level, numerator, denominator, value, score, weight, label FROM marts.indicator_value "
           "WHERE period = ? AND version = ? AND entity_code = ? AND indicator = ?")
    params: list[Any] = [period, version, entity, key]
    if obj:
        sql += " AND object = ?"
        params.append(obj)
    if level:
        sql += " AND level = ?"
        params.append(level)
    rows = con.execute(sql, params).fetchall()
    if not rows:
        raise EvaluationRefused("entity", "evaluated", f"{entity} has no {key} in {period} version {version}")
    if len(rows) > 1:
        raise EvaluationRefused("object", "ambiguous", f"{entity}/{key} is in several objects; pass --object")
    o, lv, n, d, v, s, w, label = rows[0]
    tot = con.execute("SELECT total_score, grade FROM marts.score WHERE period = ? AND version = ? AND object = ? "
                      "AND level = ? AND entity_code = ?", [period, version, o, lv, entity]).fetchone()
    # from the entity's fact rows, as the portal's drill-down reads them (the view took seconds at 10 M cases)
    cases = lineage_read.indicator_case_slice(con, period, version, o, lv, entity, key, limit, offset)
    return Explanation(period, version, o, lv, entity, key, label, BY_KEY[(o, key)].definition, n, d, v, s, w,
                       tot[0] if tot else None, tot[1] if tot else None, cases.numerator, cases.denominator_only,
                       cases.numerator_total, cases.denominator_only_total, offset, limit)


# --- publish-time audit -----------------------------------------------------------------------------------------
def published_scorecards_intact(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every published version still hashes to the content recorded when it was published (frozen rows)."""
    try:
        rows = con.execute("SELECT period, version, content_sha256 FROM marts.scorecard WHERE status = 'published'"
                           ).fetchall()
    except duckdb.CatalogException:
        return []
    return [f"scorecard {p} version {v} changed after publication" for p, v, h in rows
            if content_hash(con, p, v) != h]


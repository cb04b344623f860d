"""What the evaluation office's and departments' pages read about scorecards, from the published snapshot.

Small typed rows, one query each, paginated where a list can be long (grids, lineage cases). The drafts are read
from the snapshot too: ``szcg evaluate compute`` and the monthly DAG publish the snapshot that holds version 0.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from szcg.settings import Settings
from transforms.evaluation import lineage_read
from transforms.evaluation.indicators import BY_KEY, LEVEL_LABELS, OBJECT_LABELS, REGION_LEVELS
from transforms.evaluation.period import parse_period

DRAFT = 0


@dataclass(frozen=True)
class Scope:
    """One tab of the board: an evaluation object at one level (regions have four)."""

    object: str
    level: str

    @property
    def label(self) -> str:
        if self.object == "region":
            return LEVEL_LABELS[self.level]
        return OBJECT_LABELS[self.object].removesuffix("评价")  # 专业部门评价 → 专业部门


SCOPES: tuple[Scope, ...] = (*(Scope("region", lv) for lv in REGION_LEVELS),
                             *(Scope(o, o) for o in ("department", "supervisor", "operator", "shift_leader",
                                                     "dispatcher")))


def scope_of(obj: str, level: str) -> Scope:
    scope = Scope(obj, level)
    if scope not in SCOPES:
        raise ValueError(f"unknown evaluation object/level {obj}/{level}")
    return scope


# Opening the snapshot costs ≈ 50 ms (its catalogue is read each time), more than most pages' queries: the pages
# keep one read-only connection per snapshot and take a cursor of it per request. The current snapshot is looked
# up on every request, so a newly published one is used at once; a snapshot is immutable, and a request that
# holds a cursor of an older one keeps reading it (the cursor keeps its database open).
_SNAPSHOTS: dict[Path, duckdb.DuckDBPyConnection] = {}
_SNAPSHOTS_KEPT = 2
_SNAPSHOTS_LOCK = threading.Lock()


@contextmanager
def snapshot_reader(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only cursor on the snapshot that is current now."""
    from warehouse.store import Warehouse

    path = Warehouse(settings).published_path()
    with _SNAPSHOTS_LOCK:
        parent = _SNAPSHOTS.get(path)
        if parent is None:
            parent = _SNAPSHOTS[path] = duckdb.connect(str(path), read_only=True)
            while len(_SNAPSHOTS) > _SNAPSHOTS_KEPT:  # the oldest goes; open cursors keep it until they close
                del _SNAPSHOTS[next(iter(_SNAPSHOTS))]
        cursor = parent.cursor()
    try:
        yield cursor
    finally:
        cursor.close()



# --- periods and versions ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class VersionRow:
    period: str
    version: int
    status: str
    reason: str
    created_at: datetime
    created_by: str


def latest_published(con: duckdb.DuckDBPyConnection, period: str) -> int | None:
    row = con.execute("SELECT max(version) FROM marts.scorecard WHERE period = ? AND status = 'published'",
                      [period]).fetchone()
    return None if not row or row[0] is None else int(row[0])


# --- the board: draft beside last month's published ------------------------------------------------------------
@dataclass(frozen=True)
class BoardRow:
    entity_code: str
    entity_name: str
    sample_size: int
    total: float | None
    grade: str | None
    rank: int | None
    previous_total: float | None
    previous_grade: str | None
    previous_rank: int | None

    @property
    def change(self) -> float | None:
        if self.total is None or self.previous_total is None:
            return None
        return round(self.total - self.previous_total, 2)


@dataclass(frozen=True)
class UnavailableIndicator:
    """An indicator the draft could not compute for this object and level, and why (marts.indicator_availability)."""

    indicator: str
    label: str
    reason: str


@dataclass(frozen=True)
class Board:
    period: str
    scope: Scope
    has_draft: bool
    published_version: int | None  # the period's latest published version, if any
    shown_version: int  # the version whose scores the rows are: the latest published one, else the draft (0)
    previous_period: str | None
    previous_version: int | None  # last month's latest published version
    rows: list[BoardRow]
    total_rows: int
    page: int
    page_size: int
    draft_periods: list[str]  # every period with a draft, newest first (the period choice)
    period_versions: list[VersionRow]  # this period's versions
    unavailable: tuple[UnavailableIndicator, ...] = ()  # the shown version's unavailable indicators

    @property
    def pages(self) -> int:
        return max(1, -(-self.total_rows // self.page_size))

    @property
    def version_label(self) -> str:
        """What the rows are, as the page titles them: a draft, the first issue, or a corrected re-issue."""
        if self.shown_version == 0:
            return "草稿"
        if self.shown_version == 1:
            return "已发布 第 1 版"
        return f"已发布 第 {self.shown_version} 版（更正版）"


def board(settings: Settings, period: str | None, scope: Scope, *, page: int = 1, page_size: int = 50,
          entity: str | None = None) -> Board | None:
    """The period's (default: the newest draft's) scores of one object/level — its latest published version once
    there is one (an appeal or adjustment after publishing changes that version, not the draft), else the
    draft — beside last month's latest published ones, ranked first; None when no period has a draft yet.
    One snapshot connection."""
    from warehouse.store import NothingPublished

    try:
        with snapshot_reader(settings) as con:
            return _board(con, period, scope, page, page_size, entity)
    except NothingPublished:  # a new installation: nothing to show yet
        return None


def _board(con: duckdb.DuckDBPyConnection, period: str | None, scope: Scope, page: int, page_size: int,
           entity: str | None) -> Board | None:
    draft_periods = [str(r[0]) for r in con.execute(
        "SELECT period FROM marts.scorecard WHERE version = 0 ORDER BY period DESC").fetchall()]
    if period is None and not draft_periods:
        return None
    p = parse_period(period or draft_periods[0])
    prev = p.previous_month()
    period_versions = [VersionRow(str(pk), int(v), str(st), str(r), c, str(b)) for pk, v, st, r, c, b in
                       con.execute("SELECT period, version, status, reason, created_at, created_by "
                                   "FROM marts.scorecard WHERE period = ? ORDER BY version", [p.key]).fetchall()]
    has_draft = con.execute("SELECT count(*) FROM marts.scorecard WHERE period = ? AND version = 0",
                            [p.key]).fetchone() not in (None, (0,))
    published = latest_published(con, p.key)
    prev_version = latest_published(con, prev.key) if prev else None
    shown = published if published is not None else 0
    where = "s.period = ? AND s.version = ? AND s.object = ? AND s.level = ?"
    params: list[Any] = [p.key, shown, scope.object, scope.level]
    if entity is not None:
        where += " AND s.entity_code = ?"
        params.append(entity)
    count = con.execute(f"SELECT count(*) FROM marts.score s WHERE {where}", params).fetchone()
    rows = con.execute(
        "SELECT s.entity_code, coalesce(s.entity_name, s.entity_code), s.sample_size, s.total_score, "
        "CASE WHEN s.ranked THEN s.grade END, s.rank, q.total_score, CASE WHEN q.ranked THEN q.grade END, q.rank "
        "FROM marts.score s LEFT JOIN marts.score q ON q.period = ? AND q.version = ? AND q.object = s.object "
        f"AND q.level = s.level AND q.entity_code = s.entity_code WHERE {where} "
        "ORDER BY s.rank NULLS LAST, s.total_score DESC NULLS LAST, s.entity_code LIMIT ? OFFSET ?",
        [prev.key if prev else None, prev_version, *params, page_size, (page - 1) * page_size],
    ).fetchall()
    unavailable = tuple(UnavailableIndicator(str(k), str(lb), str(why)) for k, lb, why in con.execute(
        "SELECT indicator, label, reason FROM marts.indicator_availability WHERE period = ? AND version = ? "
        "AND object = ? AND level = ? ORDER BY indicator", [p.key, shown, scope.object, scope.level]).fetchall())
    return Board(p.key, scope, has_draft, published, shown, prev.key if prev else None, prev_version,
                 [BoardRow(str(c), str(n), int(ss), t, g, r, pt, pg, pr) for c, n, ss, t, g, r, pt, pg, pr in rows],
                 int(count[0]) if count else 0, page, page_size, draft_periods, period_versions, unavailable)


# --- one score and the cases behind it --------------------------------------------------------------------------
@dataclass(frozen=True)
class IndicatorRow:
    indicator: str
    label: str
    numerator: float | None
    denominator: float | None
    value: float | None
    score: float | None
    weight: float | None
    cases: int  # how many the indicator counted (its denominator, or a count's numerator)


@dataclass(frozen=True)
class AdjustmentLine:
    adjustment_id: int
    points: float
    engine_total: float | None
    adjusted_total: float | None
    reason: str
    approver: str


@dataclass(frozen=True)
class ScoreDetail:
    period: str
    version: int
    status: str
    object: str
    level: str
    entity_code: str
    entity_name: str
    total: float | None
    grade: str | None
    rank: int | None
    sample_size: int
    indicators: list[IndicatorRow]
    adjustments: list[AdjustmentLine]
    latest_published: int | None  # the period's latest published version (only it may be adjusted)


def score_detail(settings: Settings, period: str, version: int, scope: Scope, entity: str) -> ScoreDetail | None:
    with snapshot_reader(settings) as con:
        head = con.execute(
            "SELECT c.status, coalesce(s.entity_name, s.entity_code), s.total_score, "
            "CASE WHEN s.ranked THEN s.grade END, s.rank, s.sample_size FROM marts.score s JOIN marts.scorecard c "
            "USING (period, version) WHERE s.period = ? AND s.version = ? AND s.object = ? AND s.level = ? "
            "AND s.entity_code = ?", [period, version, scope.object, scope.level, entity]).fetchone()
        if head is None:
            return None
        key = [period, version, scope.object, scope.level, entity]
        # the cases behind an indicator are its denominator (a count: its numerator); the lineage page lists them
        inds = con.execute(
            "SELECT indicator, label, numerator, denominator, value, score, weight, "
            "CAST(coalesce(denominator, numerator, 0) AS BIGINT) FROM marts.indicator_value WHERE period = ? "
            "AND version = ? AND object = ? AND level = ? AND entity_code = ? "
            "ORDER BY weight DESC NULLS LAST, indicator", key).fetchall()
        adj = con.execute(
            "SELECT l.adjustment_id, l.points, l.engine_total, l.adjusted_total, a.reason, a.approver "
            "FROM marts.score_adjustment_lineage l JOIN marts.score_adjustment a USING (adjustment_id) "
            "WHERE l.period = ? AND l.version = ? AND l.object = ? AND l.level = ? AND l.entity_code = ? "
            "ORDER BY l.adjustment_id", key).fetchall()
        latest = latest_published(con, period)
    status, name, total, grade, rank, sample = head
    return ScoreDetail(period, version, str(status), scope.object, scope.level, entity, str(name), total, grade,
                       rank, int(sample), [IndicatorRow(*r) for r in inds], [AdjustmentLine(*r) for r in adj], latest)


@dataclass(frozen=True)
class LineageCase:
    case_id: str
    indicators: str  # the indicators it counted for, by label
    in_numerator: bool


@dataclass(frozen=True)
class LineagePage:
    indicator: str | None
    label: str | None
    cases: list[LineageCase]
    total_rows: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total_rows // self.page_size))


def lineage(settings: Settings, period: str, version: int, scope: Scope, entity: str, *,
            indicator: str | None = None, page: int = 1, page_size: int = 50) -> LineagePage:
    """The cases behind a score (or one of its indicators), one row per case, paginated."""
    with snapshot_reader(settings) as con:
        bits = lineage_read.role_bits(con, period, version, scope.object, indicator)
        fact = lineage_read.fact_source(scope.object, scope.level, entity) if bits is not None else None
        if bits is not None and fact is not None:  # one row per case from the entity's fact rows (lineage_read)
            rows, total = lineage_read.cases_page(con, period, version, fact, bits, page, page_size)
        else:  # a version stored before lineage by derivation (or a scope the view has no rows for)
            rows, total = _cases_from_view(con, period, version, scope, entity, indicator, page, page_size)
    return LineagePage(indicator, _label(scope.object, indicator) if indicator else None,
                       [LineageCase(str(c), "、".join(_label(scope.object, k) for k in keys), bool(n))
                        for c, keys, n in rows], total, page, page_size)


def _cases_from_view(con: duckdb.DuckDBPyConnection, period: str, version: int, scope: Scope, entity: str,
                     indicator: str | None, page: int, page_size: int) -> tuple[list[lineage_read.CaseRow], int]:
    where = "l.period = ? AND l.version = ? AND l.object = ? AND l.level = ? AND l.entity_code = ?"
    params: list[Any] = [period, version, scope.object, scope.level, entity]
    if indicator:
        where += " AND l.indicator = ?"
        params.append(indicator)
    # one pass over the entity's lineage rows: the page and (window) the number of cases
    found = con.execute(
        "SELECT case_id, list(DISTINCT indicator ORDER BY indicator), bool_or(role = 'numerator'), "
        f"count(*) OVER () FROM marts.score_lineage l WHERE {where} GROUP BY case_id ORDER BY case_id "
        "LIMIT ? OFFSET ?", [*params, page_size, (page - 1) * page_size]).fetchall()
    if found:
        total = int(found[0][3])
    else:  # a page past the end: still say how many there are
        counted = con.execute(f"SELECT count(DISTINCT case_id) FROM marts.score_lineage l WHERE {where}",
                              params).fetchone()
        total = int(counted[0]) if counted else 0
    return [(str(c), list(keys), bool(n)) for c, keys, n, _ in found], total


def _label(obj: str, key: str) -> str:
    found = BY_KEY.get((obj, key))
    return found.label if found else key


# --- appeals ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EvidenceRow:
    file_no: int
    file_name: str
    size_bytes: int


@dataclass(frozen=True)
class AppealRow:
    appeal_id: int
    period: str
    contested_version: int
    object: str
    entity_code: str
    indicator: str | None
    case_id: str
    reason: str
    filed_by: str
    filed_at: datetime
    status: str
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    resulting_version: int | None
    evidence: list[EvidenceRow]


def appeals(settings: Settings, *, entity: str | None = None, status: str | None = None) -> list[AppealRow]:
    """Appeals, newest first; ``entity`` limits them to one department's (its scope)."""
    sql = ("SELECT appeal_id, period, contested_version, object, entity_code, indicator, case_id, reason, filed_by, "
           "filed_at, status, decided_by, decided_at, decision_reason, resulting_version FROM marts.appeal WHERE TRUE")
    params: list[Any] = []
    if entity is not None:
        sql += " AND entity_code = ?"
        params.append(entity)
    if status is not None:
        sql += " AND status = ?"
        params.append(status)
    with snapshot_reader(settings) as con:
        rows = con.execute(sql + " ORDER BY appeal_id DESC", params).fetchall()
        files = con.execute("SELECT appeal_id, file_no, file_name, size_bytes FROM marts.appeal_evidence "
                            "ORDER BY appeal_id, file_no").fetchall()
    by_appeal: dict[int, list[EvidenceRow]] = {}
    for a, n, name, size in files:
        by_appeal.setdefault(int(a), []).append(EvidenceRow(int(n), str(name), int(size)))
    return [AppealRow(int(a), str(p), int(cv), str(o), str(e), i, str(c), str(r), str(fb), fa, str(st), db, da, dr,
                      rv, by_appeal.get(int(a), []))
            for a, p, cv, o, e, i, c, r, fb, fa, st, db, da, dr, rv in rows]


@dataclass(frozen=True)
class EvidenceFile:
    appeal_id: int
    entity_code: str
    file_name: str
    content_type: str
    path: Path


def evidence_file(settings: Settings, appeal_id: int, file_no: int) -> EvidenceFile | None:
    with snapshot_reader(settings) as con:
        row = con.execute("SELECT a.entity_code, e.file_name, e.content_type, e.stored_path FROM marts.appeal_evidence "
                          "e JOIN marts.appeal a USING (appeal_id) WHERE e.appeal_id = ? AND e.file_no = ?",
                          [appeal_id, file_no]).fetchone()
    if row is None:
        return None
    path = (settings.data_dir / str(row[3])).resolve()
    if not path.is_relative_to(settings.data_dir.resolve()) or not path.is_file():
        return None
    return EvidenceFile(appeal_id, str(row[0]), str(row[1]), str(row[2]), path)


# --- history ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HistoryVersion:
    version: int
    status: str
    reason: str
    created_at: datetime
    created_by: str
    total: float | None
    grade: str | None
    rank: int | None


@dataclass(frozen=True)
class HistoryAction:
    occurred_at: datetime
    actor: str
    action: str
    version: int | None
    why: str
    detail: dict[str, Any]


ACTION_LABELS = {"publish": "发布", "reissue": "重新发布", "appeal_filed": "提出申诉", "appeal_accepted": "申诉受理",
                 "appeal_rejected": "申诉驳回", "adjustment": "扣分/加分", "compute": "计算草稿"}


@dataclass(frozen=True)
class History:
    period: str
    scope: Scope
    entity_code: str
    entity_name: str
    versions: list[HistoryVersion]
    actions: list[HistoryAction]


def history(settings: Settings, period: str, scope: Scope, entity: str) -> History:
    """Every version of the period with this entity's total in it, and every action on the period that concerns
    this entity: publications and re-issues (the whole period), its appeals and its adjustments."""
    with snapshot_reader(settings) as con:
        vs = con.execute(
            "SELECT c.version, c.status, c.reason, c.created_at, c.created_by, s.total_score, "
            "CASE WHEN s.ranked THEN s.grade END, s.rank FROM marts.scorecard c LEFT JOIN marts.score s "
            "ON s.period = c.period AND s.version = c.version AND s.object = ? AND s.level = ? AND s.entity_code = ? "
            "WHERE c.period = ? ORDER BY c.version", [scope.object, scope.level, entity, period]).fetchall()
        name = con.execute("SELECT any_value(coalesce(entity_name, entity_code)) FROM marts.score WHERE period = ? "
                           "AND object = ? AND level = ? AND entity_code = ?",
                           [period, scope.object, scope.level, entity]).fetchone()
        appeal_ids = {int(r[0]) for r in con.execute(
            "SELECT appeal_id FROM marts.appeal WHERE period = ? AND object = ? AND entity_code = ?",
            [period, scope.object, entity]).fetchall()}
        audit = con.execute("SELECT occurred_at, actor, action, version, detail FROM marts.evaluation_audit "
                            "WHERE period = ? ORDER BY audit_id", [period]).fetchall()
    actions = []
    for at, actor, action, version, raw in audit:
        detail = json.loads(raw) if raw else {}
        if action.startswith("appeal_") and detail.get("appeal_id") not in appeal_ids:
            continue
        if action == "adjustment" and (detail.get("entity"), detail.get("object"), detail.get("level")) != (
                entity, scope.object, scope.level):
            continue
        why = str(detail.get("reason") or ("首次发布" if action == "publish" else ""))
        actions.append(HistoryAction(at, str(actor), str(action), version, why, detail))
    return History(period, scope, entity, str(name[0]) if name and name[0] else entity,
                   [HistoryVersion(*r) for r in vs], actions)

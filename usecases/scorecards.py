"""The evaluation office's jobs on scorecards (综合评价) after the monthly computation: publish the reviewed draft
through the gate, re-issue with a reason, appeals (申诉) with evidence files, decisions, 扣分/加分 adjustments.

Each job is one function taking ``settings`` and returning a typed outcome; the CLI (``szcg evaluate publish /
reissue / appeal / decide / adjust``) and the portal call these, so both do the same thing. Every job writes the
work database under the writer lock, is audited in ``marts.evaluation_audit`` (who, when, why) by the store, and
publishes a warehouse snapshot so readers (portal pages, dashboards) see it. Reasons are free text typed by
people: phone and ID-card numbers in them are masked (szcg.privacy) before they reach the warehouse.
"""

from __future__ import annotations

import hashlib
import shutil
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import duckdb

from szcg.privacy import scrub_text
from szcg.settings import Settings
from transforms.evaluation import store
from transforms.evaluation.store import EvaluationRefused, Evidence
from usecases.evaluation import VALIDATIONS, evaluation_context
from usecases.publish import publish

# Evidence of an appeal: a few documents or photos, checked by their first bytes, not by the name they came with.
MAX_EVIDENCE_FILES = 5
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
EVIDENCE_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
}
EVIDENCE_DIR = Path("evaluation") / "appeals"  # under the data directory
_CHUNK = 1024 * 1024


# --- outcomes ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GateResult:
    """The draft's validations: ``passed`` False names every problem, and nothing is published."""

    period: str
    passed: bool
    problems: tuple[str, ...]


@dataclass(frozen=True)
class PublishOutcome:
    gate: GateResult
    version: int | None = None  # None: the gate was closed
    content_sha256: str | None = None
    snapshot: str | None = None

    @property
    def published(self) -> bool:
        return self.version is not None


@dataclass(frozen=True)
class VersionOutcome:
    """A new published version (re-issue, accepted appeal, adjustment)."""

    period: str
    version: int
    reason: str
    content_sha256: str
    snapshot: str


@dataclass(frozen=True)
class AppealOutcome:
    appeal_id: int
    period: str
    entity_code: str
    case_id: str
    evidence: tuple[Evidence, ...]
    snapshot: str


@dataclass(frozen=True)
class DecisionOutcome:
    appeal_id: int
    period: str
    decision: str  # accepted / rejected
    version: VersionOutcome | None  # the new version of an accepted appeal
    snapshot: str


@dataclass(frozen=True)
class AdjustmentOutcome:
    adjustment_id: int
    version: VersionOutcome


@dataclass(frozen=True)
class EvidenceUpload:
    """A file as the caller received it: its name as given and a binary stream (read once, in chunks)."""

    file_name: str
    stream: BinaryIO


@dataclass(frozen=True)
class AppealRequest:
    period: str
    entity_code: str
    case_id: str
    reason: str
    indicator: str | None = None
    object: str | None = None
    evidence: Sequence[EvidenceUpload] = field(default_factory=tuple)


# --- shared steps -----------------------------------------------------------------------------------------------
def _publish_snapshot(settings: Settings, reason: str) -> str:
    """Every job here changed the work database: readers get a new audited snapshot (usecases.publish)."""
    snapshot = publish(settings, reason).snapshot_id
    assert snapshot is not None  # a forced publish always makes one
    return snapshot


def _version(summary: store.VersionSummary, snapshot: str) -> VersionOutcome:
    return VersionOutcome(summary.period, summary.version, summary.reason, summary.content_sha256, snapshot)


def check_draft(con: duckdb.DuckDBPyConnection, period: str) -> GateResult:
    """The gate: the monthly evaluation's validations (usecases.evaluation.VALIDATIONS) of the draft on ``con``
    (the work database when publishing; the snapshot for a preview)."""
    problems = []
    for name, sql in VALIDATIONS:
        row = con.execute(sql, [period]).fetchone()
        if row and row[0]:
            problems.append(name)
    return GateResult(period, not problems, tuple(problems))


# --- jobs -------------------------------------------------------------------------------------------------------
def publish_draft(settings: Settings, period: str, *, actor: str) -> PublishOutcome:
    """Publish the reviewed draft as version 1 if the gate passes; a closed gate publishes nothing and says why."""
    from transforms.evaluation.period import parse_period
    from warehouse.store import Warehouse

    p = parse_period(period)
    with Warehouse(settings).writer() as con:
        if store.header(con, p.key, store.DRAFT) is None:
            raise EvaluationRefused("period", "draft_exists", f"{p.key} 没有待发布的草稿，请先计算")
        gate = check_draft(con, p.key)
        if not gate.passed:
            return PublishOutcome(gate)
        summary = store.publish(con, p, actor=actor)
    snapshot = _publish_snapshot(settings, f"evaluation {p.key} published v{summary.version} by {actor}")
    return PublishOutcome(gate, summary.version, summary.content_sha256, snapshot)


def reissue(settings: Settings, period: str, reason: str, *, actor: str,
            scheme_path: Path | None = None) -> VersionOutcome:
    """Recompute the period from current events (with accepted appeals and adjustments) as the next version."""
    from transforms.evaluation.period import parse_period
    from warehouse.store import Warehouse

    p, reason = parse_period(period), scrub_text(reason)
    if not reason.strip():  # refused before the (long) computation
        raise EvaluationRefused("reason", "reason_required", "重新发布需要填写理由")
    scheme, calendar, handbook = evaluation_context(settings, scheme_path)
    with Warehouse(settings).writer() as con:
        summary = store.reissue(con, p, scheme, calendar, reason=reason.strip(), actor=actor, handbook=handbook)
    return _version(summary, _publish_snapshot(settings, f"evaluation {p.key} re-issued v{summary.version}"))


def file_appeal(settings: Settings, request: AppealRequest, *, actor: str) -> AppealOutcome:
    """申诉 with evidence: the files are checked (type by content, size, count) and kept under the data directory
    before the appeal is recorded; a refused appeal keeps no file."""
    from transforms.evaluation.period import parse_period
    from warehouse.store import Warehouse

    p = parse_period(request.period)
    reason = scrub_text(request.reason)
    if not reason.strip():
        raise EvaluationRefused("reason", "reason_required", "申诉需要填写理由")
    if len(request.evidence) > MAX_EVIDENCE_FILES:
        raise EvaluationRefused("evidence", "evidence_count", f"证明材料最多 {MAX_EVIDENCE_FILES} 个文件")
    folder = EVIDENCE_DIR / uuid.uuid4().hex
    try:
        kept = tuple(_keep_evidence(settings.data_dir, folder, n, upload)
                     for n, upload in enumerate(request.evidence, 1))
        with Warehouse(settings).writer() as con:
            appeal_id = store.file_appeal(con, p.key, request.entity_code, request.case_id, reason.strip(),
                                          indicator=request.indicator or None, obj=request.object or None,
                                          actor=actor, evidence=kept)
    except BaseException:
        shutil.rmtree(settings.data_dir / folder, ignore_errors=True)
        raise
    snapshot = _publish_snapshot(settings, f"evaluation appeal #{appeal_id}")
    return AppealOutcome(appeal_id, p.key, request.entity_code, request.case_id, kept, snapshot)


def decide_appeal(settings: Settings, appeal_id: int, accept: bool, reason: str, *, actor: str) -> DecisionOutcome:
    """The office accepts (→ a new version without the contested case) or rejects an appeal, with a reason."""
    from warehouse.store import Warehouse

    reason = scrub_text(reason)
    if not reason.strip():
        raise EvaluationRefused("reason", "reason_required", "处理申诉需要填写理由")
    scheme, calendar, handbook = evaluation_context(settings)
    with Warehouse(settings).writer() as con:
        row = con.execute("SELECT period FROM marts.appeal WHERE appeal_id = ?", [appeal_id]).fetchone()
        if row is None:
            raise EvaluationRefused("appeal_id", "exists", f"没有编号为 {appeal_id} 的申诉")
        decision, summary = store.decide_appeal(con, appeal_id, accept, reason.strip(), scheme, calendar,
                                                actor=actor, handbook=handbook)
    snapshot = _publish_snapshot(settings, f"evaluation appeal #{appeal_id} {decision}")
    return DecisionOutcome(appeal_id, str(row[0]), decision,
                           _version(summary, snapshot) if summary else None, snapshot)


def adjust(settings: Settings, period: str, obj: str, level: str, entity: str, points: float, reason: str,
           approver: str, *, actor: str) -> AdjustmentOutcome:
    """扣分 (points < 0) / 加分 (points > 0) on one entity's total, approved by ``approver`` → a new version."""
    from transforms.evaluation.period import parse_period
    from warehouse.store import Warehouse

    p, reason = parse_period(period), scrub_text(reason)
    if not reason.strip():
        raise EvaluationRefused("reason", "reason_required", "扣分/加分需要填写理由")
    scheme, calendar, handbook = evaluation_context(settings)
    with Warehouse(settings).writer() as con:
        adjustment_id, summary = store.adjust(con, p, obj, level, entity, points, reason.strip(), approver.strip(),
                                              scheme, calendar, actor=actor, handbook=handbook)
    snapshot = _publish_snapshot(settings, f"evaluation {p.key} adjustment #{adjustment_id}")
    return AdjustmentOutcome(adjustment_id, _version(summary, snapshot))


# --- evidence files ---------------------------------------------------------------------------------------------
def safe_file_name(name: str) -> str:
    """The uploaded name without any path, control or shell-special characters (Chinese letters stay), ≤ 80
    characters with its extension; never empty, never hidden."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    cleaned = "".join(ch if ch.isalnum() or ch in "._-()（）" else "_" for ch in base).lstrip("._")
    stem, dot, ext = cleaned.rpartition(".")
    if not dot:
        stem, ext = cleaned, ""
    ext = ext[:10]
    stem = stem[: 80 - len(ext) - 1] or "evidence"
    return f"{stem}.{ext}" if ext else stem


def _keep_evidence(data_dir: Path, folder: Path, file_no: int, upload: EvidenceUpload) -> Evidence:
    """Copy one upload in chunks under ``data_dir/folder``, refusing a type or size we do not keep."""
    shown = safe_file_name(upload.file_name)
    ext = Path(shown).suffix.lower()
    if ext not in EVIDENCE_TYPES:
        raise EvaluationRefused("evidence", "evidence_type",
                                f"证明材料 {shown}：只接受 {'、'.join(sorted(EVIDENCE_TYPES))} 文件")
    content_type, magics = EVIDENCE_TYPES[ext]
    target_dir = data_dir / folder
    target_dir.mkdir(parents=True, exist_ok=True)
    relative = folder / f"{file_no:02d}-{shown}"
    digest, size = hashlib.sha256(), 0
    with (data_dir / relative).open("wb") as out:
        while chunk := upload.stream.read(_CHUNK):
            if size == 0 and not any(chunk.startswith(m) for m in magics):
                raise EvaluationRefused("evidence", "evidence_type",
                                        f"证明材料 {shown}：内容不是 {ext} 文件")
            size += len(chunk)
            if size > MAX_EVIDENCE_BYTES:
                raise EvaluationRefused("evidence", "evidence_size",
                                        f"证明材料 {shown}：超过 {MAX_EVIDENCE_BYTES // (1024 * 1024)} MB")
            digest.update(chunk)
            out.write(chunk)
    if size == 0:
        raise EvaluationRefused("evidence", "evidence_empty", f"证明材料 {shown}：文件是空的")
    return Evidence(shown, relative.as_posix(), content_type, size, digest.hexdigest())

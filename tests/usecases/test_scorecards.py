"""The evaluation office's jobs (usecases.scorecards) on the hand-counted October city: publish through the gate,
re-issue, appeals with evidence files, decisions and 扣分/加分 — each audited, each a new version where it should be."""

from __future__ import annotations

import io
import json

import pytest

from szcg.settings import Settings
from tests.transforms.evaluation.city import DA, DB, build_october
from transforms.evaluation import adjustments, engine, store
from transforms.evaluation.period import parse_period
from transforms.evaluation.store import EvaluationRefused
from usecases import scorecard_views as views
from usecases import scorecards
from usecases.evaluation import evaluation_context
from usecases.scorecards import AppealRequest, EvidenceUpload
from warehouse.store import Warehouse

PERIOD = "2026-10"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
DEPT = views.Scope("department", "department")


@pytest.fixture
def drafted(settings: Settings) -> Settings:
    """October loaded and its draft computed with the city's scheme, as the monthly DAG leaves it."""
    scheme, calendar, handbook = evaluation_context(settings)
    wh = Warehouse(settings)
    with wh.writer() as con:
        build_october().load(con)
        store.compute_draft(con, parse_period(PERIOD), scheme, calendar, actor="airflow", handbook=handbook)
    wh.publish(reason="october draft")
    return settings


@pytest.fixture
def published(drafted: Settings) -> Settings:
    assert scorecards.publish_draft(drafted, PERIOD, actor="evaluator").version == 1
    return drafted


def _audit(settings: Settings) -> list[tuple[str, str, int | None, dict[str, object]]]:
    with Warehouse(settings).reader() as con:
        rows = con.execute("SELECT actor, action, version, detail FROM marts.evaluation_audit ORDER BY audit_id"
                           ).fetchall()
    return [(a, b, v, json.loads(d)) for a, b, v, d in rows]


def _total(settings: Settings, version: int, entity: str = DA) -> float:
    with Warehouse(settings).reader() as con:
        row = con.execute("SELECT total_score FROM marts.score WHERE period = ? AND version = ? "
                          "AND object = 'department' AND entity_code = ?", [PERIOD, version, entity]).fetchone()
    assert row is not None
    return float(row[0])


def test_publishing_the_draft_passes_the_gate_and_is_audited_once(drafted: Settings) -> None:
    outcome = scorecards.publish_draft(drafted, PERIOD, actor="evaluator")
    assert outcome.published and outcome.version == 1 and outcome.gate.passed and outcome.snapshot
    with Warehouse(drafted).reader() as con:  # readers see it at once
        assert views.latest_published(con, PERIOD) == 1
    assert [(a, b, v) for a, b, v, _ in _audit(drafted)] == [("evaluator", "publish", 1)]
    with pytest.raises(EvaluationRefused, match="already published"):
        scorecards.publish_draft(drafted, PERIOD, actor="evaluator")


def test_a_closed_gate_publishes_nothing_and_names_the_problem(drafted: Settings) -> None:
    with Warehouse(drafted).writer() as con:
        con.execute("UPDATE marts.score SET total_score = 120 WHERE period = ? AND version = 0 AND entity_code = ?",
                    [PERIOD, DA])
    outcome = scorecards.publish_draft(drafted, PERIOD, actor="evaluator")
    assert not outcome.published and outcome.gate.problems == ("total score outside 0–100",)
    with Warehouse(drafted).writer() as con:
        assert store.published_versions(con, PERIOD) == []
        assert con.execute("SELECT count(*) FROM marts.evaluation_audit").fetchone() == (0,)


def test_a_reissue_needs_a_reason_and_adds_a_version(published: Settings) -> None:
    with pytest.raises(EvaluationRefused, match="理由"):
        scorecards.reissue(published, PERIOD, "  ", actor="evaluator")
    out = scorecards.reissue(published, PERIOD, "迟报事件补录", actor="evaluator")
    assert (out.version, out.reason) == (2, "迟报事件补录")
    assert _audit(published)[-1][:3] == ("evaluator", "reissue", 2)
    assert _audit(published)[-1][3]["reason"] == "迟报事件补录"


def test_an_appeal_keeps_its_evidence_under_a_safe_name_and_acceptance_makes_a_version(published: Settings) -> None:
    request = AppealRequest(PERIOD, DA, "t:C02", "节后积压，已报备", indicator="on_time_handle_rate",
                            object="department",
                            evidence=[EvidenceUpload("../../etc/报备 单.pdf", io.BytesIO(PDF))])
    filed = scorecards.file_appeal(published, request, actor="dept-a")
    (kept,) = filed.evidence
    assert kept.file_name == "报备_单.pdf" and kept.size_bytes == len(PDF)
    stored = published.data_dir / kept.stored_path
    assert stored.read_bytes() == PDF and stored.is_relative_to(published.data_dir / "evaluation" / "appeals")
    (row,) = views.appeals(published, entity=DA)
    assert (row.status, [e.file_name for e in row.evidence]) == ("pending", ["报备_单.pdf"])
    assert views.evidence_file(published, filed.appeal_id, 1) is not None
    with pytest.raises(EvaluationRefused, match="理由"):
        scorecards.decide_appeal(published, filed.appeal_id, True, "", actor="evaluator")
    decided = scorecards.decide_appeal(published, filed.appeal_id, True, "情况属实", actor="evaluator")
    assert decided.decision == "accepted" and decided.version is not None and decided.version.version == 2
    history = views.history(published, PERIOD, DEPT, DA)
    assert [v.version for v in history.versions] == [0, 1, 2]
    assert [(a.action, a.actor, a.why) for a in history.actions] == [
        ("publish", "evaluator", "首次发布"), ("appeal_filed", "dept-a", "节后积压，已报备"),
        ("reissue", "evaluator", "申诉 #1 受理：情况属实"), ("appeal_accepted", "evaluator", "情况属实")]


@pytest.mark.parametrize(("name", "content", "rule"), [
    ("证明.exe", b"MZ\x90\x00", "evidence_type"),
    ("证明.pdf", b"MZ\x90\x00 not a pdf", "evidence_type"),
    ("空.pdf", b"", "evidence_empty"),
])
def test_evidence_of_the_wrong_type_is_refused_and_nothing_is_kept(published: Settings, name: str, content: bytes,
                                                                    rule: str) -> None:
    request = AppealRequest(PERIOD, DA, "t:C02", "理由", evidence=[EvidenceUpload(name, io.BytesIO(content))])
    with pytest.raises(EvaluationRefused) as refused:
        scorecards.file_appeal(published, request, actor="dept-a")
    assert refused.value.problems[0].rule == rule
    assert not any((published.data_dir / "evaluation" / "appeals").glob("*/*"))
    assert views.appeals(published) == []


def test_evidence_over_the_size_limit_is_refused(published: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scorecards, "MAX_EVIDENCE_BYTES", len(PDF) - 1)
    request = AppealRequest(PERIOD, DA, "t:C02", "理由", evidence=[EvidenceUpload("a.pdf", io.BytesIO(PDF))])
    with pytest.raises(EvaluationRefused, match="超过"):
        scorecards.file_appeal(published, request, actor="dept-a")


def test_an_appeal_on_a_case_not_counted_keeps_no_file(published: Settings) -> None:
    request = AppealRequest(PERIOD, DA, "t:C09", "不是我们的案件",
                            evidence=[EvidenceUpload("a.pdf", io.BytesIO(PDF))])
    with pytest.raises(EvaluationRefused, match="not counted"):
        scorecards.file_appeal(published, request, actor="dept-a")
    assert not any((published.data_dir / "evaluation" / "appeals").glob("*/*"))


def test_a_rejected_appeal_makes_no_version(published: Settings) -> None:
    filed = scorecards.file_appeal(published, AppealRequest(PERIOD, DA, "t:C12", "月末派遣"), actor="dept-a")
    decided = scorecards.decide_appeal(published, filed.appeal_id, False, "在考核期内派遣，应计入", actor="evaluator")
    assert decided.decision == "rejected" and decided.version is None
    (row,) = views.appeals(published)
    assert (row.status, row.decided_by, row.decision_reason) == ("rejected", "evaluator", "在考核期内派遣，应计入")


def test_an_adjustment_makes_a_version_and_stays_in_later_ones(published: Settings) -> None:
    engine_total = _total(published, 1)
    out = scorecards.adjust(published, PERIOD, "department", "department", DA, -5, "群众投诉处置不力", "张主任",
                            actor="evaluator")
    assert out.version.version == 2
    assert _total(published, 2) == round(engine_total - 5, 2) and _total(published, 2, DB) == _total(published, 1, DB)
    detail = views.score_detail(published, PERIOD, 2, DEPT, DA)
    assert detail is not None
    (line,) = detail.adjustments
    assert (line.points, line.engine_total, line.adjusted_total, line.approver) == (
        -5, engine_total, round(engine_total - 5, 2), "张主任")
    assert _audit(published)[-1][1:3] == ("adjustment", 2)
    assert _audit(published)[-1][3]["approver"] == "张主任"
    # a later re-issue recomputes from the events and applies the adjustment again
    scorecards.reissue(published, PERIOD, "复核", actor="evaluator")
    assert _total(published, 3) == _total(published, 2)
    with Warehouse(published).writer() as con:
        assert store.published_scorecards_intact(con) == []
        con.execute("UPDATE marts.score_adjustment_lineage SET points = -50 WHERE version = 2")
        assert store.published_scorecards_intact(con) == [f"scorecard {PERIOD} version 2 changed after publication"]


@pytest.mark.parametrize(("points", "reason", "approver", "field"), [
    (0, "理由", "张主任", "points"), (150, "理由", "张主任", "points"), (-3, " ", "张主任", "reason"),
    (-3, "理由", "", "approver"),
])
def test_an_adjustment_without_points_reason_or_approver_is_refused(
        published: Settings, points: float, reason: str, approver: str, field: str) -> None:
    with pytest.raises(EvaluationRefused) as refused:
        scorecards.adjust(published, PERIOD, "department", "department", DA, points, reason, approver,
                          actor="evaluator")
    assert refused.value.problems[0].field == field


def test_reranking_without_adjustments_gives_the_engines_own_scores(drafted: Settings) -> None:
    """adjustments.RERANK_SQL restates 10_score.sql's grades and ranks: on unadjusted totals both must agree."""
    scheme, calendar, handbook = evaluation_context(drafted)
    with Warehouse(drafted).writer() as con:
        engine.run(con, parse_period(PERIOD), scheme, calendar, handbook=handbook)
        before = con.execute("SELECT * FROM eval_score ORDER BY ALL").fetchall()
        con.execute("CREATE OR REPLACE TEMP TABLE eval_adjustment (adjustment_id INTEGER, object VARCHAR, "
                    "level VARCHAR, entity_code VARCHAR, points DOUBLE)")
        con.execute(adjustments.RERANK_SQL)
        assert con.execute("SELECT * FROM eval_score ORDER BY ALL").fetchall() == before


def test_safe_file_names() -> None:
    assert scorecards.safe_file_name("C:\\Users\\x\\照片 1.JPG") == "照片_1.JPG"
    assert scorecards.safe_file_name("../.hidden") == "hidden"
    assert scorecards.safe_file_name("a;rm -rf.pdf") == "a_rm_-rf.pdf"
    assert scorecards.safe_file_name("...") == "evidence"
    assert len(scorecards.safe_file_name("长" * 300 + ".pdf")) == 80


def test_the_board_shows_the_draft_beside_last_month(published: Settings) -> None:
    board = views.board(published, None, DEPT)  # the newest period with a draft
    assert board is not None and board.period == PERIOD and board.has_draft
    assert board.published_version == 1 and board.previous_period == "2026-09"
    assert {r.entity_code for r in board.rows} == {DA, DB}
    page = views.lineage(published, PERIOD, 0, DEPT, DA, indicator="on_time_handle_rate")
    assert [c.case_id for c in page.cases] == ["t:C01", "t:C02", "t:C03", "t:C12"]
    assert [c.in_numerator for c in page.cases] == [True, False, True, False]


def test_phone_numbers_in_reasons_never_reach_the_warehouse(published: Settings) -> None:
    filed = scorecards.file_appeal(
        published, AppealRequest(PERIOD, DA, "t:C02", "市民 13912345678 来电确认已处置"), actor="dept-a")
    scorecards.decide_appeal(published, filed.appeal_id, False, "回访 0349-2345678 未接通", actor="evaluator")
    (row,) = views.appeals(published)
    assert (row.reason, row.decision_reason) == ("市民 [电话] 来电确认已处置", "回访 [电话] 未接通")
    assert "13912345678" not in json.dumps([d for *_, d in _audit(published)], ensure_ascii=False)


def test_the_cli_adjusts_through_the_same_job(published: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    from szcg.cli import main

    assert main(["evaluate", "adjust", "--period", PERIOD, "--object", "department", "--entity", DA,
                 "--points", "2", "--reason", "专项整治表现突出", "--approver", "李局长", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["adjustment_id"], out["version"]) == (1, 2)
    assert _total(published, 2) == min(100.0, round(_total(published, 1) + 2, 2))
    assert main(["evaluate", "adjust", "--period", PERIOD, "--object", "department", "--entity", DA,
                 "--points", "2", "--reason", " ", "--approver", "李局长"]) == 1


def test_the_board_of_a_new_installation_is_empty(settings: Settings) -> None:
    assert views.board(settings, None, DEPT) is None

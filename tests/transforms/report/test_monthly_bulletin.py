"""The 监督指挥中心 issues the month's bulletin: nine sections whose figures are the warehouse's, a document on A4
with page numbers and an embedded Chinese font, mailed to the list and archived; a re-issued scorecard is followed
by a 更正版 naming its reason."""

from __future__ import annotations

import json
import re
import subprocess
from email import message_from_bytes, policy
from email.message import Message
from pathlib import Path
from typing import Any

import pytest

from szcg.cli import main
from szcg.settings import Settings
from warehouse.store import Warehouse

SECTIONS = ("一、综述", "二、案件来源与类别", "三、区域评价", "四、专业部门评价", "五、岗位评价", "六、12319 热线",
            "七、突出问题", "八、超期案件", "九、下月关注")


def _pdftext(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    later = [text.index(h, start + 1) for h in SECTIONS if h in text[start + 1:] and text.index(h) > start]
    return text[start:min(later)] if later else text[start:]


def _one(con: Any, sql: str, params: list[Any]) -> Any:
    row = con.execute(sql, params).fetchone()
    return row[0] if row else None


def _words(label: str, now: float, before: float, word: str, *, rate: bool) -> str:
    """The phrase a reader expects, computed here from the warehouse's numbers (not by the report's code)."""
    if rate:
        diff = 100 * (now - before)
        return f"{word}{'上升' if diff > 0 else '下降'}{abs(diff):.2f}个百分点"
    rel = 100 * (now - before) / before
    return f"{word}{'上升' if rel > 0 else '下降'}{abs(rel):.1f}%"


def _city(settings: Settings, period: str) -> dict[str, float]:
    with Warehouse(settings).reader() as con:
        v = _one(con, "SELECT max(version) FROM marts.scorecard WHERE period = ? AND status = 'published'", [period])
        rows = con.execute("SELECT indicator, sum(numerator), sum(denominator) FROM marts.indicator_value "
                           "WHERE period = ? AND version = ? AND object = 'region' AND level = 'district' "
                           "GROUP BY 1", [period, v]).fetchall()
    got = {k: (n if d is None else n / d) for k, n, d in rows}
    got["closed"] = next(n for k, n, _ in rows if k == "close_rate")
    return got


def test_the_latest_month_reads_as_a_bulletin_whose_figures_are_the_warehouses(
    settings: Settings, evaluated_city: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    month, before, year_ago = evaluated_city[-1], evaluated_city[-2], evaluated_city[-13]
    pdf = tmp_path / "report.pdf"
    assert main(["report", "--period", month, "--out", str(pdf), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    text = _pdftext(pdf)
    flat = _flat(text)
    for heading in SECTIONS:
        assert heading in text, heading
    # a document: cover line, issuing centre, version, mark, page numbers on every page
    assert "数字化城市管理监督指挥中心" in text and "内部资料" in text and "发布日期" in text
    assert f"评分卡：{month}第1版（正式发布）" in flat
    pages = summary["pages"]
    assert pages >= 6 and all(f"第 {n} 页 共 {pages} 页" in text for n in range(1, pages + 1))
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:]), fonts  # every font embedded

    # 一、综述: the city's figures with 环比 and 同比 in words
    now, mom, yoy = _city(settings, month), _city(settings, before), _city(settings, year_ago)
    registered = int(now["registered"])
    assert (f"立案{registered:,}件，" + _words("立案", now["registered"], mom["registered"], "环比", rate=False) + "，"
            + _words("立案", now["registered"], yoy["registered"], "同比", rate=False)) in flat
    close_words = _words("", now["close_rate"], mom["close_rate"], "环比", rate=True)
    assert f"结案率{100 * now['close_rate']:.2f}%，{close_words}" in flat
    assert "无可比数据" not in _section(text, "一、综述")

    with Warehouse(settings).reader() as con:
        cohort = ("SELECT DISTINCT case_id FROM marts.score_lineage WHERE period = ? AND version = 1 AND object = "
                  "'region' AND level = 'district' AND indicator = 'registered' AND role = 'numerator'")
        by_source = dict(con.execute(f'SELECT source, count(*) FROM ({cohort}) JOIN core."case" USING (case_id) '
                                     "GROUP BY 1", [month]).fetchall())
        best_department = con.execute("SELECT entity_name, total_score FROM marts.score WHERE period = ? AND "
                                      "version = 1 AND object = 'department' AND rank = 1", [month]).fetchone()
        best_change = _one(con, "SELECT c.mom_change FROM marts.score_change c JOIN marts.score s USING (period, "
                                "version, object, level, entity_code) WHERE s.period = ? AND s.version = 1 AND "
                                "s.object = 'department' AND s.rank = 1", [month])
        few = con.execute("SELECT entity_name, grade FROM marts.score WHERE period = ? AND version = 1 AND "
                          "object = 'region' AND level = 'district' AND NOT ranked", [month]).fetchall()
        ranked_districts = _one(con, "SELECT count(*) FROM marts.score WHERE period = ? AND version = 1 AND "
                                     "object = 'region' AND level = 'district' AND ranked", [month])
        calls = _one(con, "SELECT count(*) FROM core.hotline_call WHERE strftime(called_at, '%Y-%m') = ?", [month])
        overdue = _one(con, "SELECT count(DISTINCT case_id) FROM marts.score_lineage WHERE period = ? AND "
                            "version = 1 AND object = 'department' AND indicator = 'overdue_count' AND "
                            "role = 'numerator'", [month])
    # 二、sources add up to 立案
    assert sum(by_source.values()) == registered
    sources = _section(text, "二、案件来源与类别")
    assert re.search(rf"监督员巡查上报\s+{by_source['supervisor']}\s", sources)
    # 三、units below the minimum sample: named apart, with neither grade nor score
    regions = _section(text, "三、区域评价")
    assert few, "the synthetic month has a district below the minimum sample"
    for name, _grade in few:
        assert f"{name}（样本" in _flat(regions)
        assert not re.search(rf"^\s*\d+\s+{name}\s", regions, re.M)  # no ranked row for it
    assert len(re.findall(r"^\s*\d+\s+\S+\s+\d+\.\d\d\s+[ABCDE]\s", regions.split("街道")[0], re.M)) == ranked_districts
    # 四、the first department
    assert best_department is not None
    assert re.search(rf"1\s+{best_department[0]}\s+{best_department[1]:.2f}", _section(text, "四、专业部门评价"))
    # its 环比 is the change against last month's published score, whatever order the months were published in
    assert best_change is not None
    assert re.search(rf"1\s+{best_department[0]}\s+{best_department[1]:.2f}\s[^\n]*"
                     + re.escape(f"{float(best_change):+.2f}"),
                     _section(text, "四、专业部门评价"))
    # 六、12319
    assert f"来电{calls}个" in _flat(_section(text, "六、12319 热线"))
    # 八、overdue: every row has a numeric 超时倍数, worst first
    late = _section(text, "八、超期案件")
    assert f"共{overdue}件" in _flat(late)
    multiples = [float(m) for m in re.findall(r"synth:\S+\s.*?\s(\d+\.\d\d)\s+\d+\.\d\s", late, re.S)]
    assert len(multiples) == min(15, overdue) and multiples == sorted(multiples, reverse=True) and multiples[0] > 0
    # 九、generated from rules, not empty boilerplate
    assert re.search(r"^\s*1\.\s", _section(text, "九、下月关注"), re.M) or "未触发关注规则" in text


def test_html_comes_from_the_same_template_with_the_overdue_table_ordered_by_multiple(
    settings: Settings, evaluated_city: list[str], tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    assert main(["report", "--period", evaluated_city[-1], "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    for heading in SECTIONS:
        assert f"<h2>{heading}</h2>" in page
    late = page[page.index("<h2>八、超期案件</h2>"):page.index("<h2>九、下月关注</h2>")]
    multiples = [float(m) for m in re.findall(r"<td>(\d+\.\d\d)</td><td>\d+\.\d</td>", late)]
    assert multiples and multiples == sorted(multiples, reverse=True)
    assert "<img alt=\"热点网格图\"" in page  # at least one district's hot grids are drawn on a map


def test_show_prints_insufficient_sample_without_a_grade(
    settings: Settings, evaluated_city: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    month = evaluated_city[-1]
    assert main(["evaluate", "show", "--period", month, "--object", "region", "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)["scores"]
    few = [s for s in scores if not s["ranked"]]
    assert few and all(s["grade"] is None for s in few)
    assert main(["evaluate", "show", "--period", month, "--object", "region"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for s in few[:20]:
        line = next(x for x in lines if f" {s['entity_code']} " in x)
        assert "样本不足" in line and f" {s['total_score']}" not in line and not re.search(r"\s[ABCDE]\s", line)


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


@pytest.fixture
def inbox(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A real SMTP server on loopback; the platform's mail settings point at it."""
    from aiosmtpd.controller import Controller

    from szcg.demo import free_port

    box = Inbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("SZCG_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SZCG_SMTP_PORT", str(port))
    monkeypatch.setenv("SZCG_SMTP_SENDER", "jiandu@example.org")
    monkeypatch.setenv("SZCG_REPORT_RECIPIENTS", "mayor-office@example.org, chengguanju@example.org")
    try:
        yield box
    finally:
        controller.stop()


def _pdf_of(message: Message) -> tuple[str, bytes]:
    parts = [p for p in message.walk() if p.get_content_type() == "application/pdf"]
    assert len(parts) == 1
    payload = parts[0].get_payload(decode=True)
    assert isinstance(payload, bytes)
    return str(parts[0].get_filename()), payload


def test_the_dag_step_mails_the_pdf_archives_it_and_sends_a_correction_after_a_reissue(
    settings: Settings, evaluated_city: list[str], inbox: Inbox, tmp_path: Path,
    capsys: pytest.CaptureFixture[str]
) -> None:
    from orchestration import steps
    from transforms.report.delivery import issued_reports

    month = evaluated_city[-1]
    first = steps.issue_monthly_report(month)
    assert [i["version"] for i in first["issued"]] == [1]
    assert len(inbox.messages) == 1
    recipients, message = inbox.messages[0]
    assert sorted(recipients) == ["chengguanju@example.org", "mayor-office@example.org"]
    assert "运行情况月报" in str(message["Subject"]) and "更正版" not in str(message["Subject"])
    name, pdf = _pdf_of(message)
    archived = issued_reports(settings)
    assert len(archived) == 1 and Path(archived[0].pdf).read_bytes() == pdf and archived[0].sent_to == 2
    assert name.endswith(".pdf") and pdf.startswith(b"%PDF")

    assert steps.issue_monthly_report(month)["issued"] == []  # a re-run sends nothing twice
    assert len(inbox.messages) == 1

    reason = "补录 1 月延期审批记录，重新核定超期处置数"
    assert main(["evaluate", "reissue", "--period", month, "--reason", reason]) == 0
    capsys.readouterr()
    # the centre issues the correction at once (the monthly DAG run would issue it too)
    assert main(["report", "--period", month, "--issue", "--json"]) == 0
    later = json.loads(capsys.readouterr().out)
    assert [(i["version"], i["corrected"]) for i in later["issued"]] == [(2, True)]
    assert len(inbox.messages) == 2
    _, message = inbox.messages[1]
    assert "更正版" in str(message["Subject"])
    body = next(p for p in message.walk() if p.get_content_type() == "text/plain").get_payload(decode=True)
    assert isinstance(body, bytes) and reason in body.decode("utf-8")
    name, pdf = _pdf_of(message)
    assert "更正版" in name
    (tmp_path / "c.pdf").write_bytes(pdf)
    text = _flat(_pdftext(tmp_path / "c.pdf"))
    assert "（更正版）" in text and _flat(reason) in text and f"评分卡：{month}第2版" in text
    assert [(r.version, r.corrected) for r in issued_reports(settings, month)] == [(2, True), (1, False)]


def test_the_next_monthly_run_issues_the_correction_of_an_earlier_month_reissued_since(
    settings: Settings, evaluated_city: list[str], inbox: Inbox, capsys: pytest.CaptureFixture[str]
) -> None:
    from orchestration import steps

    earlier, month = evaluated_city[-2], evaluated_city[-1]
    assert [i["period"] for i in steps.issue_monthly_report(earlier)["issued"]] == [earlier]
    assert main(["evaluate", "reissue", "--period", earlier, "--reason", "申诉成立：剔除 2 件非责任案件"]) == 0
    capsys.readouterr()
    issued = steps.issue_monthly_report(month)["issued"]
    assert [(i["period"], i["version"], i["corrected"]) for i in issued] == [(month, 1, False), (earlier, 2, True)]
    subjects = [str(m["Subject"]) for _, m in inbox.messages]
    assert len(subjects) == 3 and "更正版" in subjects[2] and "更正版" not in subjects[1]

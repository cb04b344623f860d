"""The evaluation office prints the October report: Chinese text, real CJK fonts, rankings, map and hotline."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from szcg.cli import main
from szcg.settings import Settings
from tests.transforms.evaluation.city import COMMUNITY_OF, G1, build_october
from warehouse.store import Warehouse


def _square(x: float, y: float, size: float = 0.005) -> str:
    return (f"POLYGON(({x} {y}, {x + size} {y}, {x + size} {y + size}, {x} {y + size}, {x} {y}))")


@pytest.fixture
def october_published(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    with Warehouse(settings).writer() as con:
        build_october().load(con)
        for n, (grid, community) in enumerate(sorted(COMMUNITY_OF.items())):
            con.execute("INSERT INTO core.grid VALUES (?, ?, ?, ?, 250000, ?, DATE '2026-01-01', NULL, 'test')",
                        [grid, community, community[:9], community[:6], _square(112.43 + 0.005 * (n % 2),
                                                                                 39.33 + 0.005 * (n // 2))])
        for n, sat in enumerate(["satisfied", "satisfied", "basically_satisfied", "dissatisfied", "unreached"]):
            con.execute("INSERT INTO core.hotline_call (call_id, called_at, is_repeat, satisfaction, grid_code, "
                        "batch_id) VALUES (?, TIMESTAMP '2026-10-12 09:00' + INTERVAL (?) HOUR, ?, ?, ?, 'test')",
                        [f"H{n}", n, n == 4, sat, G1])
    assert main(["evaluate", "compute", "--period", "2026-10"]) == 0
    assert main(["evaluate", "publish", "--period", "2026-10"]) == 0
    capsys.readouterr()


def test_pdf_report_is_chinese_with_embedded_cjk_font(
    settings: Settings, october_published: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.pdf"
    assert main(["report", "--period", "2026-10", "--out", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["pages"] >= 2 and summary["version"] == 1 and summary["font"] == "Noto Sans CJK SC"
    assert out.read_bytes().startswith(b"%PDF")
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout
    assert "NotoSansCJKsc-Regular" in fonts  # Simplified Chinese glyph forms, named and embedded
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:])  # every font embedded
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    for words in ("数字化城市管理运行情况月报", "按期结案率", "热线", "超期", "DEPT_B", "环比无可比数据"):
        assert words in text


def test_html_report_lists_rankings_and_headline(
    settings: Settings, october_published: None, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    assert main(["report", "--period", "2026-10", "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert "<h2>一、综述</h2>" in page and "专业部门评价" in page
    assert '<td class="l">立案</td><td>10</td>' in page
    assert '<td class="l">按期结案率</td><td>50.00%</td>' in page  # (3 + 1) / (6 + 2)
    assert "75.0%" in page  # 热线满意率: (2 满意 + 1 基本满意) / 4 reached


def test_the_pdf_prints_in_a_thread_whose_event_loop_runs(tmp_path: Path) -> None:
    """An async web handler, or a browser another caller keeps open in this thread (the portal's browser tests),
    runs an asyncio loop here: Playwright's sync API refuses such a thread, so the report prints from its own."""
    import asyncio

    from transforms.report.build import print_pdf
    from transforms.report.fonts import SC_FAMILY, sc_font_file

    out = tmp_path / "inside-a-loop.pdf"

    async def handler() -> None:
        print_pdf("<html><body><h1>月报</h1></body></html>", out, title="月报", font_file=str(sc_font_file()),
                  font_family=SC_FAMILY)

    asyncio.run(handler())
    assert out.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "月报" in text

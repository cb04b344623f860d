"""Build the monthly report: PDF (matplotlib PdfPages, one figure per page) or HTML (tables + PNG charts)."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

from szcg.errors import InputRejected, RowProblem
from szcg.settings import Settings
from transforms.evaluation.period import Period
from transforms.report import charts
from transforms.report.data import ReportData, collect

POST_KEYS = [("supervisor", "supervisor"), ("operator", "operator"), ("shift_leader", "shift_leader"),
             ("dispatcher", "dispatcher")]


def _pages(data: ReportData, city_name: str) -> list[tuple[str, Any]]:
    return [
        ("封面与主要指标", charts.cover_page(data, city_name)),
        ("区域排名", charts.ranking_page(data, [("region", "district"), ("region", "street")],
                                      "三、排名与等级（区域）")),
        ("部门排名", charts.ranking_page(data, [("department", "department"), ("region", "community")],
                                      "三、排名与等级（专业部门、社区）")),
        ("岗位排名", charts.ranking_page(data, POST_KEYS, "三、排名与等级（岗位）", limit=8)),
        ("趋势", charts.trend_page(data)),
        ("热点网格", charts.hotspot_page(data)),
        ("超期案件", charts.overdue_page(data)),
    ]


def build_report(settings: Settings, period: Period, out: Path, *, version: int | None = None) -> dict[str, Any]:
    from standards.city import load_city
    from transforms.report.fonts import use_cjk
    from warehouse.store import Warehouse

    suffix = out.suffix.lower()
    if suffix not in (".pdf", ".html"):
        raise InputRejected(f"--out {out}: expected a .pdf or .html file",
                            [RowProblem("--out", 0, "out", "report_format", "expected .pdf or .html")])
    family = use_cjk()
    with Warehouse(settings).reader() as con:
        data = collect(con, period, version)
    city_name = load_city(settings).name
    pages = _pages(data, city_name)
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".pdf":
        from matplotlib.backends.backend_pdf import PdfPages

        with PdfPages(out, metadata={"Title": f"{city_name}数字城管综合评价月报 {period.key}",
                                     "Creator": "szcg"}) as pdf:
            for _, fig in pages:
                pdf.savefig(fig)
    else:
        out.write_text(_html(data, city_name, pages), encoding="utf-8")
    return {"out": str(out), "version": data.version, "status": data.header["status"], "pages": len(pages),
            "font": family}


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _html(data: ReportData, city_name: str, pages: list[tuple[str, Any]]) -> str:
    e = html.escape
    parts = [
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>",
        f"<title>{e(city_name)}数字城管综合评价月报 {e(data.period.key)}</title>",
        "<style>body{font-family:'Noto Sans CJK SC','Noto Sans SC',sans-serif;margin:2em;}"
        "table{border-collapse:collapse;margin:0.5em 0 1.5em;}td,th{border:1px solid #bbb;padding:2px 8px;}"
        "img{max-width:100%;}</style></head><body>",
        f"<h1>{e(city_name)}数字城管综合评价月报 {e(data.period.key)}</h1>",
        f"<p>评分卡第 {data.version} 版（{e(str(data.header['status']))}），方案 {e(str(data.header['scheme_id']))} "
        f"{e(str(data.header['scheme_version']))}，数据截至 {e(str(data.header['as_of']))}；"
        f"原因：{e(str(data.header['reason']))}</p>",
        "<h2>一、主要指标</h2>", _table(["指标", "本期"], [list(r) for r in charts.headline_rows(data)]),
        "<h2>三、排名与等级</h2>",
    ]
    for key, rows in data.rankings.items():
        parts.append(f"<h3>{e(charts.ranking_title(*key))}</h3>")
        parts.append(_table(charts.RANK_HEADER, charts.ranking_rows(rows, 50)))
    for title, fig in pages:
        if title in ("封面与主要指标", "趋势", "热点网格", "超期案件"):
            parts.append(f"<h2>{e(title)}</h2><img alt='{e(title)}' src='data:image/png;base64,{_png(fig)}'>")
    parts.append("</body></html>")
    return "\n".join(parts)

"""Report figures (matplotlib, CJK font): headline, ranking tables, trends, hotspot grid map, hotline satisfaction."""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure

from transforms.evaluation.indicators import LEVEL_LABELS, OBJECT_LABELS
from transforms.report.data import SATISFACTION_LABELS, ReportData

A4 = (8.27, 11.69)
COLOURS = {"绿色": "#2e7d32", "蓝色": "#1565c0", "黄色": "#f9a825", "红色": "#c62828", "黑色": "#212121"}


def pct(value: Any) -> str:
    return "—" if value is None else f"{100 * float(value):.1f}%"


def num(value: Any, digits: int = 2) -> str:
    return "—" if value is None else f"{float(value):.{digits}f}"


def headline_rows(data: ReportData) -> list[tuple[str, str]]:
    h, hl = data.headline, data.hotline
    return [
        ("立案数", num(h.get("registered"), 0)),
        ("结案率", pct(h.get("close_rate"))),
        ("按期结案率", pct(h.get("on_time_close_rate"))),
        ("处置率", pct(h.get("handle_rate"))),
        ("超期率", pct(h.get("overdue_rate"))),
        ("返工率", pct(h.get("rework_rate"))),
        ("监督举报率", pct(h.get("public_report_rate"))),
        ("平均处置时长（工作小时）", num(h.get("avg_handle_hours"), 1)),
        ("热线来电", num(hl["calls"], 0)),
        ("热线满意率（满意+基本满意 / 回访成功）", pct(hl["satisfaction_rate"])),
    ]


def ranking_title(obj: str, level: str) -> str:
    if obj == "region":
        return f"区域评价 · {LEVEL_LABELS.get(level, level)}"
    return OBJECT_LABELS.get(obj, obj)


def ranking_rows(rows: list[dict[str, Any]], limit: int) -> list[list[str]]:
    out = []
    for r in rows[:limit]:
        rank = str(r["rank"]) if r["ranked"] else "样本不足"
        mom = "—" if r["mom_score"] is None else f"{r['mom_score']:+.2f}"
        out.append([rank, str(r["entity_name"] or r["entity_code"]), str(r["entity_code"]), num(r["total_score"]),
                    str(r["grade"] or "—"), str(r["sample_size"]), mom])
    return out


RANK_HEADER = ["排名", "名称", "编码", "综合分", "等级", "样本", "环比"]


def cover_page(data: ReportData, city_name: str) -> Figure:
    fig = Figure(figsize=A4)
    h = data.header
    status = "正式发布" if h["status"] == "published" else "草稿（未发布）"
    fig.text(0.5, 0.94, f"{city_name}数字城管综合评价月报", ha="center", fontsize=20, weight="bold")
    fig.text(0.5, 0.905, f"统计期 {data.period.key}（{data.period.start} 至 {data.period.end}）", ha="center",
             fontsize=12)
    fig.text(0.5, 0.88, f"评分卡第 {data.version} 版 · {status} · 方案 {h['scheme_id']} {h['scheme_version']} · "
             f"数据截至 {h['as_of']}", ha="center", fontsize=9, color="#555555")
    if h["reason"] not in ("draft", "first publication"):
        fig.text(0.5, 0.86, f"重新发布原因：{h['reason']}", ha="center", fontsize=9, color="#c62828")
    fig.text(0.08, 0.82, "一、主要指标", fontsize=14, weight="bold")
    ax = fig.add_axes((0.08, 0.50, 0.84, 0.30))
    ax.axis("off")
    table = ax.table(cellText=[[k, v] for k, v in headline_rows(data)], colLabels=["指标", "本期"],
                     loc="upper center", colWidths=[0.7, 0.3], cellLoc="left")
    table.auto_set_font_size(False)
    table.set_fontsize(10)
    table.scale(1, 1.5)
    fig.text(0.08, 0.45, "二、12319 热线回访满意度", fontsize=14, weight="bold")
    ax2 = fig.add_axes((0.12, 0.07, 0.76, 0.35))
    order = ["satisfied", "basically_satisfied", "dissatisfied", "unreached", "not_recorded"]
    palette = dict(zip(order, ["#2e7d32", "#66bb6a", "#c62828", "#9e9e9e", "#bdbdbd"], strict=True))
    by = {k: data.hotline["by_satisfaction"][k] for k in order if k in data.hotline["by_satisfaction"]}
    labels = [SATISFACTION_LABELS.get(k, "未记录") for k in by]
    if by:
        ax2.barh(labels[::-1], list(by.values())[::-1], color=[palette[k] for k in by][::-1])
        for i, v in enumerate(list(by.values())[::-1]):
            ax2.text(v, i, f" {v}", va="center", fontsize=9)
        ax2.set_xlabel("来电数")
        ax2.set_title(f"本期来电 {data.hotline['calls']} 个，其中重复来电 {data.hotline['repeats']} 个", fontsize=10)
    else:
        ax2.axis("off")
        ax2.text(0.5, 0.5, "本期无热线来电记录", ha="center", fontsize=12)
    return fig


def ranking_page(data: ReportData, keys: list[tuple[str, str]], title: str, limit: int = 12) -> Figure:
    fig = Figure(figsize=A4)
    fig.text(0.08, 0.95, title, fontsize=14, weight="bold")
    present = [k for k in keys if k in data.rankings]
    if not present:
        fig.text(0.5, 0.5, "本期无评价对象", ha="center")
        return fig
    height = 0.86 / len(present)
    for n, key in enumerate(present):
        rows = data.rankings[key]
        top = 0.92 - n * height
        fig.text(0.08, top - 0.01, f"{ranking_title(*key)}（共 {len(rows)} 个，列前 {min(limit, len(rows))}）",
                 fontsize=11, weight="bold")
        ax = fig.add_axes((0.08, top - height + 0.02, 0.84, height - 0.05))
        ax.axis("off")
        cells = ranking_rows(rows, limit)
        table = ax.table(cellText=cells, colLabels=RANK_HEADER, loc="upper center", cellLoc="center",
                         colWidths=[0.1, 0.3, 0.22, 0.1, 0.08, 0.08, 0.1])
        table.auto_set_font_size(False)
        table.set_fontsize(8)
        for i, r in enumerate(rows[:limit], start=1):
            colour = COLOURS.get(str(r["colour"]), "#9e9e9e")
            cell = table[i, 4]
            cell.set_facecolor(colour)
            cell.get_text().set_color("white")
    return fig


def trend_page(data: ReportData) -> Figure:
    fig = Figure(figsize=A4)
    fig.text(0.08, 0.95, "四、趋势（近 12 个月，已发布版本）", fontsize=14, weight="bold")
    ax = fig.add_axes((0.1, 0.56, 0.8, 0.33))
    periods = [t["period"] for t in data.trend]
    if periods:
        ax.bar(periods, [t.get("registered") or 0 for t in data.trend], color="#90caf9", label="立案数")
        ax.set_ylabel("立案数")
        ax2 = ax.twinx()
        ax2.plot(periods, [100 * (t.get("close_rate") or 0) for t in data.trend], "o-", color="#2e7d32",
                 label="结案率%")
        ax2.plot(periods, [100 * (t.get("on_time_close_rate") or 0) for t in data.trend], "s-", color="#c62828",
                 label="按期结案率%")
        ax2.set_ylim(0, 105)
        ax2.set_ylabel("%")
        ax.legend(loc="upper left", fontsize=8)
        ax2.legend(loc="upper right", fontsize=8)
        ax.tick_params(axis="x", rotation=45, labelsize=8)
        ax.set_title("全市立案数与结案率", fontsize=11)
    ax3 = fig.add_axes((0.1, 0.1, 0.8, 0.36))
    for name, points in sorted(data.district_trend.items()):
        ax3.plot([p for p, _ in points], [float("nan") if s is None else s for _, s in points], "o-", label=name)
    ax3.set_ylim(0, 100)
    ax3.set_title("区县综合分", fontsize=11)
    ax3.tick_params(axis="x", rotation=45, labelsize=8)
    if data.district_trend:
        ax3.legend(fontsize=8, ncols=3)
    return fig


def hotspot_page(data: ReportData) -> Figure:
    from matplotlib import cm, colormaps, colors
    from matplotlib.patches import Polygon as MplPolygon
    from shapely import wkt

    fig = Figure(figsize=A4)
    fig.text(0.08, 0.95, "五、案件热点网格（本期立案数）", fontsize=14, weight="bold")
    fig.text(0.08, 0.925, "内部工作图，仅示网格相对位置，非公开地图（无审图号）", fontsize=8, color="#777777")
    ax = fig.add_axes((0.06, 0.2, 0.88, 0.7))
    ax.set_aspect("equal")
    ax.axis("off")
    grids = [g for g in data.grids if g["wkt"]]
    if not grids:
        ax.text(0.5, 0.5, "无网格几何数据（core.grid 为空）", ha="center", transform=ax.transAxes)
        return fig
    top = max(float(g["registered"]) for g in grids) or 1.0
    norm = colors.Normalize(vmin=0, vmax=top)
    cmap = colormaps["YlOrRd"]
    for g in grids:
        geom = wkt.loads(g["wkt"])
        parts = getattr(geom, "geoms", [geom])
        for part in parts:
            if part.geom_type != "Polygon":
                continue
            ax.add_patch(MplPolygon(list(part.exterior.coords), closed=True, facecolor=cmap(norm(g["registered"])),
                                    edgecolor="#9e9e9e", linewidth=0.2))
    ax.autoscale_view()
    hottest = sorted(grids, key=lambda g: (-float(g["registered"]), g["grid_code"]))[:5]
    for g in hottest:
        c = wkt.loads(g["wkt"]).representative_point()
        ax.annotate(f"{g['grid_code'][-6:]}:{int(g['registered'])}", (c.x, c.y), fontsize=7, ha="center")
    sm = cm.ScalarMappable(norm=norm, cmap=cmap)
    fig.colorbar(sm, ax=ax, orientation="horizontal", fraction=0.04, pad=0.02, label="立案数")
    lines = [f"{i}. 网格 {g['grid_code']}：{int(g['registered'])} 件" for i, g in enumerate(hottest, 1)]
    fig.text(0.08, 0.12, "热点网格前五：\n" + "\n".join(lines), fontsize=9, va="top")
    return fig


def overdue_page(data: ReportData) -> Figure:
    fig = Figure(figsize=A4)
    fig.text(0.08, 0.95, "六、超期最严重的案件（按超时倍数）", fontsize=14, weight="bold")
    ax = fig.add_axes((0.05, 0.45, 0.9, 0.47))
    ax.axis("off")
    if not data.worst_overdue:
        ax.text(0.5, 0.8, "本期无超期处置案件", ha="center")
        return fig
    cells = [[r["case_id"], str(r["department_name"] or r["department_code"]), num(r["overdue_multiple"]),
              str(r["handled_at"])[:16], str(r["subclass_code"] or "—"), str(r["grid_code"] or "—")]
             for r in data.worst_overdue]
    table = ax.table(cellText=cells, colLabels=["案件", "专业部门", "超时倍数", "处置完成", "小类", "网格"],
                     loc="upper center", cellLoc="center", colWidths=[0.2, 0.22, 0.1, 0.18, 0.1, 0.2])
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    table.scale(1, 1.4)
    fig.text(0.08, 0.4, "可用 `szcg evaluate explain --period … --entity <部门> --indicator 超期处置数` 查看"
             "每个部门计入超期的全部案件。", fontsize=9)
    return fig

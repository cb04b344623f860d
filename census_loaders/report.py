"""The batch report for the survey team (Chinese): summary, every problem, a map of the batch over the grids, and
the difference against the current inventory. Written as HTML (with the map as PNG beside it) and XLSX."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pandas as pd

from census_loaders.ingest import BatchResult

CHANGE_NAMES = {"new": "新增", "changed": "变更", "missing": "未出现（库中有、本批无）"}
# The HTML page shows the first rows of each list (a first census lists every component as new: a million-row page
# helps nobody); the XLSX has them all, over as many sheets as Excel's 1,048,576-row limit needs.
HTML_ROWS = 1_000
SHEET_ROWS = 1_000_000


def cjk_font() -> str | None:
    """The Simplified Chinese font the environment installs (the monthly report's), or None when it is missing
    (labels then fall back to ASCII): the map never depends on the machine's own fonts."""
    from transforms.report.fonts import MissingCJKFont, cjk_font_family

    try:
        return cjk_font_family()
    except MissingCJKFont:
        return None


def _summary_rows(result: BatchResult) -> list[tuple[str, Any]]:
    return [
        ("批次", result.batch_id), ("文件", result.file_name), ("区县", result.district_code),
        ("读入行数", result.rows_in), ("入库行数", result.rows_loaded), ("隔离行数", result.rows_quarantined),
        ("新增部件", result.new), ("变更部件", result.changed), ("未变部件", result.unchanged),
        ("库中有、本批未出现", result.missing), ("自动补填网格", result.grids_assigned),
        ("文件编码", result.encoding or "—"), ("字段映射", result.mapping or "—"), ("坐标系", result.crs or "—"),
        ("GCJ-02 检查", result.gcj02), ("整批拒收原因", result.rejected_message or "—"),
    ]


def map_extent(points: pd.DataFrame) -> tuple[float, float, float, float]:
    """The map shows where the loaded points are (outliers far away would shrink the batch to a dot)."""
    core = points[points["ok"].astype(bool)] if points["ok"].any() else points
    lon, lat = core["lon"], core["lat"]
    if not points["ok"].any() and len(core) > 20:
        lon = lon.clip(lon.quantile(0.05), lon.quantile(0.95))
        lat = lat.clip(lat.quantile(0.05), lat.quantile(0.95))
    margin = 0.001
    return (float(lon.min()) - margin, float(lat.min()) - margin, float(lon.max()) + margin,
            float(lat.max()) + margin)


def draw_map(result: BatchResult, grids: pd.DataFrame, path: Path) -> Path | None:
    """PNG of the batch's points (loaded green, rejected red) over the grid outlines; no base map."""
    if result.points is None or result.points.empty:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import shapely

    font = cjk_font()
    if font:
        plt.rcParams["font.sans-serif"] = [font]
        plt.rcParams["axes.unicode_minus"] = False
    fig, ax = plt.subplots(figsize=(8, 8), dpi=110)
    for geom in shapely.from_wkt(grids["geometry_wkt"].to_numpy()) if len(grids) else []:
        for part in shapely.get_parts(geom):
            x, y = shapely.get_coordinates(shapely.get_exterior_ring(part)).T
            ax.plot(x, y, color="#999999", linewidth=0.4)
    points = result.points
    ok = points["ok"].astype(bool)
    sample = 200_000  # keep the PNG quick for huge batches
    good, bad = points[ok].head(sample), points[~ok].head(sample)
    ax.scatter(good["lon"], good["lat"], s=6, c="#1a9850",
               label=("入库" if font else "loaded") + f" ({int(ok.sum())})")
    x0, y0, x1, y1 = map_extent(points)
    outside = int(((points["lon"] < x0) | (points["lon"] > x1) | (points["lat"] < y0) | (points["lat"] > y1)).sum())
    note = (f"，图外 {outside} 个" if font else f", {outside} off the map") if outside else ""
    ax.scatter(bad["lon"], bad["lat"], s=10, c="#d73027", marker="x",
               label=("隔离" if font else "quarantined") + f" ({int((~ok).sum())}{note})")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect(1 / max(0.2, float(__import__("math").cos(__import__("math").radians(points["lat"].mean())))))
    ax.set_title(("部件普查批次 " if font else "census batch ") + result.batch_id)
    ax.legend(loc="upper right")
    ax.ticklabel_format(useOffset=False, style="plain")
    ax.set_xlabel("lon (CGCS2000)")
    ax.set_ylabel("lat")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def _problems_frame(result: BatchResult) -> pd.DataFrame:
    return pd.DataFrame([{"文件": p.file, "行号": p.row_number, "字段": p.field, "规则": p.rule, "说明": p.message}
                         for p in result.problems], columns=["文件", "行号", "字段", "规则", "说明"])


def _diff_frame(result: BatchResult) -> pd.DataFrame:
    diff = result.diff if result.diff is not None else pd.DataFrame()
    if diff.empty:
        return pd.DataFrame(columns=["变化", "标识码", "小类", "名称", "网格", "原状态", "新状态", "行号"])
    return pd.DataFrame({
        "变化": diff["change"].map(CHANGE_NAMES), "标识码": diff["component_id"], "小类": diff["subclass_code"],
        "名称": diff["name"], "网格": diff["grid_code"], "原状态": diff["previous_state"], "新状态": diff["state"],
        "行号": diff["row_number"],
    })


def write_report(result: BatchResult, grids: pd.DataFrame, directory: Path) -> dict[str, str]:
    """Write ``<batch>.html``, ``<batch>.xlsx`` and ``<batch>.png`` into ``directory``; returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = directory / result.batch_id
    png = draw_map(result, grids, stem.with_suffix(".png"))
    problems, diff = _problems_frame(result), _diff_frame(result)
    xlsx = stem.with_suffix(".xlsx")
    with pd.ExcelWriter(xlsx, engine="openpyxl") as writer:
        _to_sheets(writer, pd.DataFrame(_summary_rows(result), columns=["项目", "值"]), "汇总")
        _to_sheets(writer, problems, "问题清单")
        _to_sheets(writer, diff, "与现有库对比")
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
                   for k, v in _summary_rows(result))
    by_rule = problems.groupby(["规则"]).size().reset_index(name="行数") if len(problems) else problems
    page = f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>部件普查批次报告 {html.escape(result.batch_id)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;margin-bottom:1.5em}}
td,th{{border:1px solid #ccc;padding:2px 6px;text-align:left;font-size:13px}}</style></head><body>
<h1>部件普查批次报告</h1><h2>汇总</h2><table>{rows}</table>
<h2>问题按规则统计</h2>{by_rule.to_html(index=False) if len(by_rule) else "<p>无问题。</p>"}
<h2>问题清单（{len(problems)} 条）</h2>{_html_table(problems, "无问题。")}
<h2>位置图</h2>{f'<img src="{png.name}" alt="本批部件位置与单元网格">' if png else "<p>无可绘制的坐标。</p>"}
<h2>与现有部件库对比（新增 {result.new}，变更 {result.changed}，未出现 {result.missing}）</h2>
{_html_table(diff, "无变化。")}
</body></html>"""
    html_path = stem.with_suffix(".html")
    html_path.write_text(page, encoding="utf-8")
    out = {"html": str(html_path), "xlsx": str(xlsx)}
    if png:
        out["png"] = str(png)
    out.update(write_report_data(result, directory))
    return out


def write_report_data(result: BatchResult, directory: Path) -> dict[str, str]:
    """The report's data as Parquet beside it, for programs that draw their own report (the web portal's map and
    diff): ``<batch>.points.parquet`` (row_number, lon, lat, ok) and ``<batch>.diff.parquet`` (the diff table)."""
    import pyarrow.parquet as pq

    out: dict[str, str] = {}
    for key, table in (("points", result.points_table), ("diff", result.diff_table)):
        if table is not None:
            path = directory / f"{result.batch_id}.{key}.parquet"
            pq.write_table(table, path)
            out[key] = str(path)
    return out


def _to_sheets(writer: Any, frame: pd.DataFrame, name: str) -> None:
    """``frame`` on sheet ``name``, continued on ``name (2)``, ``name (3)`` … past :data:`SHEET_ROWS` rows."""
    for part, start in enumerate(range(0, max(len(frame), 1), SHEET_ROWS), start=1):
        sheet = name if part == 1 else f"{name} ({part})"
        piece = frame.iloc[start:start + SHEET_ROWS]
        piece.to_excel(writer, sheet_name=sheet, index=False)
        _formulas_as_text(writer.sheets[sheet], piece)


def _formulas_as_text(ws: Any, frame: pd.DataFrame) -> None:
    """Survey values are text: one that begins with '=' (``=HYPERLINK(…)``) would be written as a live formula; its
    cell is made a text cell. Only the few such cells are visited (found per column, vectorised)."""
    for j, column in enumerate(frame.columns, start=1):
        values = frame[column]
        if values.dtype != object and not pd.api.types.is_string_dtype(values):
            continue
        starts = values.astype("str").str.startswith("=").fillna(False).to_numpy(dtype=bool)
        for i in starts.nonzero()[0]:
            ws.cell(row=int(i) + 2, column=j).data_type = "s"  # row 1 is the header


def _html_table(frame: pd.DataFrame, empty: str) -> str:
    if not len(frame):
        return f"<p>{html.escape(empty)}</p>"
    table = frame.head(HTML_ROWS).to_html(index=False)
    if len(frame) <= HTML_ROWS:
        return table
    return table + f"<p>仅显示前 {HTML_ROWS} 行，共 {len(frame)} 行；完整清单见同名 XLSX 文件。</p>"


def batch_grids(con: Any, result: BatchResult) -> pd.DataFrame:
    """Current grids around the batch's points (its bounding box), for the map."""
    if result.points is None or result.points.empty:
        return pd.DataFrame(columns=["grid_code", "geometry_wkt"])
    bounds = list(map_extent(result.points))
    return con.execute(
        "SELECT grid_code, geometry_wkt FROM core.grid WHERE valid_to IS NULL AND district_code = ?"
        " AND ST_Intersects(ST_GeomFromText(geometry_wkt), ST_MakeEnvelope(?, ?, ?, ?)) LIMIT 50000",
        [result.district_code, *bounds]).df()

"""The report's figures as inline SVG (matplotlib, text drawn as outlines so any viewer shows the CJK glyphs):
the 13-month trend and one hot-grid map per district, zoomed to the district's built-up grids."""

from __future__ import annotations

import io
from itertools import pairwise

from matplotlib.figure import Figure

from transforms.report.data import ReportData

# print sizes in inches: a map fills about half an A4 page's width at a readable scale
TREND_SIZE = (6.8, 2.6)
MAP_SIZE = (3.6, 3.4)
# the map is drawn only when it can be read: enough grids with cases to show a pattern
MIN_GRIDS_FOR_MAP = 3
# where each rank's number sits from its grid (points): different directions, so neighbours' numbers don't collide
OFFSETS = ((10, 10), (-10, 10), (10, -10), (-10, -10), (0, 13))


def _png(fig: Figure, dpi: int = 220) -> str:
    """A raster figure as an <img> (maps: thousands of grid outlines print faster as pixels than as paths)."""
    import base64

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img alt="热点网格图" style="width:100%" src="data:image/png;base64,{data}">'


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    text = buf.getvalue()
    return text[text.index("<svg"):]


def trend_svg(data: ReportData) -> str | None:
    """立案数 (bars) and 结案率 / 按期结案率 (lines) over the months published up to this one."""
    if len(data.trend) < 2:
        return None
    import matplotlib

    matplotlib.rcParams["svg.fonttype"] = "path"
    fig = Figure(figsize=TREND_SIZE)
    ax = fig.add_subplot()
    periods = [t["period"][2:] for t in data.trend]
    ax.bar(periods, [t.get("registered") or 0 for t in data.trend], color="#90caf9", label="立案数")
    ax.set_ylabel("立案数（件）", fontsize=8)
    ax.tick_params(labelsize=7)
    ax2 = ax.twinx()
    ax2.plot(periods, [100 * (t.get("close_rate") or 0) for t in data.trend], "o-", color="#2e7d32", ms=3,
             label="结案率")
    ax2.plot(periods, [100 * (t.get("on_time_close_rate") or 0) for t in data.trend], "s-", color="#c62828", ms=3,
             label="按期结案率")
    low = min([100 * (t.get("on_time_close_rate") or 0) for t in data.trend] + [80.0])
    ax2.set_ylim(max(0.0, low - 5), 100)
    ax2.set_ylabel("%", fontsize=8)
    ax2.tick_params(labelsize=7)
    handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    ax.legend(handles, ["立案数", "结案率", "按期结案率"], loc="lower left", fontsize=7, ncols=3)
    return _svg(fig)


def district_map(data: ReportData, district: str) -> str | None:
    """The district's grids with cases this month, coloured by 立案数, on the extent of its grids that had cases
    (the built-up area, not the county); the five busiest numbered as in the table beside it. None when too few
    grids had cases for a map to say more than the table."""
    from matplotlib import colormaps, colors
    from shapely import wkt

    shapes = data.grid_shapes.get(district, [])
    busy = [g for g in shapes if float(g["registered"]) > 0]
    if len(busy) < MIN_GRIDS_FOR_MAP:
        return None
    import matplotlib

    matplotlib.rcParams["svg.fonttype"] = "path"
    geoms = {g["grid_code"]: wkt.loads(g["wkt"]) for g in busy}
    xs = [c for geom in geoms.values() for c in (geom.bounds[0], geom.bounds[2])]
    ys = [c for geom in geoms.values() for c in (geom.bounds[1], geom.bounds[3])]
    pad = 0.06 * max(max(xs) - min(xs), max(ys) - min(ys), 1e-3)
    box = (min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad)
    fig = Figure(figsize=MAP_SIZE)
    ax = fig.add_axes((0.02, 0.12, 0.96, 0.86))
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    top = max(float(g["registered"]) for g in busy)
    bounds = sorted({0.5, 1.5, 2.5, 4.5, 8.5, top + 0.5})
    bounds = [b for b in bounds if b <= top + 0.5]
    norm = colors.BoundaryNorm(bounds, 256)
    cmap = colormaps["YlOrRd"]
    from matplotlib.collections import PolyCollection

    empty, filled, values = [], [], []
    for g in shapes:  # the empty grids in view drawn faintly, for orientation
        geom = geoms.get(g["grid_code"]) or wkt.loads(g["wkt"])
        x0, y0, x1, y1 = geom.bounds
        if x1 < box[0] or x0 > box[2] or y1 < box[1] or y0 > box[3]:
            continue
        rings = [list(p.exterior.coords) for p in getattr(geom, "geoms", [geom]) if p.geom_type == "Polygon"]
        if float(g["registered"]) > 0:
            filled += rings
            values += [float(g["registered"])] * len(rings)
        else:
            empty += rings
    ax.add_collection(PolyCollection(empty, facecolors="#f5f5f5", edgecolors="#d0d0d0", linewidths=0.2))
    ax.add_collection(PolyCollection(filled, facecolors=[cmap(norm(v)) for v in values], edgecolors="#616161",
                                     linewidths=0.4))
    ax.set_xlim(box[0], box[2])
    ax.set_ylim(box[1], box[3])
    for h in (h for h in data.hot_grids if h["district"] == district):
        c = geoms[h["grid_code"]].representative_point() if h["grid_code"] in geoms else None
        if c is None:
            continue
        # the number beside the grid, with a leader line, so the grid's own colour stays visible
        offset = OFFSETS[(int(h["district_rank"]) - 1) % len(OFFSETS)]
        ax.annotate(str(h["district_rank"]), (c.x, c.y), xytext=offset, textcoords="offset points", fontsize=7,
                    weight="bold", ha="center", va="center", color="white",
                    bbox={"boxstyle": "circle,pad=0.2", "fc": "#1a237e", "ec": "none"},
                    arrowprops={"arrowstyle": "-", "color": "#1a237e", "lw": 0.6})
    cax = fig.add_axes((0.15, 0.05, 0.7, 0.03))
    from matplotlib import cm

    bar = fig.colorbar(cm.ScalarMappable(norm=norm, cmap=cmap), cax=cax, orientation="horizontal")
    mids = [(lo + hi) / 2 for lo, hi in pairwise(bounds)]
    bar.set_ticks(mids, labels=[_band(lo, hi) for lo, hi in pairwise(bounds)])
    bar.ax.tick_params(labelsize=6)
    bar.set_label("本月立案数（件）", fontsize=7)
    return _png(fig)


def _band(lo: float, hi: float) -> str:
    a, b = int(lo + 0.5), int(hi - 0.5)
    return str(a) if a == b else f"{a}–{b}"

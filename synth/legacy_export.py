"""A SYNTHETIC 数字城管 案卷 export in the usual shape of a Chinese platform
(transforms/mappings/cn_anjuan.yaml): 案卷号, 问题来源, 大类, 小类, 问题描述, 地址, 坐标, 所属网格,
上报/立案/派遣/处置/结案时间, 处置时限, 是否按期, 处置部门, 案卷状态 — written as GBK CSV and as XLSX, as such
platforms export them. No real export is public; this one lets the import and the evaluation of a legacy
history be tested end to end. Descriptions and addresses are generic (no person is named); the same seed gives
the same files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# (大类, 小类, 处置部门 as the export writes it, the platform's 处置时限 in hours)
SUBCLASSES: tuple[tuple[str, str, str, float], ...] = (
    ("市政公用设施", "供水井盖", "供水公司", 4),
    ("市政公用设施", "路灯", "市政设施服务中心", 16),
    ("市容环境类", "建筑物外立面污损", "城管执法支队", 4),
    ("市容环境类", "暴露垃圾", "环境卫生服务中心", 4),
    ("市容环境类", "道路不洁", "环境卫生服务中心", 2),
    ("市容环境类", "道路破损", "市政设施服务中心", 80),
    ("市容环境类", "废弃家具设备", "环境卫生服务中心", 4),
    ("街面秩序类", "机动车乱停放", "交警支队", 2),
    ("其他", "物业纠纷", "", 0),  # 12345 转办, not a 城管 matter
)
SOURCES = ("监督员上报", "监督员上报", "监督员上报", "12319热线", "12345转办", "公众举报", "视频发现")
STREETS = ("开发路", "民福街", "文远路", "张辽路", "鄯阳街", "马邑路")
# Synthetic grids: code → centre (lon, lat); districts 140602 朔城区 and 140603 平鲁区.
DEFAULT_GRIDS: dict[str, tuple[float, float]] = {
    "140602001001001": (112.420, 39.330), "140602001001002": (112.430, 39.330),
    "140602001002001": (112.420, 39.340), "140602002001001": (112.440, 39.320),
    "140603001001001": (112.290, 39.480), "140603001001002": (112.300, 39.480),
}
GRID_HALF_SIDE = 0.004  # degrees: each grid is a square around its centre


def grid_polygon_wkt(centre: tuple[float, float]) -> str:
    x, y, h = centre[0], centre[1], GRID_HALF_SIDE
    return f"POLYGON (({x - h} {y - h}, {x + h} {y - h}, {x + h} {y + h}, {x - h} {y + h}, {x - h} {y - h}))"


@dataclass(frozen=True)
class ExportSpec:
    month: str            # YYYY-MM of the reports
    cases: int = 400
    seed: int = 1
    grids: dict[str, tuple[float, float]] | None = None

    @property
    def export_time(self) -> datetime:
        """The export is taken on the 3rd of the next month at 09:00: cases still open then are judged then."""
        start = datetime.strptime(self.month, "%Y-%m")
        return (start.replace(day=28) + timedelta(days=4)).replace(day=3, hour=9)


def _fmt(t: datetime | None) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S") if t is not None else ""


def legacy_export_frame(spec: ExportSpec) -> pd.DataFrame:
    """The rows of the export, as text (what the platform writes)."""
    rng = np.random.default_rng(spec.seed)
    grids = spec.grids or DEFAULT_GRIDS
    codes = sorted(grids)
    start = datetime.strptime(spec.month, "%Y-%m")
    days = ((start.replace(day=28) + timedelta(days=4)).replace(day=1) - start).days
    export_time = spec.export_time
    rows: list[dict[str, Any]] = []
    for i in range(spec.cases):
        major, minor, dept, limit_h = SUBCLASSES[int(rng.integers(len(SUBCLASSES)))]
        grid = codes[int(rng.integers(len(codes)))]
        cx, cy = grids[grid]
        lon = cx + float(rng.uniform(-0.8, 0.8)) * GRID_HALF_SIDE
        lat = cy + float(rng.uniform(-0.8, 0.8)) * GRID_HALF_SIDE
        reported = start + timedelta(days=int(rng.integers(days)), hours=int(rng.integers(8, 18)),
                                     minutes=int(rng.integers(60)))
        fate = float(rng.random())
        registered = dispatched = handled = closed = due = None
        status, verdict = "已结案", ""
        if minor == "物业纠纷" or fate < 0.04:
            status, closed = "已作废", reported + timedelta(minutes=int(rng.integers(20, 120)))
        elif fate < 0.07:
            status = "不予立案"
            closed = reported + timedelta(minutes=int(rng.integers(20, 120)))
        else:
            registered = reported + timedelta(minutes=int(rng.integers(5, 60)))
            dispatched = registered + timedelta(minutes=int(rng.integers(5, 30)))
            # the platform's 处置时限 (natural hours here); one case in eight has none recorded
            due = dispatched + timedelta(hours=limit_h) if rng.random() > 0.125 else None
            took = timedelta(hours=float(rng.gamma(2.0, limit_h / 2.6)))
            if fate < 0.15 or dispatched + took > export_time:
                status = "处置中"  # still open at export
            else:
                handled = dispatched + took
                closed = handled + timedelta(hours=float(rng.uniform(0.5, 6)))
                status = "已结案" if closed <= export_time else "待核查"
                closed = closed if status == "已结案" else None
            if handled is not None:
                verdict = "是" if due is None or handled <= due else "否"
            elif due is not None and due < export_time:
                verdict = "否"
        street = STREETS[int(rng.integers(len(STREETS)))]
        rows.append({
            "案卷号": f"{start:%Y%m}{i + 1:05d}", "问题来源": SOURCES[int(rng.integers(len(SOURCES)))],
            "大类": major, "小类": minor, "问题描述": f"{street}附近发现{minor}问题",
            "地址": f"{street}{int(rng.integers(1, 300))}号", "坐标": f"{lon:.6f},{lat:.6f}", "所属网格": grid,
            "上报时间": _fmt(reported), "立案时间": _fmt(registered), "派遣时间": _fmt(dispatched),
            "处置时间": _fmt(handled), "结案时间": _fmt(closed), "处置时限": _fmt(due), "是否按期": verdict,
            "处置部门": dept if registered is not None else "", "案卷状态": status,
        })
    return pd.DataFrame(rows)


def write_legacy_export(spec: ExportSpec, out: Path) -> dict[str, Any]:
    """案卷_<month>.csv (GBK) and 案卷_<month>.xlsx in ``out``; returns the counts and the export time."""
    out.mkdir(parents=True, exist_ok=True)
    frame = legacy_export_frame(spec)
    csv_path, xlsx_path = out / f"案卷_{spec.month}.csv", out / f"案卷_{spec.month}.xlsx"
    frame.to_csv(csv_path, index=False, encoding="gbk")
    frame.to_excel(xlsx_path, index=False, sheet_name="案卷", engine="openpyxl")
    return {"csv": str(csv_path), "xlsx": str(xlsx_path), "cases": len(frame),
            "export_time": spec.export_time.isoformat(), "statuses": frame["案卷状态"].value_counts().to_dict()}

"""The words and tables of the monthly report, generated from :class:`ReportData` by fixed rules (no figure typed).

Changes are phrased as the bulletins phrase them: counts "环比上升 6.2%", rates "同比下降 1.3 个百分点",
"持平" under half a unit of the last digit shown, "无可比数据" when the month compared with has no published
scorecard. Units below the scheme's minimum sample are listed apart as 样本不足 with neither score nor grade.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from transforms.evaluation.indicators import LEVEL_LABELS, OBJECT_LABELS
from transforms.report.data import KIND_LABELS, POST_OBJECTS, SOURCE_LABELS, Month, ReportData

# 九、下月关注 rules: thresholds in one place, quoted in the section's text
DEPT_DROP_POINTS = 5.0  # a department's 按期处置率 fell by this many points or more
SCORE_DROP_POINTS = 5.0  # a district's 综合分 fell by this many points or more
SATISFACTION_DROP_POINTS = 5.0
TOP_BOTTOM = 5


def fmt_int(value: Any) -> str:
    return "—" if value is None else f"{round(float(value)):,}"


def fmt_pct(value: Any, digits: int = 2) -> str:
    return "—" if value is None else f"{100 * float(value):.{digits}f}%"


def fmt_num(value: Any, digits: int = 2) -> str:
    return "—" if value is None else f"{float(value):.{digits}f}"


def change_count(now: Any, before: Any, word: str) -> str:
    """'环比上升 6.2%' for counts (relative change)."""
    if before is None or now is None:
        return f"{word}无可比数据"
    now, before = float(now), float(before)
    if before == 0:
        return f"{word}持平" if now == 0 else f"{word}上期为 0"
    rel = 100 * (now - before) / before
    if abs(rel) < 0.05:
        return f"{word}持平"
    return f"{word}{'上升' if rel > 0 else '下降'} {abs(rel):.1f}%"


def change_rate(now: Any, before: Any, word: str) -> str:
    """'同比下降 1.30 个百分点' for rates (difference in points)."""
    if before is None or now is None:
        return f"{word}无可比数据"
    diff = 100 * (float(now) - float(before))
    if abs(diff) < 0.005:
        return f"{word}持平"
    return f"{word}{'上升' if diff > 0 else '下降'} {abs(diff):.2f} 个百分点"


@dataclass(frozen=True)
class Figure:
    label: str
    key: str
    kind: str  # count | rate | hours
    unit: str = ""


HEADLINE: tuple[Figure, ...] = (
    Figure("受理", "accepted", "count", "件"),
    Figure("立案", "registered", "count", "件"),
    Figure("应结案", "due", "count", "件"),
    Figure("结案", "closed", "count", "件"),
    Figure("结案率", "close_rate", "rate"),
    Figure("按期结案", "on_time_closed", "count", "件"),
    Figure("按期结案率", "on_time_close_rate", "rate"),
    Figure("处置率", "handle_rate", "rate"),
    Figure("返工率", "rework_rate", "rate"),
    Figure("超期率", "overdue_rate", "rate"),
    Figure("平均处置时长", "avg_handle_hours", "hours", "工作小时"),
)


def _value(f: Figure, m: Month | None) -> Any:
    return None if m is None else m.totals.get(f.key)


def _show(f: Figure, value: Any) -> str:
    if f.kind == "rate":
        return fmt_pct(value)
    if f.kind == "hours":
        return fmt_num(value, 1)
    return fmt_int(value)


def _change(f: Figure, now: Any, before: Any, word: str) -> str:
    return change_rate(now, before, word) if f.kind == "rate" else change_count(now, before, word)


def headline(data: ReportData) -> tuple[str, list[list[str]]]:
    """一、综述: one paragraph of key figures in words and the table of every headline figure."""
    this, mom, yoy = data.months["this"], data.months["mom"], data.months["yoy"]
    rows, words = [], []
    for f in HEADLINE:
        now = _value(f, this)
        a, b = _change(f, now, _value(f, mom), "环比"), _change(f, now, _value(f, yoy), "同比")
        rows.append([f.label, _show(f, now) + (f" {f.unit}" if f.unit and f.kind == "hours" else ""),
                     _show(f, _value(f, mom)), a, _show(f, _value(f, yoy)), b])
        if f.key in ("accepted", "registered", "closed", "close_rate", "on_time_close_rate", "overdue_rate"):
            words.append(f"{f.label} {_show(f, now)}{f.unit if f.kind == 'count' else ''}，{a}，{b}")
    return "；".join(words) + "。", rows


def sources(data: ReportData) -> list[list[str]]:
    return [[SOURCE_LABELS.get(str(r["key"]), str(r["key"])), fmt_int(r["count"]), fmt_pct(r["share"], 1),
             fmt_int(r["previous"]), change_count(r["count"], r["previous"], "环比")] for r in data.sources]


def classes(rows: list[dict[str, Any]]) -> list[list[str]]:
    return [[KIND_LABELS.get(str(r["key"][0]), str(r["key"][0])), str(r["key"][1]), fmt_int(r["count"]),
             fmt_pct(r["share"], 1), fmt_int(r["previous"]), change_count(r["count"], r["previous"], "环比")]
            for r in rows]


def name_of(data: ReportData, row: dict[str, Any]) -> str:
    """A unit's name; a street or community with its parent's (社区 names repeat across streets)."""
    code = str(row["entity_code"])
    name = str(row.get("entity_name") or data.area_names.get(code) or code)
    if row.get("object") == "region" and row.get("level") in ("street", "community"):
        parent = data.area_names.get(data.area_parents.get(code, ""))
        if parent and not name.startswith(parent):
            return f"{parent}{name}"
    return name


def community_of(data: ReportData, code: Any) -> str:
    """A community named with its street, e.g. 云西街道社区003."""
    row = {"entity_code": str(code), "object": "region", "level": "community"}
    return name_of(data, row)


def split_ranked(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Ranked units, and those below the minimum sample (样本不足: no rank, no grade, no score shown)."""
    return [r for r in rows if r["ranked"]], [r for r in rows if not r["ranked"]]


def score_row(data: ReportData, r: dict[str, Any]) -> list[str]:
    mom = "—" if r["mom_score"] is None else f"{float(r['mom_score']):+.2f}"
    yoy = "—" if r["yoy_score"] is None else f"{float(r['yoy_score']):+.2f}"
    return [str(r["rank"]), name_of(data, r), fmt_num(r["total_score"]), str(r["grade"] or "—"),
            fmt_int(r["sample_size"]), mom, yoy]


def insufficient(data: ReportData, rows: list[dict[str, Any]]) -> str:
    """The units below the minimum sample, named with their sample: 样本不足，不参与排名."""
    if not rows:
        return ""
    named = "、".join(f"{name_of(data, r)}（样本 {int(r['sample_size'])}）" for r in rows)
    return f"样本不足，不参与排名、不评等级：{named}。"


def region_sections(data: ReportData) -> list[dict[str, Any]]:
    """三、区域评价: the districts in full; streets and communities as best and worst five."""
    out = []
    for level in ("district", "street", "community"):
        rows = data.rankings.get(("region", level), [])
        ranked, few = split_ranked(rows)
        if level == "district":
            blocks = [("", [score_row(data, r) for r in ranked])]
        else:
            best = ranked[:TOP_BOTTOM]
            worst = ranked[-TOP_BOTTOM:] if len(ranked) > TOP_BOTTOM else []
            worst = [r for r in worst if r not in best]
            blocks = [(f"前 {len(best)} 名", [score_row(data, r) for r in best]),
                      (f"后 {len(worst)} 名", [score_row(data, r) for r in worst])]
        out.append({"title": LEVEL_LABELS[level], "count": len(rows), "ranked": len(ranked), "blocks": blocks,
                    "insufficient": insufficient(data, few) if level == "district" else
                    (f"另有 {len(few)} 个{LEVEL_LABELS[level]}样本不足，不参与排名。" if few else "")})
    return out


def department_rows(data: ReportData) -> tuple[list[list[str]], str]:
    rows = data.rankings.get(("department", "department"), [])
    ranked, few = split_ranked(rows)
    out = []
    for r in ranked:
        ind = data.indicators.get(("department", str(r["entity_code"])), {})

        def val(key: str, ind: dict[str, dict[str, Any]] = ind) -> Any:
            return (ind.get(key) or {}).get("value")

        out.append([str(r["rank"]), name_of(data, r), fmt_num(r["total_score"]), str(r["grade"] or "—"),
                    fmt_int(val("due_count")), fmt_pct(val("on_time_handle_rate"), 1), fmt_int(val("overdue_count")),
                    # the scorecard's 超时倍数 where it has one; else the mean of the multiples derived for 八、
                    fmt_num(val("overdue_multiple") if val("overdue_multiple") is not None
                            else data.overdue_mean_by_department.get(str(r["entity_code"]))),
                    "—" if r["mom_score"] is None else f"{r['mom_score']:+.2f}"])
    return out, insufficient(data, few)


def post_sections(data: ReportData) -> list[dict[str, Any]]:
    out = []
    for obj in POST_OBJECTS:
        rows = data.rankings.get((obj, obj), [])
        if not rows:
            continue
        ranked, few = split_ranked(rows)
        best = ranked[:3]
        worst = [r for r in ranked[-3:] if r not in best] if len(ranked) > 3 else []
        grades: dict[str, int] = {}
        for r in ranked:
            grades[str(r["grade"])] = grades.get(str(r["grade"]), 0) + 1
        out.append({
            "title": OBJECT_LABELS[obj], "count": len(rows), "ranked": len(ranked), "few": len(few),
            "grades": "、".join(f"{g} 级 {n} 人" for g, n in sorted(grades.items())),
            "best": [score_row(data, r) for r in best], "worst": [score_row(data, r) for r in worst],
        })
    return out


def hotline(data: ReportData) -> tuple[str, list[list[str]]]:
    h, p = data.hotline, data.hotline_mom
    prev = p or {}
    known = p is not None and p.get("calls", 0) > 0
    rows = [
        ["来电", fmt_int(h["calls"]), fmt_int(prev.get("calls")) if known else "—",
         change_count(h["calls"], prev.get("calls") if known else None, "环比")],
        ["转立案（关联案件）", fmt_int(h["to_cases"]), fmt_int(prev.get("to_cases")) if known else "—",
         change_count(h["to_cases"], prev.get("to_cases") if known else None, "环比")],
        ["转案率", fmt_pct(h["conversion_rate"], 1), fmt_pct(prev.get("conversion_rate"), 1) if known else "—",
         change_rate(h["conversion_rate"], prev.get("conversion_rate") if known else None, "环比")],
        ["回访满意率（满意+基本满意 / 回访成功）", fmt_pct(h["satisfaction_rate"], 1),
         fmt_pct(prev.get("satisfaction_rate"), 1) if known else "—",
         change_rate(h["satisfaction_rate"], prev.get("satisfaction_rate") if known else None, "环比")],
        ["重复来电（同一来电人同一问题）", fmt_int(h["repeats"]), fmt_int(prev.get("repeats")) if known else "—",
         change_count(h["repeats"], prev.get("repeats") if known else None, "环比")],
        ["多次来电的来电人", fmt_int(h["repeat_callers"]), fmt_int(prev.get("repeat_callers")) if known else "—",
         change_count(h["repeat_callers"], prev.get("repeat_callers") if known else None, "环比")],
    ]
    if not h["calls"]:
        return "本月无 12319 热线来电记录。", rows
    cats = "、".join(f"{c} {n} 个" for c, n in h["categories"])
    calls_change = change_count(h["calls"], prev.get("calls") if known else None, "环比")
    text = (f"本月 12319 热线来电 {fmt_int(h['calls'])} 个，{calls_change}；"
            f"其中 {fmt_int(h['to_cases'])} 个转为案件（转案率 {fmt_pct(h['conversion_rate'], 1)}），"
            f"回访满意率 {fmt_pct(h['satisfaction_rate'], 1)}，重复来电 {fmt_int(h['repeats'])} 个。"
            + (f"来电类别：{cats}。" if cats else ""))
    return text, rows


def hot_grid_tables(data: ReportData) -> list[dict[str, Any]]:
    from transforms.report.charts import district_map

    out = []
    districts = [r for r in data.rankings.get(("region", "district"), [])]
    order = [str(r["entity_code"]) for r in districts]
    order += sorted({str(h["district"]) for h in data.hot_grids} - set(order))
    for code in order:
        hot = [h for h in data.hot_grids if str(h["district"]) == code]
        if not hot:
            continue
        rows = [[str(h["district_rank"]), str(h["grid_code"]),
                 community_of(data, h["community"]), fmt_int(h["registered"]),
                 f"{h['main_subclass']}（{int(h['main_count'])}）"] for h in hot]
        out.append({"district": data.area_names.get(code, code), "rows": rows, "map": district_map(data, code)})
    return out


def repeated_rows(data: ReportData) -> list[list[str]]:
    return [[data.area_names.get(str(r["district"]), str(r["district"])), str(r["grid_code"]),
             community_of(data, r["community"]), str(r["subclass"]), fmt_int(r["cases"])]
            for r in data.repeated]


def overdue_rows(data: ReportData) -> list[list[str]]:
    return [[str(i), str(r["case_id"]), str(r["department_name"] or r["department_code"]), str(r["subclass"] or "—"),
             fmt_num(r["overdue_multiple"]), fmt_num(r["overdue_days"], 1),
             "未处置" if r["open"] else str(r["handled_at"])[:16]]
            for i, r in enumerate(data.overdue, 1)]


def attention(data: ReportData) -> list[str]:
    """九、下月关注: items raised by rules on the data; each rule names its threshold."""
    items: list[str] = []
    fell = []
    for r in data.rankings.get(("department", "department"), []):
        ind = data.indicators.get(("department", str(r["entity_code"])), {}).get("on_time_handle_rate")
        if not ind or not r["ranked"] or ind["value"] is None or ind["previous_value"] is None:
            continue
        drop = 100 * (float(ind["previous_value"]) - float(ind["value"]))
        if drop >= DEPT_DROP_POINTS:
            fell.append((drop, f"{name_of(data, r)}（{fmt_pct(ind['previous_value'], 1)} → "
                               f"{fmt_pct(ind['value'], 1)}）"))
    if fell:
        items.append(f"按期处置率较上月下降 {DEPT_DROP_POINTS:.0f} 个百分点及以上的专业部门："
                     + "、".join(t for _, t in sorted(fell, reverse=True)) + "。")
    dropped = [r for r in data.rankings.get(("region", "district"), [])
               if r["ranked"] and r["mom_score"] is not None and float(r["mom_score"]) <= -SCORE_DROP_POINTS]
    if dropped:
        items.append(f"综合分较上月下降 {SCORE_DROP_POINTS:.0f} 分及以上的区县："
                     + "、".join(f"{name_of(data, r)}（{float(r['mom_score']):+.2f}）" for r in dropped) + "。")
    if data.repeated:
        items.append(f"同一网格同一小类本月反复发生（3 件及以上）的问题 {len(data.repeated)} 处，最多的是"
                     + "、".join(f"{community_of(data, r['community'])} 网格 {r['grid_code']} "
                                 f"{r['subclass']}（{int(r['cases'])} 件）" for r in data.repeated[:3])
                     + "，建议纳入专项整治。")
    by = data.overdue_open_by_department
    if by:
        items.append(f"截至统计截止时仍超期未处置的案件 {sum(by.values())} 件："
                     + "、".join(f"{k} {v} 件" for k, v in sorted(by.items(), key=lambda kv: (-kv[1], kv[0])))
                     + "，请督办。")
    h, p = data.hotline, data.hotline_mom
    if p and h["satisfaction_rate"] is not None and p.get("satisfaction_rate") is not None:
        drop = 100 * (float(p["satisfaction_rate"]) - float(h["satisfaction_rate"]))
        if drop >= SATISFACTION_DROP_POINTS:
            items.append(f"12319 热线回访满意率较上月下降 {drop:.1f} 个百分点（阈值 {SATISFACTION_DROP_POINTS:.0f}）。")
    return items

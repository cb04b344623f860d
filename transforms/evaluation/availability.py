"""Which indicators the period's events can support, and why the others are not available (never a silent zero).

A legacy export imported into ``core.case_event`` often carries only some steps: no 派遣, no 反馈, no 核查, no
person who did the work. Computed anyway, such an indicator looks like a real figure — 处置率 0 % when no 反馈 was
recorded, 返工率 0 % (a perfect score) when no 核查 was. So before scoring, the engine checks, per evaluation object,
whether the period holds the inputs each indicator reads (an *input*, below); where one is absent the indicator is
marked unavailable with the reason, its value and score are left out (the total's weights are renormalised over the
available indicators, the scheme's ``no_sample`` rule), and the scorecard lists it with that reason.

The check is made for the period as a whole (per object and level), not per entity: an entity whose own
denominator is 0 is 无样本 as before. A rate or mean whose denominator is 0 for every entity of its object and level
is listed too (reason 无样本), so the office sees every indicator that did not count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from transforms.evaluation.indicators import CATALOGUE, OBJECT_LABELS, REGION_LEVELS, Indicator

# Input → (SQL tests, reason when absent). An input is present when one of its tests is true; they are tried in
# order, cheapest first, each a scalar query over the run's small tables, and the events are scanned only when
# those do not show it (核查 that passed sets no bit, a 反馈 on time looks like one without a judgement) — on live
# data a late 反馈 or a 返工 settles it at once; a scan stops at the first matching event.
_COHORT_EVENTS = ("SELECT 1 FROM core.case_event e WHERE e.occurred_at >= getvariable('eval_early_lower') "
                  "AND e.occurred_at < getvariable('eval_as_of') AND e.case_id IN (SELECT case_id FROM eval_case_fact)")
INPUTS: dict[str, tuple[tuple[str, ...], str]] = {
    "cohort": (("EXISTS (SELECT 1 FROM eval_case_fact)",),
               "本期没有立案的案件（案件没有立案（立案）环节记录，或本期无立案）"),
    "dispatch": (("EXISTS (SELECT 1 FROM eval_case_fact WHERE is_dispatched)",),
                 "本期立案的案件没有派遣（派遣）环节记录"),
    "feedback": (("EXISTS (SELECT 1 FROM eval_case_fact WHERE is_handled)",),
                 "本期案件没有处置反馈（反馈）环节记录"),
    "judged": (("EXISTS (SELECT 1 FROM eval_case_fact WHERE is_open_overdue OR bits & 128 <> 0)",  # judged late
                f"EXISTS ({_COHORT_EVENTS} AND e.action = 'feedback' AND e.deadline_met IS NOT NULL)"),
               "本期案件的处置反馈没有时限判定（无处置时限，也无法按指挥手册判定）"),
    "check": (("EXISTS (SELECT 1 FROM eval_case_fact WHERE is_reworked)",  # 返工 is a 核查 that failed
               f"EXISTS ({_COHORT_EVENTS} AND e.action IN ('check', 'rework'))"),
              "本期案件没有核查（核查）环节记录"),
    **{f"post:{obj}": ((f"EXISTS (SELECT 1 FROM eval_post_cell WHERE object = '{obj}')",),  # obj: a constant
                       f"本期没有记录{OBJECT_LABELS[obj]}经办的事件（事件未记录经办人，如导入的历史案件）")
       for obj in ("supervisor", "operator", "shift_leader", "dispatcher")},
}
NO_SAMPLE_REASON = "无样本：本期没有进入该指标分母的案件或事件"

# What each indicator reads besides its object's input (region: cohort; department: cohort and dispatch; a post:
# its events). Checked in this order; the first absent input is the reason given.
_REGION: dict[str, tuple[str, ...]] = {
    "close_rate": (), "registered": (), "public_report_rate": (),
    "on_time_close_rate": ("judged",),
    "handle_rate": ("dispatch", "feedback"),
    "on_time_handle_rate": ("dispatch", "feedback", "judged"),
    "rework_rate": ("dispatch", "check"),
    "overdue_rate": ("dispatch", "judged"),
    "avg_handle_hours": ("dispatch", "feedback"),
}
_DEPARTMENT: dict[str, tuple[str, ...]] = {
    "handled_count": ("feedback",), "handle_rate": ("feedback",),
    "on_time_count": ("feedback", "judged"), "on_time_handle_rate": ("feedback", "judged"),
    "overdue_count": ("judged",), "overdue_multiple": ("judged",),
    "rework_count": ("check",), "rework_rate": ("check",),
}


def inputs_of(ind: Indicator) -> tuple[str, ...]:
    """The inputs ``ind`` needs, its object's first."""
    if ind.object == "region":
        return ("cohort", *_REGION.get(ind.key, ()))
    if ind.object == "department":
        return ("cohort", "dispatch", *_DEPARTMENT.get(ind.key, ()))
    return (f"post:{ind.object}",)


def levels_of(obj: str) -> tuple[str, ...]:
    return REGION_LEVELS if obj == "region" else (obj,)


@dataclass(frozen=True)
class Availability:
    object: str
    level: str
    indicator: str
    label: str
    available: bool
    input: str | None  # the absent input (an INPUTS key, or "sample"); None when available
    reason: str | None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def present_inputs(con: duckdb.DuckDBPyConnection) -> dict[str, bool]:
    """Which INPUTS the run's facts hold (one statement after the facts are built)."""
    def holds(test: str) -> bool:
        row = con.execute(f"SELECT {test}").fetchone()
        return bool(row and row[0])

    return {name: any(holds(test) for test in tests) for name, (tests, _) in INPUTS.items()}


def build_availability(con: duckdb.DuckDBPyConnection) -> list[Availability]:
    """eval_indicator_availability: one row per catalogue indicator and object level; needs eval_case_fact,
    eval_post_cell and eval_indicator."""
    present = present_inputs(con)
    sampled = {(str(o), str(lv), str(k)) for o, lv, k in con.execute(
        "SELECT object, level, indicator FROM eval_indicator GROUP BY ALL "
        "HAVING bool_or(denominator IS NULL OR denominator > 0)").fetchall()}
    rows: list[Availability] = []
    for ind in CATALOGUE:
        missing = next((name for name in inputs_of(ind) if not present[name]), None)
        for level in levels_of(ind.object):
            if missing is None and ind.kind != "count" and (ind.object, level, ind.key) not in sampled:
                rows.append(Availability(ind.object, level, ind.key, ind.label, False, "sample", NO_SAMPLE_REASON))
            elif missing is None:
                rows.append(Availability(ind.object, level, ind.key, ind.label, True, None, None))
            else:
                rows.append(Availability(ind.object, level, ind.key, ind.label, False, missing, INPUTS[missing][1]))
    con.execute("CREATE OR REPLACE TEMP TABLE eval_indicator_availability (object VARCHAR, level VARCHAR, "
                "indicator VARCHAR, label VARCHAR, available BOOLEAN, input VARCHAR, reason VARCHAR)")
    con.executemany("INSERT INTO eval_indicator_availability VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(a.object, a.level, a.indicator, a.label, a.available, a.input, a.reason) for a in rows])
    return rows

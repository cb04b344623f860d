"""The indicator catalogue: what every indicator counts, over which fact table, in SQL.

One definition drives three things, so they cannot disagree: the aggregate (``count(*) FILTER (WHERE …)``), the
lineage (the cases behind each numerator and denominator) and the text shown by ``szcg evaluate explain``.

Period rules (the same for every indicator of an object):

* **Case cohort** (区域, 专业部门): the cases whose first 立案 (``register`` event) occurred in the period. Their
  outcome is read from their events that occurred before the cut-off ``as_of`` (default: the end of the period).
* **Post events** (监督员, 受理员, 值班长, 派遣员): the events the person performed in the period (``occurred_at`` in
  the period and before ``as_of``); what happened to the case afterwards (立案, 作废, 回退) is read up to ``as_of``.

Timeliness is never re-derived: ``deadline_met`` and ``overdue_multiple`` are the judgement recorded on the event
that completed a step (核查/返工 complete 核查, …). A step without a recorded judgement (``deadline_met`` NULL) is not
in the denominator of an on-time rate.

处置 and its clock have one definition, the case service's (``casework.workflow.handle_clock_effects``):

* **处置完成** is the 反馈 event (``action = 'feedback'``): it completes the 指挥手册 step ``handle`` and carries its
  judgement (``deadline_met``, ``overdue_multiple``). 签收 (``handle``) only moves the case to 处置中; anything
  recorded on it is not the 处置 judgement. "反馈按时" = that 反馈's ``deadline_met`` is not false.
* **The 处置 clock** starts at 派遣 and restarts at 返工 (核查不通过) and 解除挂账, each time with the 指挥手册 处置
  limit of the case's subclass from that instant; an approved 延期 sets the deadline to the one recorded on it; it
  completes at 反馈 and stops at an approved 回退 (the case waits at 立案 for re-dispatch) or 挂账.
* **超期未处置**: at the cut-off the clock runs (its latest start is later than its latest completion or stop), the
  case is not 结案/作废/挂账, and the deadline has passed. 超时倍数 = elapsed ÷ limit − 1 (none when judged on a
  延期's recorded deadline), not rounded per case; a mean (平均超时倍数) is rounded once, to 6 decimals, when stored.
"""

from __future__ import annotations

from dataclasses import dataclass

# Object → fact table, and for regions the levels, from coarse to fine.
REGION_LEVELS: tuple[str, ...] = ("district", "street", "community", "grid")
OBJECTS: tuple[str, ...] = ("region", "department", "supervisor", "operator", "shift_leader", "dispatcher")
OBJECT_LABELS: dict[str, str] = {
    "region": "区域评价",
    "department": "专业部门评价",
    "supervisor": "监督员",
    "operator": "受理员",
    "shift_leader": "值班长",
    "dispatcher": "派遣员",
}
LEVEL_LABELS: dict[str, str] = {"district": "区县", "street": "街道", "community": "社区", "grid": "网格"}


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    object: str
    kind: str  # count | rate | mean
    numerator: str  # SQL boolean over the fact row (count, rate); for mean: the SQL value summed
    denominator: str | None  # SQL boolean (rate, mean); None for count
    definition: str
    unit: str = ""

    @property
    def fact(self) -> str:
        if self.object == "region":
            return "eval_case_fact"
        if self.object == "department":
            return "eval_department_fact"
        return "eval_post_fact"


def _i(key: str, label: str, obj: str, kind: str, num: str, den: str | None, definition: str,
       unit: str = "") -> Indicator:
    return Indicator(key, label, obj, kind, num, den, definition, unit)


CATALOGUE: tuple[Indicator, ...] = (
    # --- 区域 (district, street, community, grid of the case's location) ---------------------------------------
    _i("registered", "立案数", "region", "count", "TRUE", None,
       "本期立案的案件数（首次立案时间在统计期内）", "件"),
    _i("public_report_rate", "监督举报率", "region", "rate", "is_public", "TRUE",
       "公众举报（来源为公众/热线等，方案 rules.public_sources）的本期立案案件 ÷ 本期立案数"),
    _i("close_rate", "结案率", "region", "rate", "is_due AND is_closed", "is_due",
       "应结案中截至 as_of 已结案的案件 ÷ 应结案数；应结案 = 本期立案且截至 as_of 未作废、未处于挂账"),
    _i("on_time_close_rate", "按期结案率", "region", "rate", "is_due AND is_on_time_closed", "is_due",
       "已结案且每次处置反馈均在处置时限内（反馈 feedback 事件的 deadline_met 不为 false；"
       "签收 handle 上的记录不算）的案件 ÷ 应结案数"),
    _i("handle_rate", "处置率", "region", "rate", "is_due AND is_dispatched AND is_handled",
       "is_due AND is_dispatched",
       "应结案且已派遣的案件中已有处置反馈（反馈 feedback 事件）的 ÷ 应结案且已派遣的案件（应处置数）"),
    _i("on_time_handle_rate", "按期处置率", "region", "rate", "is_due AND is_dispatched AND is_on_time_handled",
       "is_due AND is_dispatched",
       "应结案且已派遣的案件中已反馈且每次反馈都在处置时限内的 ÷ 应处置数（同专业部门的 按期处置数 ÷ 应处置数）"),
    _i("rework_rate", "返工率", "region", "rate", "is_due AND is_reworked", "is_due",
       "应结案中至少返工一次（核查不通过）的案件 ÷ 应结案数"),
    _i("overdue_rate", "超期率", "region", "rate", "is_due AND is_overdue", "is_due",
       "应结案中超期的案件 ÷ 应结案数；超期 = 至少一次处置反馈超出时限（反馈的 deadline_met = false），或截至 as_of "
       "超期未处置：处置计时在走（最近一次派遣/返工/解除挂账晚于最近一次反馈、获批回退、获批挂账；签收不停表），"
       "未结案、未作废、未挂账，且已过处置期限（期限取该次起算后最近一次获批延期记录的期限，否则按指挥手册该小类的"
       "处置时限自该次起算）；获批回退后待重新派遣的案件不计时"),
    _i("avg_handle_hours", "平均处置时长", "region", "mean", "handle_minutes / 60.0",
       "is_due AND handle_minutes IS NOT NULL",
       "已反馈案件从首次派遣到最后一次处置反馈的工作时长（按城市工作日历：工作日的上班时段）的平均值", "工作小时"),
    # --- 专业部门 (every department the case was dispatched to; later events belong to the last dispatch) ------
    _i("registered", "立案数", "department", "count", "TRUE", None,
       "本期立案且派遣给该部门的案件数（被回退的也计）", "件"),
    _i("due_count", "应处置数", "department", "count", "is_due", None,
       "派遣给该部门、未被该部门回退（或回退后又派回该部门且不在待重新派遣中）、未作废、未在该部门挂账的案件", "件"),
    _i("handled_count", "处置数", "department", "count", "is_due AND is_handled", None,
       "应处置案件中该部门已反馈处置的", "件"),
    _i("on_time_count", "按期处置数", "department", "count", "is_due AND is_on_time", None,
       "应处置案件中该部门已反馈且每次反馈都在时限内的", "件"),
    _i("overdue_count", "超期处置数", "department", "count", "is_due AND is_overdue", None,
       "应处置案件中该部门至少一次反馈超出时限的，或截至 as_of 在该部门超期未处置的（口径同区域超期率）", "件"),
    _i("rework_count", "返工数", "department", "count", "is_due AND is_reworked", None,
       "应处置案件中该部门的处置被核查退回返工（至少一次）的", "件"),
    _i("handle_rate", "处置率", "department", "rate", "is_due AND is_handled", "is_due", "处置数 ÷ 应处置数"),
    _i("on_time_handle_rate", "按期处置率", "department", "rate", "is_due AND is_on_time", "is_due",
       "按期处置数 ÷ 应处置数"),
    _i("rework_rate", "返工率", "department", "rate", "is_due AND is_reworked", "is_due",
       "返工数 ÷ 应处置数（源实现为 返工数/应结案数；部门的应结案即其应处置）"),
    _i("close_rate", "结案率", "department", "rate", "is_due AND is_closed", "is_due",
       "应处置案件中截至 as_of 已结案且结案时仍由该部门负责的 ÷ 应处置数"),
    _i("overdue_multiple", "超时倍数", "department", "mean", "overdue_multiple",
       "is_due AND is_overdue AND overdue_multiple IS NOT NULL",
       "超期处置案件的超时倍数的平均值：该部门反馈事件记录的 overdue_multiple 的最大值；超期未处置的案件取截至 "
       "as_of 的 已用时长 ÷ 时限 − 1，时长自处置计时最近一次起算（派遣/返工/解除挂账）（按延期记录的期限判定的无倍数，"
       "不计入）；逐案不取舍，平均值存储时四舍五入到 6 位小数", "倍"),
    _i("shelved_count", "挂账数", "department", "count", "is_shelved", None,
       "该部门负责期间被批准挂账的案件数", "件"),
    _i("extended_count", "延期数", "department", "count", "is_extended", None,
       "该部门负责期间被批准延期的案件数", "件"),
    _i("returned_count", "回退数", "department", "count", "is_returned", None,
       "该部门申请并获批回退（派遣不当）的案件数", "件"),
    # --- 监督员 -------------------------------------------------------------------------------------------------
    _i("reports", "上报数", "supervisor", "count", "is_report", None, "本期该监督员上报（report 事件）的问题数", "件"),
    _i("valid_reports", "有效上报数", "supervisor", "count", "is_report AND is_valid_report", None,
       "本期上报的问题中截至 as_of 已立案的", "件"),
    _i("valid_report_rate", "有效上报率", "supervisor", "rate", "is_report AND is_valid_report", "is_report",
       "有效上报数 ÷ 上报数"),
    _i("missed", "漏报数", "supervisor", "count", "is_missed", None,
       "本期该监督员核实属实（verify 事件）的公众举报问题数：其网格内的问题未由监督员发现", "件"),
    _i("missed_rate", "漏报率", "supervisor", "rate", "is_missed", "is_missed OR is_report",
       "漏报数 ÷（漏报数 + 上报数）（源实现 SQL 的口径；VO 注释的 漏报数/立案数 无法归属到个人）"),
    _i("on_time_verify_rate", "按时核实率", "supervisor", "rate", "verify_judged AND verify_met", "verify_judged",
       "本期完成的核实（verify / 核实不属实 reject）中在时限内的 ÷ 有时限判定的核实"),
    _i("on_time_check_rate", "按时核查率", "supervisor", "rate", "check_judged AND check_met", "check_judged",
       "本期完成的核查（check 通过 / rework 返工）中在时限内的 ÷ 有时限判定的核查"),
    # --- 受理员 -------------------------------------------------------------------------------------------------
    _i("accepted", "受理数", "operator", "count", "is_accept", None, "本期该受理员受理（accept 事件）的问题数", "件"),
    _i("on_time_verify_dispatch_rate", "核实按时派发率", "operator", "rate",
       "vdispatch_judged AND vdispatch_met", "vdispatch_judged",
       "受理后派发核实（此后有监督员核实）的受理事件中在受理时限内的 ÷ 其中有时限判定的"),
    _i("on_time_check_dispatch_rate", "核查按时派发率", "operator", "rate",
       "cdispatch_judged AND cdispatch_met", "cdispatch_judged",
       "受理员派发核查的事件（outcome = send_check）中在时限内的 ÷ 其中有时限判定的；"
       "szcg 案件服务在反馈时自动派核查，故通常无样本，权重按方案 no_sample 规则处理"),
    _i("accurate_accept_rate", "准确受理率", "operator", "rate", "is_accept AND is_accurate_accept", "is_accept",
       "受理后截至 as_of 未被值班长不予立案、未作废的 ÷ 受理数"),
    # --- 值班长 -------------------------------------------------------------------------------------------------
    _i("registered", "立案数", "shift_leader", "count", "is_register", None, "本期该值班长立案的案件数", "件"),
    _i("on_time_register_rate", "按时立案率", "shift_leader", "rate", "register_judged AND register_met",
       "register_judged", "本期立案/不予立案决定中在立案时限内的 ÷ 有时限判定的"),
    _i("accurate_register_rate", "准确立案率", "shift_leader", "rate", "is_register AND NOT is_voided",
       "is_register", "（立案数 − 其中截至 as_of 作废数）÷ 立案数"),
    _i("on_time_close_rate", "按时结案率", "shift_leader", "rate", "close_judged AND close_met", "close_judged",
       "本期结案中在结案时限内的 ÷ 有时限判定的结案"),
    # --- 派遣员 -------------------------------------------------------------------------------------------------
    _i("dispatched", "派遣数", "dispatcher", "count", "is_dispatch", None, "本期该派遣员派遣的次数", "次"),
    _i("on_time_dispatch_rate", "按时派遣率", "dispatcher", "rate", "dispatch_judged AND dispatch_met",
       "dispatch_judged", "本期派遣中在派遣时限内的 ÷ 有时限判定的派遣"),
    _i("accurate_dispatch_rate", "准确派遣率", "dispatcher", "rate", "is_dispatch AND NOT is_returned",
       "is_dispatch",
       "派遣后截至 as_of 未被回退（下次派遣前无 return 事件）的 ÷ 派遣数；源实现用 派遣数−返工数，"
       "但返工反映处置质量（归专业部门），回退才反映派遣不当"),
)

BY_KEY: dict[tuple[str, str], Indicator] = {(i.object, i.key): i for i in CATALOGUE}
assert len(BY_KEY) == len(CATALOGUE), "duplicate indicator key within an object"


def indicators_of(obj: str) -> list[Indicator]:
    return [i for i in CATALOGUE if i.object == obj]


def find(obj: str | None, key_or_label: str) -> list[Indicator]:
    """Indicators matching a key or a Chinese label (optionally within one object)."""
    return [
        i for i in CATALOGUE
        if (obj is None or i.object == obj) and key_or_label in (i.key, i.label)
    ]

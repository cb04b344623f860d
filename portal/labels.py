"""Chinese names of the loop's states, actions and steps as the pages show them (codes stay in the database)."""

from __future__ import annotations

from standards.handbook import STEP_NAMES_ZH

# The same words as the dashboards' (szcg.vocabulary.STATE_LABELS / SOURCE_LABELS on branch v17: when that lands,
# these two tables become those).
STATE_NAMES: dict[str, str] = {
    "reported": "待受理", "verifying": "核实中", "accepted": "待立案", "registered": "待派遣", "dispatched": "已派遣",
    "handling": "处置中", "handled": "待核查", "checked": "待结案", "closed": "已结案", "rejected": "不予立案",
    "return_requested": "申请回退", "extension_requested": "申请延期", "shelve_requested": "申请挂账",
    "shelved": "已挂账", "void_requested": "申请作废", "voided": "已作废",
}
ACTION_NAMES: dict[str, str] = {
    "report": "上报", "accept": "受理", "send_verify": "派核实", "verify": "核实属实", "reject": "不予立案",
    "register": "立案", "dispatch": "派遣", "handle": "签收", "feedback": "处置反馈", "check": "核查通过",
    "rework": "返工", "close": "结案", "request_return": "申请回退", "approve_return": "批准回退",
    "deny_return": "驳回回退", "request_extension": "申请延期", "approve_extension": "批准延期",
    "deny_extension": "驳回延期", "request_shelve": "申请挂账", "approve_shelve": "批准挂账",
    "deny_shelve": "驳回挂账", "unshelve": "解除挂账", "request_void": "申请作废", "approve_void": "批准作废",
    "deny_void": "驳回作废",
}
# Actions whose form asks for a reason (意见): approvals and refusals are justified in the event log.
REASON_REQUIRED: frozenset[str] = frozenset({
    "reject", "rework", "request_return", "approve_return", "deny_return", "request_extension", "approve_extension",
    "deny_extension", "request_shelve", "approve_shelve", "deny_shelve", "unshelve", "request_void", "approve_void",
    "deny_void",
})
SOURCE_NAMES: dict[str, str] = {
    "supervisor": "监督员上报", "public": "公众举报", "hotline": "12319热线", "video": "视频监控", "leader": "领导交办",
}
STEP_NAMES: dict[str, str] = dict(STEP_NAMES_ZH)
BASIS_NAMES: dict[str, str] = {"working": "工作", "natural": "自然"}


def limit_text(hours: float | None, basis: str | None) -> str:
    """A 指挥手册 limit as the handbook writes it: 10工作分钟, 4工作时, 2自然日 (whole units only)."""
    if not hours:
        return ""
    word = BASIS_NAMES.get(basis or "", "")
    minutes = round(hours * 60)
    if minutes < 60 or minutes % 60:
        return f"{minutes}{word}分钟"
    if basis == "natural" and minutes % 1440 == 0:
        return f"{minutes // 1440}{word}日"
    return f"{minutes // 60}{word}时"
PENDING_NAMES: dict[str, str] = {"extension": "延期", "return": "回退", "shelve": "挂账", "void": "作废"}
# The case service's refusals, by code, as the pages say them (other refusals show the service's own message).
REFUSALS: dict[str, str] = {
    "stale_version": "案件已被他人更新，请刷新页面核对后再办理。",
    "illegal_transition": "案件当前状态不允许此操作，请刷新页面。",
    "role_not_allowed": "您的角色不能在案件当前状态办理此操作。",
    "not_assigned": "该案件已指派给其他监督员。",
    "department_out_of_district": "所选专业部门不属于案件所在区县。",
    "not_found": "案件不存在，或不在您的管辖范围内。",
}

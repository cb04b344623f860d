"""Chinese names of the loop's states, actions and steps as the pages show them (codes stay in the database)."""

from __future__ import annotations

from standards.handbook import STEP_NAMES_ZH

STATE_NAMES: dict[str, str] = {
    "reported": "待受理", "verifying": "待核实", "accepted": "待立案", "registered": "待派遣", "dispatched": "待签收",
    "handling": "处置中", "handled": "待核查", "checked": "待结案", "closed": "已结案", "rejected": "不予立案",
    "return_requested": "回退待审", "extension_requested": "延期待审", "shelve_requested": "挂账待审",
    "shelved": "已挂账", "void_requested": "作废待审", "voided": "已作废",
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
    "supervisor": "监督员上报", "public": "公众举报", "hotline": "12319热线", "video": "视频发现", "leader": "领导交办",
}
STEP_NAMES: dict[str, str] = dict(STEP_NAMES_ZH)
BASIS_NAMES: dict[str, str] = {"working": "工作时", "natural": "自然时"}

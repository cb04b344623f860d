"""The domain's shared words: case states, the case service's actions, the warehouse's event actions, case kinds
(部件/事件), roles, report sources (上报渠道) and the hotline's 回访满意度, with the Chinese a page shows for them.

Part of the bottom core: imports nothing of the project, so the case service (casework.workflow, whose transition
table is the one definition of which action leads where), the conformed case model (transforms.cases.model), the
quality suites, the dashboards' marts and the synthetic city all import these words instead of spelling them out.
SQL that is rendered from Python or Jinja reads them through :func:`sql_list` / :func:`as_template_context`.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from szcg.sqltext import string_literal


class CaseState(StrEnum):
    """A case's status (案件状态): the case service's workflow states, which are the conformed model's too."""

    reported = "reported"  # 上报, waiting for 受理
    verifying = "verifying"  # sent to the grid's 监督员 for 核实
    accepted = "accepted"  # 受理 (and 核实) done, waiting for 立案
    registered = "registered"  # 立案, waiting for 派遣
    dispatched = "dispatched"  # 派遣 to a 专业部门, not yet signed for
    handling = "handling"  # 处置 under way
    handled = "handled"  # 反馈 given, waiting for 核查
    checked = "checked"  # 核查 passed, waiting for 结案
    closed = "closed"  # 结案
    rejected = "rejected"  # 不予立案 / 核实不属实
    return_requested = "return_requested"  # 回退 asked by the department
    extension_requested = "extension_requested"  # 延期 asked
    shelve_requested = "shelve_requested"  # 挂账 asked
    shelved = "shelved"  # 挂账
    void_requested = "void_requested"  # 作废 asked
    voided = "voided"  # 作废


class CaseAction(StrEnum):
    """What a user does to a case in the case service (the workflow's actions)."""

    report = "report"
    accept = "accept"
    send_verify = "send_verify"
    verify = "verify"
    reject = "reject"
    register = "register"
    dispatch = "dispatch"
    handle = "handle"
    feedback = "feedback"
    check = "check"
    rework = "rework"
    close = "close"
    request_return = "request_return"
    approve_return = "approve_return"
    deny_return = "deny_return"
    request_extension = "request_extension"
    approve_extension = "approve_extension"
    deny_extension = "deny_extension"
    request_shelve = "request_shelve"
    approve_shelve = "approve_shelve"
    deny_shelve = "deny_shelve"
    unshelve = "unshelve"
    request_void = "request_void"
    approve_void = "approve_void"
    deny_void = "deny_void"


class EventAction(StrEnum):
    """core.case_event.action: the conformed step a source's event stands for, whatever system recorded it. The
    case service's request/approve/deny of one thing is one event action with an outcome
    (transforms/cases/vocabulary.yaml maps them)."""

    report = "report"
    accept = "accept"
    verify = "verify"
    register = "register"
    dispatch = "dispatch"
    handle = "handle"
    feedback = "feedback"
    check = "check"
    close = "close"
    rework = "rework"
    return_ = "return"  # 回退
    extend = "extend"  # 延期
    shelve = "shelve"  # 挂账
    unshelve = "unshelve"
    void = "void"  # 作废
    reject = "reject"


class CaseKind(StrEnum):
    """部件 (a component: a thing the city owns, found by its id) or 事件 (an event: something that happened)."""

    component = "component"
    event = "event"


class Role(StrEnum):
    """Who acts on cases (the case service's users and API clients)."""

    supervisor = "supervisor"  # 监督员
    operator = "operator"  # 受理员
    shift_leader = "shift_leader"  # 值班长
    dispatcher = "dispatcher"  # 派遣员 (city-wide, or one district)
    department = "department"  # 专业部门 user
    evaluator = "evaluator"  # read-only
    admin = "admin"
    public = "public"  # Open311 intake (hotline system, public app) through an API key
    survey_team = "survey_team"  # 普查作业单位: uploads census batches of its districts (portal); no case work


class Source(StrEnum):
    """Where a report came from (上报渠道). Supervisor reports come from the field and are verified on the spot."""

    supervisor = "supervisor"
    hotline = "hotline"
    public = "public"
    video = "video"
    leader = "leader"
    other = "other"  # only in the warehouse: a legacy export's channel that maps to none of the above


class Satisfaction(StrEnum):
    """What a 12319 caller said when called back about their case (回访满意度)."""

    satisfied = "satisfied"
    basically_satisfied = "basically_satisfied"
    dissatisfied = "dissatisfied"
    unreached = "unreached"  # the call-back reached no one


CASE_KINDS: tuple[str, ...] = tuple(CaseKind)
# The sources a new report may give (the case service, the synthetic city); ``other`` is a legacy import's only.
INTAKE_SOURCES: tuple[Source, ...] = tuple(s for s in Source if s is not Source.other)
# The sources an intake system reports under through the case service's API (Open311 clients): every intake source
# but the supervisors', who report as users.
CLIENT_SOURCES: tuple[Source, ...] = tuple(s for s in INTAKE_SOURCES if s is not Source.supervisor)
# States a case does not leave.
TERMINAL_STATES: tuple[CaseState, ...] = (CaseState.closed, CaseState.rejected, CaseState.voided)
# States of a case that has not been 立案 (and, rejected, never will be): what "registered" counts leave out.
UNREGISTERED_STATES: tuple[CaseState, ...] = (CaseState.reported, CaseState.verifying, CaseState.accepted,
                                              CaseState.rejected)
# 满意率 = satisfied ÷ reached: 基本满意 counts as satisfied, a caller not reached counts in neither.
SATISFIED: tuple[Satisfaction, ...] = (Satisfaction.satisfied, Satisfaction.basically_satisfied)
REACHED: tuple[Satisfaction, ...] = (*SATISFIED, Satisfaction.dissatisfied)

# The words a page shows (marts.dash_label, in this order: its sort_key is the position).
KIND_LABELS: dict[CaseKind, str] = {CaseKind.component: "部件", CaseKind.event: "事件"}
STATE_LABELS: dict[CaseState, str] = {
    CaseState.reported: "待受理", CaseState.verifying: "核实中", CaseState.accepted: "待立案",
    CaseState.registered: "待派遣", CaseState.dispatched: "已派遣", CaseState.handling: "处置中",
    CaseState.handled: "待核查", CaseState.checked: "待结案", CaseState.closed: "已结案",
    CaseState.rejected: "不予立案", CaseState.return_requested: "申请回退", CaseState.extension_requested: "申请延期",
    CaseState.shelve_requested: "申请挂账", CaseState.shelved: "已挂账", CaseState.void_requested: "申请作废",
    CaseState.voided: "已作废",
}
SATISFACTION_LABELS: dict[Satisfaction, str] = {
    Satisfaction.satisfied: "满意", Satisfaction.basically_satisfied: "基本满意", Satisfaction.dissatisfied: "不满意",
    Satisfaction.unreached: "未回访",
}
SOURCE_LABELS: dict[Source, str] = {
    Source.supervisor: "监督员上报", Source.hotline: "12319热线", Source.public: "公众举报", Source.video: "视频监控",
    Source.leader: "领导交办", Source.other: "其他",
}


def sql_list(values: Iterable[str]) -> str:
    """``('a', 'b')``: an SQL IN-list of vocabulary words, for view definitions that cannot take parameters."""
    words = [str(v) for v in values]
    if not words:
        raise ValueError("an SQL IN-list needs at least one value")
    return "(" + ", ".join(string_literal(w) for w in words) + ")"


def as_template_context() -> dict[str, Any]:
    """The vocabulary for a Jinja SQL template: plain lists of words, each list also as a ready SQL IN-list
    (``{{ unregistered_states_sql }}``), and the labels as (code, label, sort_key) rows per dash_label domain."""
    lists: dict[str, list[str]] = {
        "case_states": [str(s) for s in CaseState],
        "terminal_states": [str(s) for s in TERMINAL_STATES],
        "unregistered_states": [str(s) for s in UNREGISTERED_STATES],
        "event_actions": [str(a) for a in EventAction],
        "kinds": [str(k) for k in CaseKind],
        "sources": [str(s) for s in Source],
        "intake_sources": [str(s) for s in INTAKE_SOURCES],
        "client_sources": [str(s) for s in CLIENT_SOURCES],
        "roles": [str(r) for r in Role],
        "satisfied": [str(s) for s in SATISFIED],
        "reached": [str(s) for s in REACHED],
    }
    context: dict[str, Any] = dict(lists)
    context.update({f"{name}_sql": sql_list(words) for name, words in lists.items()})
    context["labels"] = {
        "kind": [(str(k), label, n) for n, (k, label) in enumerate(KIND_LABELS.items(), start=1)],
        "status": [(str(s), label, n) for n, (s, label) in enumerate(STATE_LABELS.items(), start=1)],
        "source": [(str(s), label, n) for n, (s, label) in enumerate(SOURCE_LABELS.items(), start=1)],
        "satisfaction": [(str(s), label, n) for n, (s, label) in enumerate(SATISFACTION_LABELS.items(), start=1)],
    }
    return context

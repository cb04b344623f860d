"""The case loop (上报 → 受理 → 核实 → 立案 → 派遣 → 处置 → 反馈 → 核查 → 结案) as an explicit state machine.

Pure: no database, no clock. :data:`TRANSITIONS` is the single table every other part reads — the API refuses
whatever it does not list, the tests generate every illegal (state, action) pair from it, and the task lists
are derived from it (a task is "a case in a state where my role may act").

Clocks: every waiting state runs the time limit of one 指挥手册 step (:data:`standards.handbook.STEPS`). A
transition says which step it *completes* (its event records the deadline that applied and whether it was met)
and what happens to the clock: start the next step's limit, keep the running one (approval detours during
处置 do not stop the handling clock), or stop it (terminal and 挂账 states).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
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


class Action(StrEnum):
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


class Role(StrEnum):
    supervisor = "supervisor"  # 监督员
    operator = "operator"  # 受理员
    shift_leader = "shift_leader"  # 值班长
    dispatcher = "dispatcher"  # 派遣员 (city-wide, or one district)
    department = "department"  # 专业部门 user
    evaluator = "evaluator"  # read-only
    admin = "admin"
    public = "public"  # Open311 intake (hotline system, public app) through an API key
    survey_team = "survey_team"  # 普查作业单位: uploads census batches of its districts (portal); no case work


# Sources of a report (上报渠道). Supervisor reports come from the field and are verified on the spot.
SOURCES: tuple[str, ...] = ("supervisor", "public", "hotline", "video", "leader")

TERMINAL: frozenset[State] = frozenset({State.closed, State.rejected, State.voided})


@dataclass(frozen=True)
class Clock:
    """What a transition does to the running time limit: ``start`` a step, ``keep`` it, or ``stop``."""

    mode: str  # "start" | "keep" | "stop"
    step: str | None = None


KEEP = Clock("keep")
STOP = Clock("stop")


def _start(step: str) -> Clock:
    return Clock("start", step)


@dataclass(frozen=True)
class Transition:
    source: State | None  # None: the case does not exist yet (report)
    action: Action
    target: State
    roles: frozenset[Role]
    completes: str | None  # the 指挥手册 step this action completes (its deadline is judged), if any
    clock: Clock


def _t(source: State | None, action: Action, target: State, roles: set[Role], completes: str | None,
       clock: Clock) -> Transition:
    return Transition(source, action, target, frozenset(roles), completes, clock)


S, A, R = State, Action, Role
TRANSITIONS: tuple[Transition, ...] = (
    _t(None, A.report, S.reported, {R.supervisor, R.operator, R.public}, None, _start("accept")),
    _t(S.reported, A.accept, S.accepted, {R.operator}, "accept", _start("register")),
    _t(S.reported, A.send_verify, S.verifying, {R.operator}, "accept", _start("verify")),
    _t(S.reported, A.reject, S.rejected, {R.operator}, "accept", STOP),
    _t(S.verifying, A.verify, S.accepted, {R.supervisor}, "verify", _start("register")),
    _t(S.verifying, A.reject, S.rejected, {R.supervisor}, "verify", STOP),
    _t(S.accepted, A.register, S.registered, {R.shift_leader}, "register", _start("dispatch")),
    _t(S.accepted, A.reject, S.rejected, {R.shift_leader}, "register", STOP),
    _t(S.registered, A.dispatch, S.dispatched, {R.dispatcher}, "dispatch", _start("handle")),
    _t(S.registered, A.request_void, S.void_requested, {R.dispatcher}, None, KEEP),
    _t(S.void_requested, A.approve_void, S.voided, {R.shift_leader}, None, STOP),
    _t(S.void_requested, A.deny_void, S.registered, {R.shift_leader}, None, KEEP),
    _t(S.dispatched, A.handle, S.handling, {R.department}, None, KEEP),
    _t(S.dispatched, A.feedback, S.handled, {R.department}, "handle", _start("check")),
    _t(S.handling, A.feedback, S.handled, {R.department}, "handle", _start("check")),
    _t(S.dispatched, A.request_return, S.return_requested, {R.department}, None, KEEP),
    _t(S.handling, A.request_return, S.return_requested, {R.department}, None, KEEP),
    _t(S.return_requested, A.approve_return, S.registered, {R.dispatcher, R.shift_leader}, None,
       _start("dispatch")),
    _t(S.return_requested, A.deny_return, S.handling, {R.dispatcher, R.shift_leader}, None, KEEP),
    _t(S.handling, A.request_extension, S.extension_requested, {R.department}, None, KEEP),
    _t(S.extension_requested, A.approve_extension, S.handling, {R.shift_leader}, None, KEEP),
    _t(S.extension_requested, A.deny_extension, S.handling, {R.shift_leader}, None, KEEP),
    _t(S.handling, A.request_shelve, S.shelve_requested, {R.department}, None, KEEP),
    _t(S.shelve_requested, A.approve_shelve, S.shelved, {R.shift_leader}, None, STOP),
    _t(S.shelve_requested, A.deny_shelve, S.handling, {R.shift_leader}, None, KEEP),
    _t(S.shelved, A.unshelve, S.handling, {R.shift_leader}, None, _start("handle")),
    _t(S.handled, A.check, S.checked, {R.supervisor}, "check", _start("close")),
    _t(S.handled, A.rework, S.handling, {R.supervisor}, "check", _start("handle")),
    _t(S.checked, A.close, S.closed, {R.shift_leader}, "close", STOP),
)

_BY_KEY: dict[tuple[State | None, Action], Transition] = {(t.source, t.action): t for t in TRANSITIONS}
assert len(_BY_KEY) == len(TRANSITIONS), "duplicate (state, action) in TRANSITIONS"

# --- the 处置 clock: one definition for the case service and the evaluation ---------------------------------------
# 处置 is the 指挥手册 step "handle". It is complete at the transition that completes that step — 反馈 (feedback),
# whose event records the judgement (deadline, met, 超时倍数). 签收 (handle) only moves the case to 处置中.
HANDLE_STEP = "handle"
# An approved 延期 moves the running deadline (CaseService._effects); the table says KEEP, so it is named here.
EXTENDS_CLOCK: frozenset[Action] = frozenset({Action.approve_extension})


def handle_clock_effects() -> dict[Action, str]:
    """What each action does to the 处置 clock, derived from :data:`TRANSITIONS`: ``start`` (派遣, 返工, 解除挂账:
    a fresh 指挥手册 limit from that instant), ``complete`` (反馈), ``stop`` (it leaves the clock's states without
    completing it: approved 回退 — the case waits at 立案 for re-dispatch — or 挂账), ``extend`` (approved 延期).
    Actions not listed keep the clock as it is (签收, requests, denials)."""
    running = {t.target for t in TRANSITIONS if t.clock.mode == "start" and t.clock.step == HANDLE_STEP}
    grown = True
    while grown:  # the states the clock keeps running through (approval detours during 处置)
        more = {t.target for t in TRANSITIONS if t.source in running and t.clock.mode == "keep"
                and t.completes != HANDLE_STEP}
        grown = not more <= running
        running |= more
    effects: dict[Action, str] = {}
    for t in TRANSITIONS:
        if t.completes == HANDLE_STEP:
            effect = "complete"
        elif t.clock.mode == "start" and t.clock.step == HANDLE_STEP:
            effect = "start"
        elif t.source in running and t.clock.mode != "keep":
            effect = "stop"
        elif t.action in EXTENDS_CLOCK:
            effect = "extend"
        else:
            continue
        if effects.setdefault(t.action, effect) != effect:
            raise AssertionError(f"{t.action.value} does two things to the 处置 clock")
    return effects


class WorkflowError(Exception):
    """A transition the loop does not allow. ``code`` is stable for clients; the message names state and action."""

    def __init__(self, code: str, message: str, state: str | None, action: str) -> None:
        self.code, self.state, self.action = code, state, action
        super().__init__(message)


def transition_for(state: State | str | None, action: Action | str, role: Role | str) -> Transition:
    """The transition ``role`` may take with ``action`` from ``state``, or :class:`WorkflowError` saying why not."""
    try:
        act = Action(action)
    except ValueError:
        raise WorkflowError("unknown_action", f"unknown action {action!r}", str(state), str(action)) from None
    src = State(state) if state is not None else None
    found = _BY_KEY.get((src, act))
    if found is None:
        allowed = ", ".join(sorted(a.value for a in allowed_actions(src))) or "none (final state)"
        raise WorkflowError(
            "illegal_transition",
            f"action {act.value!r} is not allowed in state {src.value if src else 'new'!r}; allowed: {allowed}",
            src.value if src else None, act.value,
        )
    if Role(role) not in found.roles:
        roles = ", ".join(sorted(r.value for r in found.roles))
        raise WorkflowError(
            "role_not_allowed",
            f"role {Role(role).value!r} may not {act.value!r} in state {found.source}; needs {roles}",
            src.value if src else None, act.value,
        )
    return found


def allowed_actions(state: State | None) -> list[Action]:
    return [t.action for t in TRANSITIONS if t.source == state]


def actions_for_role(role: Role | str) -> list[Transition]:
    r = Role(role)
    return [t for t in TRANSITIONS if r in t.roles and t.source is not None]


def waiting_states(role: Role | str) -> set[State]:
    """States in which a case waits for ``role`` — what ``GET /tasks`` lists."""
    return {t.source for t in actions_for_role(role) if t.source is not None}


def replay(pairs: list[tuple[str | None, str, str]]) -> State | None:
    """Replay (from, action, to) events; raise :class:`WorkflowError` if the log is not a walk of the table."""
    state: State | None = None
    for source, action, target in pairs:
        if (State(source) if source else None) != state:
            raise WorkflowError("broken_log", f"event from {source!r} does not follow state {state}", source, action)
        found = _BY_KEY.get((state, Action(action)))
        if found is None or found.target != State(target):
            raise WorkflowError("broken_log", f"{action!r} from {state} cannot lead to {target!r}", source, action)
        state = found.target
    return state

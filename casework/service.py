"""What the API does with a case: report it, move it through the loop, read it within the caller's scope.

Routers stay thin; everything that touches the loop, deadlines, scope or the event log is here. One writing
transaction per call: read the case, check the expected version, apply the transition from
:mod:`casework.workflow`, update the case only if its version is still the one read (optimistic lock), then
append the event with the next feed cursor (:mod:`casework.feed`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import ColumnElement, bindparam, select, true
from sqlalchemy.orm import Session

from casework import workflow as wf
from casework.db import Database
from casework.deadlines import CaseStandards, Clock, Judgement
from casework.feed import next_event_id
from casework.models import Case, Event, User

CST = timezone(timedelta(hours=8))
DUPLICATE_RADIUS_M = 50.0
DUPLICATE_WINDOW = timedelta(hours=24)
KINDS = ("component", "event")


# Core statements with parameters supplied at execution: compiled once and cached, unlike ORM-level
# ``insert(Model).values(**row)``, whose per-call coercion dominated a request's CPU time.
_CASES, _EVENTS = Case.__table__, Event.__table__
_INSERT_CASE = _CASES.insert().returning(_CASES.c.id)  # type: ignore[attr-defined]
_INSERT_EVENT = _EVENTS.insert()  # type: ignore[attr-defined]
_UPDATE_CASE = _CASES.update().where(  # type: ignore[attr-defined]
    _CASES.c.id == bindparam("_id"), _CASES.c.version == bindparam("_version"))


def now_cst() -> datetime:
    return datetime.now(CST).replace(tzinfo=None)


class ServiceError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, code: str | None = None, **detail: Any) -> None:
        super().__init__(message)
        if code:
            self.code = code
        self.detail = detail


class NotFound(ServiceError):
    status, code = 404, "not_found"


class Forbidden(ServiceError):
    status, code = 403, "forbidden"


class Conflict(ServiceError):
    status, code = 409, "conflict"


class Invalid(ServiceError):
    status, code = 422, "invalid"


class PreconditionRequired(ServiceError):
    status, code = 428, "version_required"


@dataclass(frozen=True)
class Actor:
    """Who is acting: a logged-in user, or an Open311 client (role ``public``)."""

    username: str
    role: str
    district_code: str | None = None
    department_code: str | None = None
    grid_codes: tuple[str, ...] = ()
    source: str | None = None  # Open311 clients: public | hotline | video | leader


@dataclass
class ReportInput:
    kind: str
    subclass_code: str
    description: str = ""
    address: str = ""
    lat: float | None = None
    lon: float | None = None
    grid_code: str | None = None
    district_code: str | None = None
    source: str | None = None
    comment: str = ""
    attachments: list[str] = field(default_factory=list)
    external_ref: str | None = None


@dataclass
class TransitionInput:
    action: str
    expected_version: int | None
    comment: str = ""
    attachments: list[str] = field(default_factory=list)
    department_code: str | None = None  # dispatch: overrides the handbook's department
    hours: float | None = None  # request/approve extension
    supervisor: str | None = None  # send_verify: a named supervisor instead of the grid's


def scope_clause(actor: Actor) -> ColumnElement[bool]:
    """Which cases ``actor`` may see: a district dispatcher its district, a department what was sent to it."""
    if actor.role == wf.Role.dispatcher and actor.district_code:
        return Case.district_code == actor.district_code
    if actor.role == wf.Role.department:
        return Case.department_code == (actor.department_code or "")
    return true()


def can_see(actor: Actor, case: Case) -> bool:
    if actor.role == wf.Role.dispatcher and actor.district_code:
        return case.district_code == actor.district_code
    if actor.role == wf.Role.department:
        return case.department_code is not None and case.department_code == actor.department_code
    return True


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean Earth radius): plenty for a 50 m duplicate radius."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371008.8 * math.asin(min(1.0, math.sqrt(a)))


class CaseService:
    def __init__(self, db: Database, standards: CaseStandards, now: Callable[[], datetime] = now_cst) -> None:
        self.db, self.standards, self.now = db, standards, now

    # --- reading ----------------------------------------------------------------------------------------------
    def get_case(self, session: Session, actor: Actor, case_id: int) -> Case:
        case = session.get(Case, case_id)
        if case is None or not can_see(actor, case):
            raise NotFound(f"case {case_id} does not exist or is outside your scope")
        return case

    def events_of(self, session: Session, case_id: int) -> list[Any]:
        return list(session.execute(select(Event.__table__).where(Event.case_id == case_id)  # type: ignore[arg-type]
                                    .order_by(Event.id)))

    def duplicates_of(self, session: Session, case: Case) -> list[dict[str, Any]]:
        """Open cases of the same subclass within 50 m and 24 h of ``case`` (suggestions, not decisions)."""
        if case.lat is None or case.lon is None:
            return []
        dlat = DUPLICATE_RADIUS_M / 111_000 * 1.5
        dlon = dlat / max(0.05, math.cos(math.radians(case.lat)))
        stmt = select(Case).where(
            Case.subclass_code == case.subclass_code, Case.kind == case.kind, Case.id != case.id,
            Case.reported_at >= case.reported_at - DUPLICATE_WINDOW,
            Case.reported_at <= case.reported_at + DUPLICATE_WINDOW,
            Case.lat.between(case.lat - dlat, case.lat + dlat), Case.lon.between(case.lon - dlon, case.lon + dlon),
            Case.status.not_in([wf.State.rejected, wf.State.voided]),
        ).order_by(Case.reported_at).limit(20)
        found = []
        for other in session.execute(stmt).scalars():
            assert other.lat is not None and other.lon is not None
            d = distance_m(case.lat, case.lon, other.lat, other.lon)
            if d <= DUPLICATE_RADIUS_M:
                found.append({"case_id": other.id, "distance_m": round(d, 1), "status": other.status,
                              "reported_at": other.reported_at.isoformat()})
        return found

    # --- reporting --------------------------------------------------------------------------------------------
    def _validate_report(self, actor: Actor, data: ReportInput) -> tuple[str, str | None]:
        if data.kind not in KINDS:
            raise Invalid(f"kind {data.kind!r}: expected one of {', '.join(KINDS)}", field="kind")
        if self.standards.catalogue.get(data.subclass_code, data.kind) is None:
            raise Invalid(f"subclass {data.subclass_code!r} ({data.kind}) is not in the {self.standards.city.edition}"
                          " catalogue", field="subclass_code")
        if actor.role == wf.Role.supervisor:
            source = "supervisor"
        elif actor.role == wf.Role.public:
            source = actor.source or "public"
        else:
            source = data.source or "hotline"
        if source not in wf.SOURCES:
            raise Invalid(f"source {source!r}: expected one of {', '.join(wf.SOURCES)}", field="source")
        if (data.lat is None) != (data.lon is None):
            raise Invalid("lat and lon go together: give both or neither", field="lat")
        if data.lat is not None and data.lon is not None and not (-90 <= data.lat <= 90 and -180 <= data.lon <= 180):
            raise Invalid(f"({data.lat}, {data.lon}) is not a WGS84 position", field="lat")
        district = data.district_code
        if data.grid_code:
            if not (data.grid_code.isdigit() and len(data.grid_code) in (14, 15)):
                raise Invalid(f"grid_code {data.grid_code!r}: expected 14 or 15 digits (GB/T 30428.1)",
                              field="grid_code")
            from_grid = data.grid_code[:6]
            if district and district != from_grid:
                raise Invalid(f"grid {data.grid_code} lies in district {from_grid}, not {district}",
                              field="district_code")
            district = from_grid
        if district is not None and self.standards.areas.get(district) is None:
            raise Invalid(f"district_code {district!r} is not a district of {self.standards.city.name}",
                          field="district_code")
        return source, district

    def report(self, actor: Actor, data: ReportInput) -> tuple[Case, list[dict[str, Any]]]:
        transition = wf.transition_for(None, wf.Action.report, actor.role)
        source, district = self._validate_report(actor, data)
        at = self.now()
        assert transition.clock.step is not None
        clock = self.standards.start_clock(data.subclass_code, data.kind, transition.clock.step, at)
        with self.db.writing() as s:
            values = dict(
                version=1, status=transition.target.value, kind=data.kind, subclass_code=data.subclass_code,
                edition=self.standards.city.edition, source=source, description=data.description,
                address=data.address, lat=data.lat, lon=data.lon, grid_code=data.grid_code,
                district_code=district, department_code=None,
                supervisor=actor.username if actor.role == wf.Role.supervisor else None,
                reporter=actor.username, reported_at=at, updated_at=at, closed_at=None,
                pending=None, external_ref=data.external_ref, **_clock_values(clock),
            )
            case_id = s.execute(_INSERT_CASE, values).scalar_one()
            case = Case(id=case_id, **values)
            self._append(s, case, transition, actor, at, data.comment, data.attachments,
                         Judgement(), clock, {})
        with self.db.reading() as s:  # after commit: never hold the feed lock for a read
            duplicates = self.duplicates_of(s, case)
        return case, duplicates

    # --- transitions ------------------------------------------------------------------------------------------
    def transition(self, actor: Actor, case_id: int, data: TransitionInput) -> tuple[Case, Event]:
        if data.expected_version is None:
            raise PreconditionRequired("a transition needs the expected case version (If-Match or "
                                       "expected_version) to guard against concurrent changes")
        at = self.now()
        with self.db.writing() as s:
            case = self.get_case(s, actor, case_id)
            if case.version != data.expected_version:
                raise Conflict(f"case {case_id} is at version {case.version}, not {data.expected_version}: "
                               "reload it and retry", code="stale_version", current_version=case.version)
            try:
                t = wf.transition_for(case.status, data.action, actor.role)
            except wf.WorkflowError as exc:
                refused = Forbidden if exc.code == "role_not_allowed" else Conflict
                raise refused(str(exc), code=exc.code, state=exc.state, action=exc.action) from None
            changes, details = self._effects(s, actor, case, t, data)
            judged = Judgement()
            if t.completes and case.clock_step == t.completes:
                judged = self.standards.judge(case.clock_started_at, case.clock_deadline_at, case.clock_hours,
                                              case.clock_basis, at)
            if t.clock.mode == "start":
                assert t.clock.step is not None
                clock: Clock | None = self.standards.start_clock(case.subclass_code, case.kind, t.clock.step, at)
                changes.update(_clock_values(clock))
            elif t.clock.mode == "stop":
                clock = None
                changes.update(_clock_values(None))
            else:
                clock = _current_clock(case, changes)
            changes.update(status=t.target.value, version=case.version + 1, updated_at=at)
            if t.target in wf.TERMINAL:
                changes["closed_at"] = at
            result = s.execute(_UPDATE_CASE, {**changes, "_id": case.id, "_version": data.expected_version})
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise Conflict(f"case {case_id} changed concurrently: reload it and retry", code="stale_version")
            for key, value in changes.items():
                setattr(case, key, value)
            event = self._append(s, case, t, actor, at, data.comment, data.attachments, judged, clock, details)
        return case, event

    def _effects(self, s: Session, actor: Actor, case: Case, t: wf.Transition,
                 data: TransitionInput) -> tuple[dict[str, Any], dict[str, Any]]:
        """Case changes and event details particular to an action (department, supervisor, extension)."""
        changes: dict[str, Any] = {}
        details: dict[str, Any] = {}
        a = t.action
        if actor.role == wf.Role.supervisor and case.supervisor and case.supervisor != actor.username:
            raise Forbidden(f"case {case.id} is assigned to supervisor {case.supervisor}", code="not_assigned")
        if a == wf.Action.send_verify:
            changes["supervisor"] = data.supervisor or self._supervisor_for(s, case)
            details["supervisor"] = changes["supervisor"]
        elif a == wf.Action.dispatch:
            code = data.department_code
            if not code:
                code = self.standards.default_department(case.subclass_code, case.kind, case.district_code)
            if not code:
                raise Invalid(f"no department for subclass {case.subclass_code} in the handbook: name one",
                              field="department_code")
            if self.standards.department(code) is None:
                raise Invalid(f"department {code!r} is not in the city's department list", field="department_code")
            changes["department_code"] = code
            details["department_code"] = code
        elif a == wf.Action.feedback:
            if case.supervisor is None:
                changes["supervisor"] = self._supervisor_for(s, case)
        elif a == wf.Action.approve_return:
            details["returned_by"] = case.department_code
            changes["department_code"] = None
        elif a == wf.Action.request_extension:
            if data.hours is None or not 0 < data.hours <= 24 * 365:
                raise Invalid("request_extension needs hours > 0 (at most a year)", field="hours")
            changes["pending"] = {"type": "extension", "hours": data.hours, "by": actor.username}
            details["hours"] = data.hours
        elif a == wf.Action.approve_extension:
            asked = (case.pending or {}).get("hours")
            hours = data.hours if data.hours is not None else asked
            if hours is None or not 0 < float(hours) <= 24 * 365:
                raise Invalid("approve_extension needs hours > 0", field="hours")
            hours = float(hours)
            details.update(hours=hours, requested_hours=asked, deadline_before=_iso(case.clock_deadline_at))
            if case.clock_deadline_at is not None and case.clock_basis is not None:
                changes["clock_deadline_at"] = self.standards.extend(case.clock_deadline_at, hours, case.clock_basis)
                changes["clock_hours"] = (case.clock_hours or 0) + hours
                details["deadline_after"] = changes["clock_deadline_at"].isoformat()
            changes["pending"] = None
        elif a in (wf.Action.request_return, wf.Action.request_shelve, wf.Action.request_void):
            changes["pending"] = {"type": a.value.removeprefix("request_"), "by": actor.username}
        elif a.value.startswith(("approve_", "deny_")):
            changes["pending"] = None
        return changes, details

    def _supervisor_for(self, s: Session, case: Case) -> str | None:
        """The supervisor responsible for the case's grid, else one of its district, else none (any may act)."""
        users = list(s.execute(select(User).where(User.role == wf.Role.supervisor, User.active.is_(True))
                               .order_by(User.id)).scalars())
        for u in users:
            if case.grid_code and case.grid_code in (u.grid_codes or []):
                return u.username
        for u in users:
            if case.district_code and u.district_code == case.district_code:
                return u.username
        return None

    def _append(self, s: Session, case: Case, t: wf.Transition, actor: Actor, at: datetime, comment: str,
                attachments: list[str], judged: Judgement, clock: Clock | None, details: dict[str, Any]) -> Event:
        if not actor.username:
            raise Forbidden("every event needs an actor")
        started = (clock is not None and t.clock.mode == "start") or t.action == wf.Action.approve_extension
        values = dict(
            case_id=case.id, case_version=case.version, action=t.action.value,
            from_state=t.source.value if t.source else None, to_state=t.target.value,
            actor=actor.username, role=actor.role, at=at, comment=comment or "", attachments=list(attachments),
            step=t.completes, step_started_at=judged.started_at, deadline_at=judged.deadline_at,
            limit_hours=judged.hours, limit_basis=judged.basis, met=judged.met,
            overdue_multiple=judged.overdue_multiple,
            next_step=clock.step if clock is not None and started else None,
            next_deadline_at=clock.deadline_at if clock is not None and started else None,
            kind=case.kind, subclass_code=case.subclass_code, edition=case.edition, source=case.source,
            grid_code=case.grid_code, district_code=case.district_code, department_code=case.department_code,
            data=details,
        )
        values["id"] = next_event_id(s)  # last: takes the feed lock until commit
        s.execute(_INSERT_EVENT, values)
        return Event(**values)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _clock_values(clock: Clock | None) -> dict[str, Any]:
    if clock is None:
        return dict(clock_step=None, clock_started_at=None, clock_deadline_at=None, clock_hours=None,
                    clock_basis=None)
    return dict(clock_step=clock.step, clock_started_at=clock.started_at, clock_deadline_at=clock.deadline_at,
                clock_hours=clock.hours, clock_basis=clock.basis)


def _current_clock(case: Case, changes: dict[str, Any]) -> Clock | None:
    step = changes.get("clock_step", case.clock_step)
    started = changes.get("clock_started_at", case.clock_started_at)
    if step is None or started is None:
        return None
    return Clock(step, started,
                 changes.get("clock_deadline_at", case.clock_deadline_at),
                 changes.get("clock_hours", case.clock_hours), changes.get("clock_basis", case.clock_basis))


def overdue(case: Case, at: datetime) -> bool:
    return case.clock_deadline_at is not None and at > case.clock_deadline_at


def visible_cases(actor: Actor) -> Any:
    return select(Case).where(scope_clause(actor))


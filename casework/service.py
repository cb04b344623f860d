"""What the API does with a case: report it, move it through the loop, read it within the caller's scope.

Routers stay thin; everything that touches the loop, deadlines, scope or the event log is here. One writing
transaction per call: read the case, check the expected version, apply the transition from
:mod:`casework.workflow`, update the case only if its version is still the one read (optimistic lock), then
append the event with the next feed cursor (:mod:`casework.feed`).

Cases and events travel as plain mappings (column name → value) read and written with precompiled Core
statements on a :class:`sqlalchemy.Connection`: the ORM's unit of work and identity map cost more CPU per
request than the database work itself, and nothing here needs them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import ColumnElement, Connection, RowMapping, and_, bindparam, false, func, or_, select, true

from casework import workflow as wf
from casework.attachments import check_references
from casework.db import Database
from casework.deadlines import CaseStandards, Clock, Judgement
from casework.errors import (  # noqa: F401 (ServiceError: the service's callers import the errors from here too)
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    PreconditionRequired,
    ServiceError,
)
from casework.feed import next_event_id
from casework.grids import GridLocator, Placement
from casework.models import AttachmentUse, Case, Event, User

CaseRow = Mapping[str, Any] | RowMapping  # a ``cases`` row by column name

CST = timezone(timedelta(hours=8))
DUPLICATE_RADIUS_M = 50.0
DUPLICATE_WINDOW = timedelta(hours=24)
KINDS = ("component", "event")


# Core statements with parameters supplied at execution: compiled once and cached, unlike ORM-level
# ``insert(Model).values(**row)``, whose per-call coercion dominated a request's CPU time.
CASES, EVENTS, USERS = Case.__table__, Event.__table__, User.__table__
USES = AttachmentUse.__table__
_C = CASES.c
_INSERT_USES = USES.insert()  # type: ignore[attr-defined]
_INSERT_CASE = CASES.insert().returning(_C.id)  # type: ignore[attr-defined]
_INSERT_EVENT = EVENTS.insert()  # type: ignore[attr-defined]
_UPDATE_CASE = CASES.update().where(  # type: ignore[attr-defined]
    _C.id == bindparam("_id"), _C.version == bindparam("_version"))
_SELECT_CASE = select(CASES).where(_C.id == bindparam("case_id"))  # type: ignore[arg-type]
_EVENTS_OF = (select(EVENTS).where(EVENTS.c.case_id == bindparam("case_id"))  # type: ignore[arg-type]
              .order_by(EVENTS.c.id))
_DUPLICATES = select(_C.id, _C.lat, _C.lon, _C.status, _C.reported_at).where(
    _C.subclass_code == bindparam("subclass_code"), _C.kind == bindparam("kind"), _C.id != bindparam("id"),
    _C.reported_at >= bindparam("reported_from"), _C.reported_at <= bindparam("reported_to"),
    _C.lat.between(bindparam("lat_min"), bindparam("lat_max")),
    _C.lon.between(bindparam("lon_min"), bindparam("lon_max")),
    and_(_C.status != wf.State.rejected.value, _C.status != wf.State.voided.value),
).order_by(_C.reported_at).limit(20)
_SUPERVISORS = (select(USERS.c.username, USERS.c.district_code, USERS.c.grid_codes)  # type: ignore[attr-defined]
                .where(USERS.c.role == wf.Role.supervisor.value, USERS.c.active.is_(True))  # type: ignore[attr-defined]
                .order_by(USERS.c.id))  # type: ignore[attr-defined]


def now_cst() -> datetime:
    return datetime.now(CST).replace(tzinfo=None)


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


@dataclass
class CaseFilter:
    """What a search asks for (every field optional; all given ones must hold)."""

    status: list[str] | None = None
    kind: str | None = None
    subclass_code: str | None = None
    grid_code: str | None = None
    area_code: str | None = None  # district/street/community code: a grid-code prefix
    district_code: str | None = None
    department_code: str | None = None
    source: str | None = None
    reported_from: datetime | None = None
    reported_to: datetime | None = None
    overdue: bool | None = None


def scope_clause(actor: Actor) -> ColumnElement[bool]:
    """Which cases ``actor`` may see: a district dispatcher its district, a department what was sent to it, a
    district's 监督员 its district and the cases it reported or was assigned; a survey team none (it does no case
    work); city-wide roles everything."""
    if actor.role == wf.Role.survey_team:
        return false()
    if actor.role == wf.Role.dispatcher and actor.district_code:
        return _C.district_code == actor.district_code
    if actor.role == wf.Role.department:
        return _C.department_code == (actor.department_code or "")
    if actor.role == wf.Role.supervisor and actor.district_code:
        return or_(_C.district_code == actor.district_code, _C.supervisor == actor.username,
                   _C.reporter == actor.username)
    return true()


def can_see(actor: Actor, case: CaseRow) -> bool:
    """The same rule as :func:`scope_clause`, for one case in hand."""
    if actor.role == wf.Role.survey_team:
        return False
    if actor.role == wf.Role.dispatcher and actor.district_code:
        return bool(case["district_code"] == actor.district_code)
    if actor.role == wf.Role.department:
        return case["department_code"] is not None and case["department_code"] == actor.department_code
    if actor.role == wf.Role.supervisor and actor.district_code:
        return actor.username in (case["supervisor"], case["reporter"]) or case["district_code"] == actor.district_code
    return True


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean Earth radius): plenty for a 50 m duplicate radius."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371008.8 * math.asin(min(1.0, math.sqrt(a)))


class CaseService:
    def __init__(self, db: Database, standards: CaseStandards, now: Callable[[], datetime] = now_cst,
                 grids: GridLocator | None = None) -> None:
        self.db, self.standards, self.now, self.grids = db, standards, now, grids

    # --- reading ----------------------------------------------------------------------------------------------
    def find_case(self, conn: Connection, case_id: int) -> CaseRow | None:
        row = conn.execute(_SELECT_CASE, {"case_id": case_id}).first()
        return None if row is None else row._mapping

    def get_case(self, conn: Connection, actor: Actor, case_id: int) -> CaseRow:
        case = self.find_case(conn, case_id)
        if case is None or not can_see(actor, case):
            raise NotFound(f"case {case_id} does not exist or is outside your scope")
        return case

    def tasks(self, actor: Actor, *, overdue_only: bool = False,
              limit: int = 100) -> list[tuple[CaseRow, list[wf.Action]]]:
        """What waits for ``actor``: cases in a state where its role may act, within its scope (a 监督员: its own
        or unassigned ones), most urgent deadline first (no deadline last), each with the actions it may take."""
        by_state: dict[wf.State, list[wf.Action]] = {}
        for t in wf.actions_for_role(actor.role):
            assert t.source is not None
            by_state.setdefault(t.source, []).append(t.action)
        if not by_state:
            return []
        c = CASES.c
        conds = [c.status.in_([s.value for s in by_state]), scope_clause(actor)]
        if actor.role == wf.Role.supervisor:  # the grid's supervisor, or anyone's when unassigned
            conds.append((c.supervisor == actor.username) | c.supervisor.is_(None))
        if overdue_only:
            conds.append(c.clock_deadline_at < self.now())
        stmt = (select(CASES).where(*conds)  # type: ignore[arg-type]
                .order_by(c.clock_deadline_at.is_(None), c.clock_deadline_at, c.id).limit(limit))
        with self.db.read() as conn:
            return [(row._mapping, by_state[wf.State(row.status)]) for row in conn.execute(stmt)]

    def search(self, actor: Actor, wanted: CaseFilter, *, limit: int = 50,
               offset: int = 0) -> tuple[int, list[CaseRow]]:
        """Cases within ``actor``'s scope matching ``wanted``, newest first: (how many match, this page)."""
        c = CASES.c
        conds: list[Any] = [scope_clause(actor)]
        if wanted.status:
            conds.append(c.status.in_(wanted.status))
        for column, value in ((c.kind, wanted.kind), (c.subclass_code, wanted.subclass_code),
                              (c.grid_code, wanted.grid_code), (c.district_code, wanted.district_code),
                              (c.department_code, wanted.department_code), (c.source, wanted.source)):
            if value is not None:
                conds.append(column == value)
        if wanted.area_code:
            conds.append(c.grid_code.like(f"{wanted.area_code}%"))
        start, end = wanted.reported_from, wanted.reported_to
        if start and end and end < start:
            raise Invalid("reported_to is before reported_from", field="reported_to")
        if start:
            conds.append(c.reported_at >= start)
        if end:
            conds.append(c.reported_at < end)
        now = self.now()
        if wanted.overdue is True:
            conds.append(c.clock_deadline_at < now)
        elif wanted.overdue is False:
            conds.append((c.clock_deadline_at.is_(None)) | (c.clock_deadline_at >= now))
        with self.db.read() as conn:
            total = conn.execute(select(func.count()).select_from(CASES).where(*conds)).scalar_one()
            rows = conn.execute(select(CASES).where(*conds).order_by(c.id.desc())  # type: ignore[arg-type]
                                .limit(limit).offset(offset))
            return int(total), [row._mapping for row in rows]

    def may_download(self, conn: Connection, actor: Actor, digest: str, uploaded_by: str) -> bool:
        """An attachment is for its uploader and for whoever may see a case one of whose events references it."""
        if uploaded_by == actor.username:
            return True
        seen = select(USES.c.case_id).join(CASES, CASES.c.id == USES.c.case_id).where(  # type: ignore[attr-defined]
            USES.c.sha256 == digest, scope_clause(actor)).limit(1)  # type: ignore[attr-defined]
        return conn.execute(seen).first() is not None

    def events_of(self, conn: Connection, case_id: int) -> list[dict[str, Any]]:
        """The case's events, oldest first, as :func:`casework.feed.event_to_dict` gives them."""
        return [row._asdict() for row in conn.execute(_EVENTS_OF, {"case_id": case_id})]

    def duplicates_of(self, conn: Connection, case: CaseRow) -> list[dict[str, Any]]:
        """Open cases of the same subclass within 50 m and 24 h of ``case`` (suggestions, not decisions)."""
        lat, lon = case["lat"], case["lon"]
        if lat is None or lon is None:
            return []
        dlat = DUPLICATE_RADIUS_M / 111_000 * 1.5
        dlon = dlat / max(0.05, math.cos(math.radians(lat)))
        reported = case["reported_at"]
        rows = conn.execute(_DUPLICATES, {
            "subclass_code": case["subclass_code"], "kind": case["kind"], "id": case["id"],
            "reported_from": reported - DUPLICATE_WINDOW, "reported_to": reported + DUPLICATE_WINDOW,
            "lat_min": lat - dlat, "lat_max": lat + dlat, "lon_min": lon - dlon, "lon_max": lon + dlon})
        found = []
        for other in rows:
            d = distance_m(lat, lon, other.lat, other.lon)
            if d <= DUPLICATE_RADIUS_M:
                found.append({"case_id": other.id, "distance_m": round(d, 1), "status": other.status,
                              "reported_at": other.reported_at.isoformat()})
        return found

    # --- reporting --------------------------------------------------------------------------------------------
    def _validate_report(self, actor: Actor, data: ReportInput) -> tuple[str, str | None, Placement | None]:
        if data.kind not in KINDS:
            raise Invalid(f"kind: expected one of {', '.join(KINDS)}", field="kind")
        if self.standards.catalogue.get(data.subclass_code, data.kind) is None:
            raise Invalid(f"subclass_code: not a {data.kind} subclass of the {self.standards.city.edition}"
                          " catalogue", field="subclass_code")
        if actor.role == wf.Role.supervisor:
            source = "supervisor"
        elif actor.role == wf.Role.public:
            source = actor.source or "public"
        else:
            source = data.source or "hotline"
            if source == "supervisor":  # a 监督员's report is verified on the spot: only a 监督员 files one
                raise Forbidden("only a 监督员 (supervisor) files a report with source supervisor",
                                code="source_not_allowed", field="source")
        if source not in wf.SOURCES:
            raise Invalid(f"source: expected one of {', '.join(wf.SOURCES)}", field="source")
        if (data.lat is None) != (data.lon is None):
            raise Invalid("lat and lon go together: give both or neither", field="lat")
        if data.lat is not None and data.lon is not None and not (-90 <= data.lat <= 90 and -180 <= data.lon <= 180):
            raise Invalid("lat/lon: not a WGS84 position", field="lat")
        district = data.district_code
        if data.grid_code:
            if not (data.grid_code.isdigit() and len(data.grid_code) in (14, 15)):
                raise Invalid("grid_code: expected 14 or 15 digits (GB/T 30428.1)",
                              field="grid_code")
            from_grid = data.grid_code[:6]
            if district and district != from_grid:
                raise Invalid(f"grid {data.grid_code} lies in district {from_grid}, not {district}",
                              field="district_code")
            district = from_grid
        placed = None
        if not data.grid_code and data.lat is not None and data.lon is not None and self.grids is not None:
            placed = self.grids.locate(data.lon, data.lat)
            if placed is not None and district and district != placed.district_code:
                raise Invalid(f"the position lies in district {placed.district_code}, not {district}",
                              field="district_code")
            if placed is not None:
                district = placed.district_code
        if district is not None and self.standards.areas.get(district) is None:
            raise Invalid(f"district_code: not a district of {self.standards.city.name}",
                          field="district_code")
        return source, district, placed

    def report(self, actor: Actor, data: ReportInput) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        transition = wf.transition_for(None, wf.Action.report, actor.role)
        source, district, placed = self._validate_report(actor, data)
        grid_code = placed.grid_code if placed is not None else data.grid_code
        at = self.now()
        assert transition.clock.step is not None
        clock = self.standards.start_clock(data.subclass_code, data.kind, transition.clock.step, at)
        with self.db.write() as s:
            _check_attachments(s, data.attachments)
            case: dict[str, Any] = dict(
                version=1, status=transition.target.value, kind=data.kind, subclass_code=data.subclass_code,
                edition=self.standards.city.edition, source=source, description=data.description,
                address=data.address, lat=data.lat, lon=data.lon, grid_code=grid_code,
                district_code=district, department_code=None,
                supervisor=actor.username if actor.role == wf.Role.supervisor else None,
                reporter=actor.username, reported_at=at, updated_at=at, closed_at=None,
                pending=None, external_ref=data.external_ref, **_clock_values(clock),
            )
            case["id"] = s.execute(_INSERT_CASE, case).scalar_one()
            # what was reported travels in the report event too: the change feed is the warehouse's only view
            reported: dict[str, Any] = {"description": data.description, "address": data.address, "lat": data.lat,
                                        "lon": data.lon}
            if placed is not None:  # where intake placed it, and how (the warehouse's area_method)
                reported.update(area_method="point_in_grid", community_code=placed.community_code,
                                street_code=placed.street_code)
            self._append(s, case, transition, actor, at, data.comment, data.attachments,
                         Judgement(), clock, {k: v for k, v in reported.items() if v not in (None, "")})
        with self.db.read() as conn:  # after commit: never hold the feed lock for a read
            duplicates = self.duplicates_of(conn, case)
        return case, duplicates

    # --- transitions ------------------------------------------------------------------------------------------
    def transition(self, actor: Actor, case_id: int,
                   data: TransitionInput) -> tuple[dict[str, Any], dict[str, Any]]:
        if data.expected_version is None:
            raise PreconditionRequired("a transition needs the expected case version (If-Match or "
                                       "expected_version) to guard against concurrent changes")
        at = self.now()
        with self.db.write() as s:
            case = dict(self.get_case(s, actor, case_id))
            version = case["version"]
            if version != data.expected_version:
                raise Conflict(f"case {case_id} is at version {version}, not {data.expected_version}: "
                               "reload it and retry", code="stale_version", current_version=version)
            try:
                t = wf.transition_for(case["status"], data.action, actor.role)
            except wf.WorkflowError as exc:
                refused = Forbidden if exc.code == "role_not_allowed" else Conflict
                raise refused(str(exc), code=exc.code, state=exc.state, action=exc.action) from None
            _check_attachments(s, data.attachments)
            changes, details = self._effects(s, actor, case, t, data)
            judged = Judgement()
            if t.completes and case["clock_step"] == t.completes:
                judged = self.standards.judge(case["clock_started_at"], case["clock_deadline_at"],
                                              case["clock_hours"], case["clock_basis"], at)
            if t.clock.mode == "start":
                assert t.clock.step is not None
                clock: Clock | None = self.standards.start_clock(case["subclass_code"], case["kind"], t.clock.step,
                                                                 at)
                changes.update(_clock_values(clock))
            elif t.clock.mode == "stop":
                clock = None
                changes.update(_clock_values(None))
            else:
                clock = _current_clock(case, changes)
            changes.update(status=t.target.value, version=version + 1, updated_at=at)
            if t.target in wf.TERMINAL:
                changes["closed_at"] = at
            result = s.execute(_UPDATE_CASE, {**changes, "_id": case_id, "_version": data.expected_version})
            if result.rowcount != 1:
                raise Conflict(f"case {case_id} changed concurrently: reload it and retry", code="stale_version")
            case.update(changes)
            event = self._append(s, case, t, actor, at, data.comment, data.attachments, judged, clock, details)
        return case, event

    def _effects(self, s: Connection, actor: Actor, case: CaseRow, t: wf.Transition,
                 data: TransitionInput) -> tuple[dict[str, Any], dict[str, Any]]:
        """Case changes and event details particular to an action (department, supervisor, extension)."""
        changes: dict[str, Any] = {}
        details: dict[str, Any] = {}
        a = t.action
        if actor.role == wf.Role.supervisor and case["supervisor"] and case["supervisor"] != actor.username:
            raise Forbidden(f"case {case['id']} is assigned to supervisor {case['supervisor']}", code="not_assigned")
        if a == wf.Action.send_verify:
            if data.supervisor:
                self._check_supervisor(s, data.supervisor, case)
            changes["supervisor"] = data.supervisor or self._supervisor_for(s, case)
            details["supervisor"] = changes["supervisor"]
        elif a == wf.Action.dispatch:
            code = data.department_code
            if not code:
                code = self.standards.default_department(case["subclass_code"], case["kind"], case["district_code"])
            if not code:
                raise Invalid(f"no department for subclass {case['subclass_code']} in the handbook: name one",
                              field="department_code")
            department = self.standards.department(code)
            if department is None:
                raise Invalid("the department is not in the city's department list", field="department_code")
            if department.district_code is not None and department.district_code != case["district_code"]:
                # 两级指挥: a district's own department works in that district only
                raise Invalid(f"department {code} belongs to district {department.district_code}; the case lies in "
                              f"{case['district_code'] or 'no district'}", code="department_out_of_district",
                              field="department_code")
            changes["department_code"] = code
            details["department_code"] = code
        elif a == wf.Action.feedback:
            if case["supervisor"] is None:
                changes["supervisor"] = self._supervisor_for(s, case)
        elif a == wf.Action.approve_return:
            details["returned_by"] = case["department_code"]
            changes["department_code"] = None
        elif a == wf.Action.request_extension:
            if data.hours is None or not 0 < data.hours <= 24 * 365:
                raise Invalid("request_extension needs hours > 0 (at most a year)", field="hours")
            changes["pending"] = {"type": "extension", "hours": data.hours, "by": actor.username}
            details["hours"] = data.hours
        elif a == wf.Action.approve_extension:
            asked = (case["pending"] or {}).get("hours")
            hours = data.hours if data.hours is not None else asked
            if hours is None or not 0 < float(hours) <= 24 * 365:
                raise Invalid("approve_extension needs hours > 0", field="hours")
            hours = float(hours)
            deadline, basis = case["clock_deadline_at"], case["clock_basis"]
            details.update(hours=hours, requested_hours=asked, deadline_before=_iso(deadline))
            if deadline is not None and basis is not None:
                changes["clock_deadline_at"] = self.standards.extend(deadline, hours, basis)
                changes["clock_hours"] = (case["clock_hours"] or 0) + hours
                details["deadline_after"] = changes["clock_deadline_at"].isoformat()
            changes["pending"] = None
        elif a in (wf.Action.request_return, wf.Action.request_shelve, wf.Action.request_void):
            changes["pending"] = {"type": a.value.removeprefix("request_"), "by": actor.username}
        elif a.value.startswith(("approve_", "deny_")):
            changes["pending"] = None
        return changes, details

    def _check_supervisor(self, s: Connection, username: str, case: CaseRow) -> None:
        """A named 监督员 must exist, be active, hold the role and — for a case in a district — work there (or
        city-wide): otherwise nobody could ever take the case's next step."""
        row = s.execute(select(USERS.c.role, USERS.c.active, USERS.c.district_code)  # type: ignore[attr-defined]
                        .where(USERS.c.username == username)).first()  # type: ignore[attr-defined]
        district = case["district_code"]
        if (row is None or not row.active or row.role != wf.Role.supervisor
                or (district and row.district_code and row.district_code != district)):
            raise Invalid(f"the named supervisor is no active 监督员 of {district or 'the city'}",
                          code="not_a_supervisor_here", field="supervisor")

    def _supervisor_for(self, s: Connection, case: CaseRow) -> str | None:
        """The supervisor responsible for the case's grid, else one of its district, else none (any may act)."""
        users = list(s.execute(_SUPERVISORS))
        grid, district = case["grid_code"], case["district_code"]
        for u in users:
            if grid and grid in (u.grid_codes or []):
                return str(u.username)
        for u in users:
            if district and u.district_code == district:
                return str(u.username)
        return None

    def _append(self, s: Connection, case: CaseRow, t: wf.Transition, actor: Actor, at: datetime, comment: str,
                attachments: list[str], judged: Judgement, clock: Clock | None,
                details: dict[str, Any]) -> dict[str, Any]:
        if not actor.username:
            raise Forbidden("every event needs an actor")
        started = (clock is not None and t.clock.mode == "start") or t.action == wf.Action.approve_extension
        values: dict[str, Any] = dict(
            case_id=case["id"], case_version=case["version"], action=t.action.value,
            from_state=t.source.value if t.source else None, to_state=t.target.value,
            actor=actor.username, role=actor.role, at=at, comment=comment or "", attachments=list(attachments),
            step=t.completes, step_started_at=judged.started_at, deadline_at=judged.deadline_at,
            limit_hours=judged.hours, limit_basis=judged.basis, met=judged.met,
            overdue_multiple=judged.overdue_multiple,
            next_step=clock.step if clock is not None and started else None,
            next_deadline_at=clock.deadline_at if clock is not None and started else None,
            kind=case["kind"], subclass_code=case["subclass_code"], edition=case["edition"], source=case["source"],
            grid_code=case["grid_code"], district_code=case["district_code"],
            department_code=case["department_code"],
            # which 指挥手册 the deadlines came from: the warehouse's handbook_version
            data={**details, "handbook_version": self.standards.handbook.version},
        )
        values["id"] = next_event_id(s)  # last: takes the feed lock until commit
        s.execute(_INSERT_EVENT, values)
        uploads = dict.fromkeys(a.removeprefix("sha256:") for a in attachments if a.startswith("sha256:"))
        if uploads:  # who may see this case may now download these files
            s.execute(_INSERT_USES, [{"sha256": d, "event_id": values["id"], "case_id": case["id"]} for d in uploads])
        return values


def _check_attachments(conn: Connection, references: list[str]) -> None:
    if references:
        check_references(conn, references)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _clock_values(clock: Clock | None) -> dict[str, Any]:
    if clock is None:
        return dict(clock_step=None, clock_started_at=None, clock_deadline_at=None, clock_hours=None,
                    clock_basis=None)
    return dict(clock_step=clock.step, clock_started_at=clock.started_at, clock_deadline_at=clock.deadline_at,
                clock_hours=clock.hours, clock_basis=clock.basis)


def _current_clock(case: CaseRow, changes: dict[str, Any]) -> Clock | None:
    def now(key: str) -> Any:
        return changes.get(key, case[key])

    step, started = now("clock_step"), now("clock_started_at")
    if step is None or started is None:
        return None
    return Clock(step, started, now("clock_deadline_at"), now("clock_hours"), now("clock_basis"))


def overdue(case: CaseRow, at: datetime) -> bool:
    deadline = case["clock_deadline_at"]
    return deadline is not None and at > deadline


"""Cases: report (上报), search, read, and move through the loop."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query
from pydantic import AfterValidator

from casework import workflow as wf
from casework.api.deps import CurrentActor, FastJSON, Service, case_out
from casework.api.schemas import (
    CaseDetailOut,
    CaseListOut,
    ErrorOut,
    EventOut,
    ReportIn,
    ReportOut,
    TransitionIn,
    TransitionOut,
)
from casework.api.strict import StrictJSONRoute
from casework.feed import event_to_dict
from casework.service import CaseFilter, Invalid, ReportInput, TransitionInput

router = APIRouter(tags=["cases"], route_class=StrictJSONRoute)
CaseId = Annotated[int, Path(ge=1, le=2**31 - 1)]
MAX_VERSION = 2**31 - 1
CST = timezone(timedelta(hours=8))
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (401, 403, 404, 409, 422, 428)
}


def to_cst(value: datetime | None) -> datetime | None:
    """ISO instants with an offset become naive China Standard Time; naive ones are taken as CST.
    An instant that has no CST date (before year 1 or after 9999 there) is a ValueError: a 422 naming the field."""
    if value is None or value.tzinfo is None:
        return value
    try:
        return value.astimezone(CST).replace(tzinfo=None)
    except OverflowError:
        raise ValueError("the instant lies outside the years 1-9999 in China Standard Time") from None


InstantCST = Annotated[datetime, AfterValidator(to_cst)]  # query parameters: validated and converted at the door


@router.post("/cases", status_code=201, response_model=ReportOut, responses=ERRORS,
             summary="上报: report a case (supervisor, or operator for hotline/video/leader/public sources)")
def report_case(body: ReportIn, actor: CurrentActor, service: Service) -> Any:
    case, duplicates = service.report(actor, ReportInput(**body.model_dump()))
    return FastJSON({"case": case_out(case, service), "duplicate_candidates": duplicates}, status_code=201)


@router.get("/cases", response_model=CaseListOut, responses=ERRORS, summary="Search cases within your scope")
def search_cases(
    actor: CurrentActor, service: Service,
    status: Annotated[list[wf.State] | None, Query()] = None,
    kind: Annotated[str | None, Query(pattern="^(component|event)$")] = None,
    subclass_code: Annotated[str | None, Query(max_length=16)] = None,
    grid_code: Annotated[str | None, Query(max_length=20)] = None,
    area_code: Annotated[str | None, Query(pattern=r"^\d{6,15}$",
                                           description="district/street/community code: grid-code prefix")] = None,
    district_code: Annotated[str | None, Query(max_length=12)] = None,
    department_code: Annotated[str | None, Query(max_length=64)] = None,
    source: Annotated[str | None, Query(max_length=16)] = None,
    reported_from: InstantCST | None = None,
    reported_to: InstantCST | None = None,
    overdue: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> Any:
    found = CaseFilter([s.value for s in status] if status else None, kind, subclass_code, grid_code, area_code,
                       district_code, department_code, source, reported_from, reported_to, overdue)
    now = service.now()
    total, rows = service.search(actor, found, limit=limit, offset=offset)
    return FastJSON({"total": total, "items": [case_out(row, service, now) for row in rows]})


@router.get("/cases/{case_id}", response_model=CaseDetailOut, responses=ERRORS,
            summary="One case with its events and duplicate candidates; ETag carries the version")
def get_case(case_id: CaseId, actor: CurrentActor, service: Service) -> Any:
    with service.db.read() as conn:
        case = service.get_case(conn, actor, case_id)
        events = service.events_of(conn, case_id)
        duplicates = service.duplicates_of(conn, case)
    body = {**case_out(case, service), "events": events, "duplicate_candidates": duplicates}
    return FastJSON(body, headers={"ETag": f'"{case["version"]}"'})


@router.get("/cases/{case_id}/events", response_model=list[EventOut], responses=ERRORS,
            summary="The case's event log, oldest first")
def case_events(case_id: CaseId, actor: CurrentActor, service: Service) -> Any:
    with service.db.read() as conn:
        service.get_case(conn, actor, case_id)
        return FastJSON(service.events_of(conn, case_id))


def _version_from(if_match: str | None) -> int | None:
    if not if_match:
        return None
    raw = if_match.strip().removeprefix("W/").strip('"')
    if not (raw.isascii() and raw.isdigit() and 0 < int(raw) <= MAX_VERSION):
        raise Invalid("If-Match: expected the case's ETag such as \"3\"", field="If-Match")
    return int(raw)


@router.post("/cases/{case_id}/transitions", response_model=TransitionOut, responses=ERRORS,
             summary="Take an action on a case (409: illegal in its state or stale version)")
def transition_case(case_id: CaseId, body: TransitionIn, actor: CurrentActor, service: Service,
                    if_match: Annotated[str | None, Header(max_length=64)] = None) -> Any:
    expected = body.expected_version if body.expected_version is not None else _version_from(if_match)
    data = TransitionInput(action=body.action.value, expected_version=expected, comment=body.comment,
                           attachments=body.attachments, department_code=body.department_code, hours=body.hours,
                           supervisor=body.supervisor)
    case, event = service.transition(actor, case_id, data)
    return FastJSON({"case": case_out(case, service), "event": event_to_dict(event)},
                    headers={"ETag": f'"{case["version"]}"'})

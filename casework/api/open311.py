"""Open311 GeoReport v2 intake, so a hotline system or a public app can submit and follow reports.

``service_code`` is ``<kind>:<subclass code>`` (``event:0102``) because component and event subclass codes
overlap in the national catalogues; a bare code is accepted when only one kind has it. Submitting needs an
``api_key`` (``POST /api-clients``); reading is public and shows no reporter or contact data. A new request
enters the loop as a ``reported`` case with the client's source, and the response lists candidate duplicates
(same subclass within 50 m and 24 h) as an extension field.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select

from casework import workflow as wf
from casework.accounts import client_actor
from casework.api.deps import Service
from casework.api.schemas import DuplicateOut
from casework.models import Case
from casework.service import CaseService, ReportInput, ServiceError

router = APIRouter(prefix="/open311/v2", tags=["open311"])
CST = timezone(timedelta(hours=8))


class Open311Error(BaseModel):
    code: int
    description: str


class ServiceOut(BaseModel):
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: str
    keywords: str
    group: str


class RequestCreatedOut(BaseModel):
    service_request_id: str
    service_notice: str
    account_id: str | None
    duplicate_candidates: list[DuplicateOut]


class RequestOut(BaseModel):
    service_request_id: str
    status: str
    status_notes: str
    service_name: str
    service_code: str
    description: str
    agency_responsible: str
    service_notice: str
    requested_datetime: str
    updated_datetime: str
    expected_datetime: str | None
    address: str
    lat: float | None
    long: float | None
    media_url: str


ERRORS: dict[int | str, dict[str, Any]] = {c: {"model": list[Open311Error]} for c in (400, 403, 404)}


class Open311Failure(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status, self.description = status, description


def open311_error_response(exc: Open311Failure) -> JSONResponse:
    return JSONResponse([{"code": exc.status, "description": exc.description}], status_code=exc.status)


def _w3c(value: datetime) -> str:
    return value.replace(tzinfo=CST).isoformat()


def _resolve(service: CaseService, code: str) -> tuple[str, str]:
    kind, _, sub = code.rpartition(":")
    if kind:
        if kind not in ("component", "event") or service.standards.catalogue.get(sub, kind) is None:
            raise Open311Failure(404, f"service_code {code!r} is not offered")
        return kind, sub
    kinds = [k for k in ("component", "event") if service.standards.catalogue.get(code, k) is not None]
    if not kinds:
        raise Open311Failure(404, f"service_code {code!r} is not offered")
    if len(kinds) > 1:
        raise Open311Failure(400, f"service_code {code!r} is both a component and an event subclass: "
                                  f"send component:{code} or event:{code}")
    return kinds[0], code


@router.get("/services.json", response_model=list[ServiceOut], summary="Service list: the catalogue's subclasses")
def services(service: Service) -> list[dict[str, Any]]:
    cat = service.standards.catalogue
    out = []
    for sub in cat.subclasses:
        rule = service.standards.rule(sub.code, sub.kind)
        out.append({
            "service_code": f"{sub.kind}:{sub.code}", "service_name": sub.name,
            "description": rule.register_condition if rule is not None else "", "metadata": False,
            "type": "realtime", "keywords": sub.kind, "group": sub.major_name,
        })
    return out


def _request_out(service: CaseService, c: Case) -> dict[str, Any]:
    sub = service.standards.catalogue.get(c.subclass_code, c.kind)
    dept = service.standards.department(c.department_code) if c.department_code else None
    closed = wf.State(c.status) in wf.TERMINAL
    return {
        "service_request_id": str(c.id), "status": "closed" if closed else "open", "status_notes": c.status,
        "service_name": sub.name if sub is not None else "", "service_code": f"{c.kind}:{c.subclass_code}",
        "description": c.description, "agency_responsible": dept.name if dept is not None else "",
        "service_notice": "", "requested_datetime": _w3c(c.reported_at), "updated_datetime": _w3c(c.updated_at),
        "expected_datetime": _w3c(c.clock_deadline_at) if c.clock_deadline_at else None,
        "address": c.address, "lat": c.lat, "long": c.lon, "media_url": "",
    }


@router.post("/requests.json", status_code=201, response_model=list[RequestCreatedOut], responses=ERRORS,
             summary="Submit a report (form-encoded, api_key required)")
def create_request(
    service: Service,
    api_key: Annotated[str, Form(min_length=1, max_length=128)],
    service_code: Annotated[str, Form(min_length=1, max_length=40)],
    lat: Annotated[float | None, Form(ge=-90, le=90)] = None,
    long: Annotated[float | None, Form(ge=-180, le=180)] = None,
    address_string: Annotated[str, Form(max_length=256)] = "",
    description: Annotated[str, Form(max_length=4000)] = "",
    media_url: Annotated[str, Form(max_length=1000)] = "",
    grid_code: Annotated[str | None, Form(alias="attribute[grid_code]", pattern=r"^\d{14,15}$")] = None,
) -> Any:
    try:
        actor = client_actor(service.db, api_key)
        if actor is None:
            raise Open311Failure(403, "api_key is not valid")
        if (lat is None or long is None) and not address_string and not grid_code:
            raise Open311Failure(400, "a location is required: lat and long, address_string or attribute[grid_code]")
        kind, code = _resolve(service, service_code)
        case, dups = service.report(actor, ReportInput(
            kind=kind, subclass_code=code, description=description, address=address_string,
            lat=lat if long is not None else None, lon=long if lat is not None else None, grid_code=grid_code,
            attachments=[media_url] if media_url else []))
    except Open311Failure as exc:
        return open311_error_response(exc)
    except ServiceError as exc:
        return open311_error_response(Open311Failure(400, str(exc)))
    notice = f"受理中; {len(dups)} possible duplicate(s)" if dups else "受理中"
    return [{"service_request_id": str(case["id"]), "service_notice": notice, "account_id": None,
             "duplicate_candidates": dups}]


@router.get("/requests.json", response_model=list[RequestOut], responses=ERRORS, summary="Find requests")
def list_requests(
    service: Service,
    service_request_id: Annotated[str | None, Query(max_length=2000, description="comma-separated ids")] = None,
    service_code: Annotated[str | None, Query(max_length=40)] = None,
    start_date: datetime | None = None,
    end_date: datetime | None = None,
    status: Annotated[str | None, Query(pattern="^(open|closed)(,(open|closed))*$")] = None,
) -> Any:
    conds: list[Any] = []
    try:
        if service_request_id:
            ids = [int(x) for x in service_request_id.split(",") if x.strip()]
            conds.append(Case.id.in_(ids))
        if service_code:
            kind, code = _resolve(service, service_code)
            conds += [Case.kind == kind, Case.subclass_code == code]
    except ValueError:
        return open311_error_response(Open311Failure(400, "service_request_id: comma-separated whole numbers"))
    except Open311Failure as exc:
        return open311_error_response(exc)
    if start_date:
        conds.append(Case.reported_at >= _cst(start_date))
    if end_date:
        conds.append(Case.reported_at <= _cst(end_date))
    if status and set(status.split(",")) != {"open", "closed"}:
        terminal = [s.value for s in wf.TERMINAL]
        conds.append(Case.status.in_(terminal) if status == "closed" else Case.status.not_in(terminal))
    if not service_request_id and not start_date:
        conds.append(Case.reported_at >= service.now() - timedelta(days=90))  # spec: default window 90 days
    with service.db.reading() as s:
        rows = s.execute(select(Case).where(*conds).order_by(Case.id.desc()).limit(1000)).scalars()
        return [_request_out(service, c) for c in rows]


def _cst(value: datetime) -> datetime:
    return value if value.tzinfo is None else value.astimezone(CST).replace(tzinfo=None)


@router.get("/requests/{request_id}.json", response_model=list[RequestOut], responses=ERRORS,
            summary="One request")
def get_request(request_id: Annotated[int, Path(ge=1, le=2**31 - 1)], service: Service) -> Any:
    with service.db.reading() as s:
        case = s.get(Case, request_id)
        if case is None:
            return open311_error_response(Open311Failure(404, f"request {request_id} not found"))
        return [_request_out(service, case)]

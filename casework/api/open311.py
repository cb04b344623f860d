"""Open311 GeoReport v2, so a hotline system, a public app or another city's tool can report and follow cases
with an unmodified GeoReport v2 client.

Every method in both of the spec's formats (``.xml``, its default, and ``.json``) under ``/open311/v2/``:
service list, service definition, ``POST requests`` (form-encoded, ``api_key`` required), requests with the spec's
filters, one request; the discovery document at ``/open311/discovery.{xml,json}``. Errors are the spec's error
documents in the format asked for (``app.py`` routes this router's validation and HTTP errors here too).
Requests are accepted in real time (a ``service_request_id`` at once), so there are no tokens.

``service_code`` is the subclass code behind a one-letter kind: ``C01001`` (管理部件 01001 供水井盖) or ``E01001``
(管理事项 01001 供水井盖异常): in GB/T 47678.5-2026 a component's code is also the code of its 事项, so the bare code
is ambiguous. The old ``component:01001`` / ``event:01001`` forms, and a bare code only one kind has, are still
accepted. Reading is public and shows only public fields (see :func:`_public_request`).
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import and_, or_, select
from starlette.routing import Match

from casework import workflow as wf
from casework.accounts import client_actor
from casework.api.deps import Service
from casework.api.open311_discovery import discovery, jurisdictions
from casework.api.open311_documents import FORMATS, MEDIA_TYPES, Format, error_document, is_text, render
from casework.models import Case
from casework.service import CaseService, ReportInput, ServiceError
from szcg.clock import CST, to_cst
from szcg.privacy import scrub_text
from szcg.vocabulary import KIND_LABELS, CaseKind

log = logging.getLogger(__name__)
router = APIRouter(prefix="/open311", tags=["open311"])
KIND_PREFIX = {"component": "C", "event": "E"}
_PREFIX_KIND = {v: k for k, v in KIND_PREFIX.items()}
_CODE = re.compile(r"^(?:(?P<prefix>[CEce])|(?P<legacy>component|event):)?(?P<sub>[0-9]{1,12})$")
_ID = re.compile(r"^[0-9]{1,40}$")  # ASCII digits only: str.isdigit() also takes '²', which int() refuses
MAX_ID = 2**31 - 1  # cases.id is a 32-bit integer on every backend
WINDOW = timedelta(days=90)  # the spec's default window and the widest range one query may span
LIMIT = 1000  # the spec's default query limit
# What the public reads as status_notes: fixed labels, never a note someone typed.
STATUS_NOTES: dict[wf.State, str] = {
    wf.State.reported: "已上报，待受理", wf.State.verifying: "核实中", wf.State.accepted: "已受理，待立案",
    wf.State.registered: "已立案，待派遣", wf.State.dispatched: "已派遣至专业部门", wf.State.handling: "处置中",
    wf.State.handled: "已处置，待核查", wf.State.checked: "核查通过，待结案", wf.State.closed: "已结案",
    wf.State.rejected: "不予立案", wf.State.return_requested: "处置中（调整处置部门）",
    wf.State.extension_requested: "处置中（申请延期）", wf.State.shelve_requested: "处置中（申请挂账）",
    wf.State.shelved: "已挂账，暂缓处置", wf.State.void_requested: "处置中（申请作废）", wf.State.voided: "已作废",
}
# A service's form fields beyond the spec's own. Every service takes the 单元网格 code, when the reporter knows it.
ATTRIBUTES: list[dict[str, Any]] = [{
    "variable": True, "code": "grid_code", "datatype": "string", "required": False,
    "datatype_description": "15 位数字（GB/T 30428.1 单元网格编码）", "order": 1,
    "description": "报告地点所在的单元网格编码（如已知）", "values": [],
}]


class Open311Failure(Exception):
    """Answered as the spec's error document: 400 bad request, 403 api_key, 404 not found."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status, self.description = status, description


def open311_error_response(request: Request, status: int, description: str,
                           headers: Mapping[str, str] | None = None) -> Response:
    """For ``app.py``: an error on an Open311 path, in the format that path asks for."""
    return error_document(request.url.path, status, description, headers)


# --- documented shapes (JSON; the XML carries the same elements) ----------------------------------------------------
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


class AttributeValueOut(BaseModel):
    key: str
    name: str


class AttributeOut(BaseModel):
    variable: bool
    code: str
    datatype: str
    required: bool
    datatype_description: str | None
    order: int
    description: str
    values: list[AttributeValueOut]


class ServiceDefinitionOut(BaseModel):
    service_code: str
    attributes: list[AttributeOut]


class RequestCreatedOut(BaseModel):
    service_request_id: str
    service_notice: str
    account_id: str | None


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
    address_id: str | None
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None


class EndpointOut(BaseModel):
    specification: str
    url: str
    changeset: str
    type: str
    formats: list[str]


class DiscoveryOut(BaseModel):
    changeset: str
    contact: str
    key_service: str
    endpoints: list[EndpointOut]


class ReportForm(BaseModel):
    """``POST requests``: the spec's arguments. The submitter's contact fields are accepted (clients send them)
    but not stored: the case service keeps no personal data of callers."""

    model_config = ConfigDict(extra="forbid")

    api_key: str = Field(default="", max_length=128)
    jurisdiction_id: str | None = Field(default=None, max_length=200)
    service_code: str = Field(default="", max_length=40)
    lat: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False)
    long: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False)
    address_string: str = Field(default="", max_length=256)
    description: str = Field(default="", max_length=4000)
    media_url: str = Field(default="", max_length=1000)
    grid_code: str | None = Field(default=None, alias="attribute[grid_code]", pattern=r"^\d{14,15}$")
    email: str | None = Field(default=None, max_length=256)
    device_id: str | None = Field(default=None, max_length=256)
    account_id: str | None = Field(default=None, max_length=256)
    first_name: str | None = Field(default=None, max_length=256)
    last_name: str | None = Field(default=None, max_length=256)
    phone: str | None = Field(default=None, max_length=64)

    @field_validator("*")
    @classmethod
    def _text_only(cls, value: object) -> object:
        if isinstance(value, str) and not is_text(value):
            raise ValueError("control characters (other than tab and line breaks) are not text")
        return value


# --- service codes ---------------------------------------------------------------------------------------------------
def code_of(kind: str, subclass_code: str) -> str:
    """The published service_code of a subclass."""
    return KIND_PREFIX[kind] + subclass_code


def resolve_service(service: CaseService, code: str, *, status: int = 404) -> tuple[str, str]:
    """(kind, subclass code) of a ``service_code`` in any accepted form; the error never repeats the code."""
    match = _CODE.match(code.strip())
    catalogue = service.standards.catalogue
    if match is None:
        raise Open311Failure(status, "service_code is not a service of this endpoint: see services.xml")
    sub = match["sub"]
    if match["prefix"] or match["legacy"]:
        kinds = [_PREFIX_KIND[match["prefix"].upper()] if match["prefix"] else match["legacy"]]
    else:
        kinds = list(KIND_PREFIX)
    found = [k for k in kinds if catalogue.get(sub, k) is not None]
    if not found:
        raise Open311Failure(status, "service_code is not a service of this endpoint: see services.xml")
    if len(found) > 1:
        raise Open311Failure(400, f"service_code is both a component and an event subclass: send "
                                  f"{code_of('component', sub)} or {code_of('event', sub)}")
    return found[0], sub


# --- arguments -------------------------------------------------------------------------------------------------------
def _check_jurisdiction(service: CaseService, jurisdiction_id: str | None) -> None:
    if jurisdiction_id and jurisdiction_id.strip() not in jurisdictions(service.standards):
        served = " or ".join(jurisdictions(service.standards))
        raise Open311Failure(404, f"jurisdiction_id was not found: this endpoint serves {service.standards.city.name}"
                                  f" (jurisdiction_id {served})")


def _instant(name: str, value: str) -> datetime:
    """A W3C date-time as naive 北京时间 (how cases store time); a value without offset is taken as 北京时间."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise Open311Failure(400, f"{name}: expected a W3C date-time such as 2026-11-25T10:00:00+08:00") from None
    if parsed.tzinfo is None:
        return parsed
    try:
        return to_cst(parsed)
    except OverflowError:  # 9999-12-31T23:59:59-12:00 is in year 10000 in Beijing
        raise Open311Failure(400, f"{name}: out of range (years 0001 to 9999 in 北京时间)") from None


def _ids(value: str) -> list[int]:
    parts = [p.strip() for p in value.split(",") if p.strip()]
    if not parts or len(parts) > LIMIT or not all(_ID.match(p) and 1 <= int(p) <= MAX_ID for p in parts):
        raise Open311Failure(400, f"service_request_id: up to {LIMIT} comma-separated whole numbers "
                                  f"from 1 to {MAX_ID}")
    return [int(p) for p in parts]


def _one_id(value: str) -> int:
    if not (_ID.match(value) and 1 <= int(value) <= MAX_ID):
        raise Open311Failure(400, f"service_request_id: a whole number from 1 to {MAX_ID}")
    return int(value)


def _window(service: CaseService, start: str | None, end: str | None) -> tuple[datetime, datetime]:
    """The spec's range: at most 90 days; one bound alone reaches 90 days from it, none means the last 90 days."""
    lo = _instant("start_date", start) if start else None
    hi = _instant("end_date", end) if end else None
    if lo is not None and hi is not None:
        if lo > hi:
            raise Open311Failure(400, "start_date is after end_date")
        if hi - lo > WINDOW:
            raise Open311Failure(400, "start_date to end_date spans more than 90 days")
        return lo, hi
    if lo is not None:
        return lo, lo + WINDOW if lo < datetime.max - WINDOW else datetime.max
    if hi is not None:
        return (hi - WINDOW if hi > datetime.min + WINDOW else datetime.min), hi
    now = service.now()
    return now - WINDOW, now


# --- what the public sees --------------------------------------------------------------------------------------------
def _w3c(value: datetime) -> str:
    """To the second, with the offset: the spec's common subset of ISO 8601 (some clients take no fractions)."""
    return value.replace(microsecond=0, tzinfo=CST).isoformat()


def _public_request(service: CaseService, c: Case) -> dict[str, Any]:
    """A case as the public may see it: what, where, how far along, who handles it. Never who reported it or how
    to reach them, nor media (photos show people). Free text (description, address) only of reports the public
    made for the public, scrubbed of phone and ID-card numbers and self-introduced names: hotline call notes are
    a caller's words taken down by an operator, and staff notes are internal; their place shows in lat/long."""
    sub = service.standards.catalogue.get(c.subclass_code, c.kind)
    dept = service.standards.department(c.department_code) if c.department_code else None
    state = wf.State(c.status)
    closed = state in wf.TERMINAL
    own_words = c.source == "public"
    return {
        "service_request_id": str(c.id), "status": "closed" if closed else "open",
        "status_notes": STATUS_NOTES[state], "service_name": sub.name if sub is not None else "",
        "service_code": code_of(c.kind, c.subclass_code),
        "description": scrub_text(c.description) if own_words else "",
        "agency_responsible": dept.name if dept is not None else "", "service_notice": "",
        "requested_datetime": _w3c(c.reported_at), "updated_datetime": _w3c(c.closed_at or c.updated_at),
        "expected_datetime": _w3c(c.clock_deadline_at) if c.clock_deadline_at and not closed else None,
        "address": scrub_text(c.address) if own_words else "", "address_id": None, "zipcode": None,
        "lat": c.lat, "long": c.lon, "media_url": None,
    }


# --- routes ----------------------------------------------------------------------------------------------------------
Maker = Callable[[Format], Callable[..., Response]]  # fmt → the route's handler


def _documented(json_model: Any, *errors: int) -> dict[str, Any]:
    """Route arguments that document both formats: the JSON model and the XML media type, and the errors."""
    return {
        "response_model": None, "response_class": Response,
        "responses": {200: {"model": json_model, "content": {MEDIA_TYPES["xml"].split(";")[0]: {}}},
                      **{e: {"model": list[Open311Error]} for e in errors}},
    }


def _both_formats(path: str, summary: str, json_model: Any, *errors: int, method: str = "GET",
                  status_code: int = 200) -> Callable[[Maker], Maker]:
    """Register ``make(fmt)``'s handler at ``path.json`` and ``path.xml``."""
    def register(make: Maker) -> Maker:
        for fmt in FORMATS:
            router.add_api_route(f"{path}.{fmt}", make(fmt), methods=[method], status_code=status_code,
                                 summary=f"{summary} ({fmt.upper()})", **_documented(json_model, *errors))
        return make
    return register


Jurisdiction = Annotated[str | None, Query(max_length=200, description="optional: shuozhou.gov.cn or 140600")]


def _discovery(fmt: Format) -> Callable[..., Response]:
    def handler(request: Request, service: Service) -> Response:
        return render(fmt, "discovery", discovery(service.standards, str(request.base_url)))
    return handler


_both_formats("/discovery", "Service discovery: endpoint, formats, changeset, contact", DiscoveryOut)(_discovery)
_both_formats("/v2/discovery", "Service discovery (also beside the endpoint)", DiscoveryOut)(_discovery)


@_both_formats("/v2/services", "Service list: the catalogue's subclasses", list[ServiceOut], 400, 404)
def _services(fmt: Format) -> Callable[..., Response]:
    def handler(service: Service, jurisdiction_id: Jurisdiction = None) -> Response:
        _check_jurisdiction(service, jurisdiction_id)
        out = []
        for sub in service.standards.catalogue.subclasses:
            rule = service.standards.rule(sub.code, sub.kind)
            out.append({
                "service_code": code_of(sub.kind, sub.code), "service_name": sub.name,
                "description": rule.register_condition if rule is not None else "", "metadata": bool(ATTRIBUTES),
                "type": "realtime", "keywords": f"{KIND_LABELS[CaseKind(sub.kind)]},{sub.major_name}",
                "group": sub.major_name,
            })
        return render(fmt, "services", out)
    return handler


@_both_formats("/v2/services/{service_code}", "Service definition: the form fields of a service",
               ServiceDefinitionOut, 400, 404)
def _definition(fmt: Format) -> Callable[..., Response]:
    def handler(service_code: str, service: Service, jurisdiction_id: Jurisdiction = None) -> Response:
        _check_jurisdiction(service, jurisdiction_id)
        kind, sub = resolve_service(service, service_code)
        return render(fmt, "service_definition",
                      {"service_code": code_of(kind, sub), "attributes": ATTRIBUTES})
    return handler


async def _each_field_once(request: Request) -> None:
    """A field sent twice would lose one of its values (the form model keeps the last): refused, named."""
    form = await request.form()  # parsed once for the handler; this reads the cached form
    known = {field.alias or name for name, field in ReportForm.model_fields.items()}  # others: refused as extra
    repeated = sorted({name for name in form if name in known and len(form.getlist(name)) > 1})
    if repeated:
        raise Open311Failure(400, f"sent more than once: {', '.join(repeated)}")


@_both_formats("/v2/requests", "Submit a report (form-encoded, api_key required)", list[RequestCreatedOut],
               400, 403, 404, method="POST", status_code=201)
def _create(fmt: Format) -> Callable[..., Response]:
    def handler(service: Service, form: Annotated[ReportForm, Form()],
                _once: Annotated[None, Depends(_each_field_once)]) -> Response:
        actor = client_actor(service.db, form.api_key) if form.api_key else None
        if actor is None:
            raise Open311Failure(403, "api_key is missing or not valid")
        _check_jurisdiction(service, form.jurisdiction_id)
        if not form.service_code.strip():
            raise Open311Failure(400, "service_code was not provided: see services.xml")
        kind, code = resolve_service(service, form.service_code)
        if (form.lat is None) != (form.long is None):
            raise Open311Failure(400, "lat and long go together: send both")
        if form.lat is None and not form.address_string.strip() and not form.grid_code:
            raise Open311Failure(400, "a location is required: lat and long, address_string or "
                                      "attribute[grid_code]")
        try:
            case, duplicates = service.report(actor, ReportInput(
                kind=kind, subclass_code=code, description=form.description, address=form.address_string,
                lat=form.lat, lon=form.long, grid_code=form.grid_code,
                attachments=[form.media_url] if form.media_url else []))
        except ServiceError as exc:
            raise Open311Failure(400, str(exc)) from None
        log.info("open311: %s reported case %d (%s%s), %d possible duplicate(s)", actor.username, case["id"],
                 KIND_PREFIX[kind], code, len(duplicates))
        notice = STATUS_NOTES[wf.State(case["status"])]
        if duplicates:
            near = "、".join(f"#{d['case_id']}（{math.floor(d['distance_m'])} 米）" for d in duplicates)
            notice += f"。50 米内 24 小时内已有同类报告：{near}"
        return render(fmt, "service_requests", [
            {"service_request_id": str(case["id"]), "service_notice": notice, "account_id": None}], 201)
    return handler


@_both_formats("/v2/requests", "Find requests (the spec's filters; public fields only)", list[RequestOut], 400, 404)
def _find(fmt: Format) -> Callable[..., Response]:
    def handler(
        service: Service,
        jurisdiction_id: Jurisdiction = None,
        service_request_id: Annotated[str | None, Query(max_length=12_000, description=(
            "comma-separated ids; overrides every other argument"))] = None,
        service_code: Annotated[str | None, Query(max_length=2000, description="comma-separated")] = None,
        start_date: Annotated[str | None, Query(max_length=64, description="W3C date-time")] = None,
        end_date: Annotated[str | None, Query(max_length=64, description="W3C date-time")] = None,
        status: Annotated[str | None, Query(max_length=64, description="open, closed or both, comma-separated")]
        = None,
    ) -> Response:
        _check_jurisdiction(service, jurisdiction_id)
        conds: list[Any] = []
        if service_request_id:
            conds.append(Case.id.in_(_ids(service_request_id)))
        else:
            if service_code:
                resolved = {resolve_service(service, c, status=400) for c in service_code.split(",") if c.strip()}
                conds.append(_any_service(resolved))
            lo, hi = _window(service, start_date, end_date)
            conds += [Case.reported_at >= lo, Case.reported_at <= hi]
            wanted = {s.strip() for s in (status or "").split(",") if s.strip()}
            if not wanted <= {"open", "closed"}:
                raise Open311Failure(400, "status: open, closed or both, comma-separated")
            terminal = [s.value for s in wf.TERMINAL]
            if wanted == {"closed"}:
                conds.append(Case.status.in_(terminal))
            elif wanted == {"open"}:
                conds.append(Case.status.not_in(terminal))
        with service.db.reading() as s:
            rows = s.execute(select(Case).where(*conds).order_by(Case.reported_at.desc(), Case.id.desc())
                             .limit(LIMIT)).scalars()
            return render(fmt, "service_requests", [_public_request(service, c) for c in rows])
    return handler


def _any_service(resolved: set[tuple[str, str]]) -> Any:
    return or_(*(and_(Case.kind == kind, Case.subclass_code == code) for kind, code in resolved))


@_both_formats("/v2/requests/{service_request_id}", "One request (public fields only)", list[RequestOut], 400, 404)
def _one(fmt: Format) -> Callable[..., Response]:
    def handler(service_request_id: str, service: Service, jurisdiction_id: Jurisdiction = None) -> Response:
        _check_jurisdiction(service, jurisdiction_id)
        case_id = _one_id(service_request_id)
        with service.db.reading() as s:
            case = s.get(Case, case_id)
            if case is None:
                raise Open311Failure(404, "service_request_id was not found")
            return render(fmt, "service_requests", [_public_request(service, case)])
    return handler


@router.api_route("/{path:path}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
                  include_in_schema=False)
def _elsewhere(request: Request, path: str) -> Response:
    """Any other path or method under /open311/ gets the spec's error document too (404, or 405 with Allow)."""
    del path
    allowed = sorted({m for route in request.app.router.routes if isinstance(route, APIRoute)
                      and route is not request.scope.get("route")
                      and route.matches(request.scope)[0] is Match.PARTIAL for m in route.methods})
    if allowed:
        return open311_error_response(request, 405, "method not allowed here", {"Allow": ", ".join(allowed)})
    return open311_error_response(request, 404, "no such GeoReport v2 resource: see /open311/discovery.xml")

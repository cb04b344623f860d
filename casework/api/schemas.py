"""Request and response bodies of the case API (they make the published OpenAPI document)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from casework.workflow import Action, Role, State

Kind = Literal["component", "event"]
Source = Literal["supervisor", "public", "hotline", "video", "leader"]
Basis = Literal["working", "natural"]


class ErrorOut(BaseModel):
    code: str = Field(description="stable error code, e.g. illegal_transition, stale_version, role_not_allowed")
    message: str
    detail: dict[str, Any] = Field(default_factory=dict)


class TokenIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime
    role: Role


class AttachmentOut(BaseModel):
    id: str = Field(description="reference it in an event's attachments: sha256:<hex>")
    sha256: str
    content_type: str = Field(description="judged from the file's first bytes")
    size: int
    filename: str
    uploaded_by: str
    uploaded_at: datetime


class RevokedOut(BaseModel):
    username: str
    revoked: int = Field(description="tokens revoked now (already revoked or expired ones are not counted)")


class UserIn(BaseModel):
    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    password: str = Field(min_length=8, max_length=256)
    role: Role
    display_name: str = Field(default="", max_length=128)
    district_code: str | None = Field(default=None, pattern=r"^\d{6}$")
    department_code: str | None = Field(default=None, max_length=64)
    grid_codes: list[str] = Field(default_factory=list, max_length=1000)
    district_codes: list[Annotated[str, Field(pattern=r"^\d{6}$")]] = Field(
        default_factory=list, max_length=50, description="more districts (a survey team's), after district_code")


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    role: str
    display_name: str
    district_code: str | None
    district_codes: list[str]
    department_code: str | None
    grid_codes: list[str]
    active: bool


class ApiClientIn(BaseModel):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    source: Literal["public", "hotline", "video", "leader"]


class ApiClientOut(BaseModel):
    name: str
    source: str
    api_key: str = Field(description="shown once; the service keeps only its hash")


class ReportIn(BaseModel):
    kind: Kind
    subclass_code: str = Field(min_length=1, max_length=16)
    description: str = Field(default="", max_length=4000)
    address: str = Field(default="", max_length=256)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    grid_code: str | None = Field(default=None, pattern=r"^\d{14,15}$")
    district_code: str | None = Field(default=None, pattern=r"^\d{6}$")
    source: Source | None = Field(default=None, description="上报渠道 (set by the service for supervisors)")
    comment: str = Field(default="", max_length=4000)
    attachments: list[str] = Field(default_factory=list, max_length=20)


class TransitionIn(BaseModel):
    action: Action
    expected_version: int | None = Field(default=None, ge=1, le=2**31 - 1,
                                         description="or send If-Match: \"<version>\"")
    comment: str = Field(default="", max_length=4000)
    attachments: list[str] = Field(default_factory=list, max_length=20)
    department_code: str | None = Field(default=None, max_length=64, description="dispatch: the 专业部门")
    hours: float | None = Field(default=None, gt=0, le=8784, description="request/approve_extension: hours")
    supervisor: str | None = Field(default=None, max_length=64, description="send_verify: a named 监督员")


class EventOut(BaseModel):
    """One append-only event; the change feed's record (the warehouse's input)."""

    id: int = Field(description="feed cursor: strictly increasing, gap-free, in commit order")
    case_id: int
    case_version: int = Field(description="the case's version after this event")
    action: Action
    from_state: State | None
    to_state: State
    actor: str
    role: str
    at: datetime = Field(description="China Standard Time, naive")
    comment: str
    attachments: list[str]
    step: str | None = Field(description="指挥手册 step this event completed, if any")
    step_started_at: datetime | None
    deadline_at: datetime | None = Field(description="the deadline that applied to the step")
    limit_hours: float | None
    limit_basis: Basis | None
    met: bool | None = Field(description="step done by its deadline (None: no limit)")
    overdue_multiple: float | None = Field(description="超时倍数 max(0, elapsed/limit - 1)")
    next_step: str | None = Field(description="the step whose clock this event started (or extended)")
    next_deadline_at: datetime | None
    kind: Kind
    subclass_code: str
    edition: str
    source: str
    grid_code: str | None
    district_code: str | None
    department_code: str | None
    data: dict[str, Any]


class DuplicateOut(BaseModel):
    case_id: int
    distance_m: float
    status: str
    reported_at: datetime


class CaseOut(BaseModel):
    id: int
    version: int
    status: State
    kind: Kind
    subclass_code: str
    subclass_name: str
    edition: str
    source: str
    description: str
    address: str
    lat: float | None
    lon: float | None
    grid_code: str | None
    district_code: str | None
    department_code: str | None
    supervisor: str | None
    reporter: str
    reported_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    step: str | None = Field(description="the step the case is waiting for (its clock)")
    step_started_at: datetime | None
    deadline_at: datetime | None
    overdue: bool
    pending: dict[str, Any] | None
    allowed_actions: list[Action]


class CaseDetailOut(CaseOut):
    events: list[EventOut]
    duplicate_candidates: list[DuplicateOut]


class ReportOut(BaseModel):
    case: CaseOut
    duplicate_candidates: list[DuplicateOut]


class TransitionOut(BaseModel):
    case: CaseOut
    event: EventOut


class CaseListOut(BaseModel):
    total: int
    items: list[CaseOut]


class TaskOut(BaseModel):
    case: CaseOut
    actions: list[Action]
    overdue: bool


class TaskListOut(BaseModel):
    role: str
    total: int
    overdue: int
    items: list[TaskOut]


class FeedOut(BaseModel):
    events: list[EventOut]
    next_cursor: int = Field(description="pass as ?after= next time")
    has_more: bool


class TransitionRuleOut(BaseModel):
    source: State | None
    action: Action
    target: State
    roles: list[str]
    completes: str | None
    clock: str

"""Tables of the case service. ``events`` is append-only (a trigger refuses UPDATE and DELETE, see the
initial migration); ``cases`` is the current state, derivable by replaying its events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(32))
    display_name: Mapped[str] = mapped_column(String(128), default="")
    # The user's home district: the case service's one-district scope of a district dispatcher or 监督员 (the
    # first of ``districts``). Only a survey team may have more districts (its census uploads, in the portal).
    district_code: Mapped[str | None] = mapped_column(String(12), nullable=True)
    department_code: Mapped[str | None] = mapped_column(String(64), nullable=True)  # department user
    grid_codes: Mapped[list[str]] = mapped_column(JSON, default=list)  # a supervisor's grids (核实/核查)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    districts: Mapped[list[UserDistrict]] = relationship(lazy="selectin", cascade="all, delete-orphan",
                                                         order_by="UserDistrict.district_code")

    @property
    def district_codes(self) -> list[str]:
        """Every district the user works in (empty: city-wide)."""
        return sorted(d.district_code for d in self.districts)


class UserDistrict(Base):
    """One district of a user (migration 0005): a 普查作业单位 may survey several districts."""

    __tablename__ = "user_districts"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    district_code: Mapped[str] = mapped_column(String(12), primary_key=True)


class Token(Base):
    __tablename__ = "tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the bearer token
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)  # logout / admin revocation


class TokenEpoch(Base):
    """One row, bumped with every token revocation: processes caching tokens re-read it to drop their cache."""

    __tablename__ = "token_epoch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    epoch: Mapped[int] = mapped_column(Integer, default=0)


class ApiClient(Base):
    """A system allowed to submit reports through Open311 (hotline system, public app)."""

    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(16))  # public | hotline | video | leader
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version: Mapped[int] = mapped_column(Integer, default=1)  # optimistic lock, +1 per transition
    status: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # component | event
    subclass_code: Mapped[str] = mapped_column(String(16), index=True)
    edition: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(String(256), default="")
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    grid_code: Mapped[str | None] = mapped_column(String(20), nullable=True, index=True)
    district_code: Mapped[str | None] = mapped_column(String(12), nullable=True, index=True)
    department_code: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    supervisor: Mapped[str | None] = mapped_column(String(64), nullable=True)  # who verifies/checks
    reporter: Mapped[str] = mapped_column(String(128))
    reported_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # The running clock (the step the case waits for), so tasks know "overdue" without re-deriving.
    clock_step: Mapped[str | None] = mapped_column(String(16), nullable=True)
    clock_started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    clock_deadline_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    clock_hours: Mapped[float | None] = mapped_column(Float, nullable=True)  # limit incl. approved extensions
    clock_basis: Mapped[str | None] = mapped_column(String(16), nullable=True)
    pending: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # open request (延期 hours…)
    external_ref: Mapped[str | None] = mapped_column(String(64), nullable=True)  # Open311 client's own id

    __table_args__ = (Index("ix_cases_subclass_reported", "subclass_code", "reported_at"),)


class Event(Base):
    """One transition. Never updated: ``id`` is the change-feed cursor (see :mod:`casework.feed`)."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    case_version: Mapped[int] = mapped_column(Integer)  # the case's version after this event
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(32), nullable=True)
    to_state: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(DateTime)
    comment: Mapped[str] = mapped_column(Text, default="")
    attachments: Mapped[list[str]] = mapped_column(JSON, default=list)
    step: Mapped[str | None] = mapped_column(String(16), nullable=True)  # 指挥手册 step completed
    step_started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    deadline_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    limit_hours: Mapped[float | None] = mapped_column(Float, nullable=True)
    limit_basis: Mapped[str | None] = mapped_column(String(16), nullable=True)
    met: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    overdue_multiple: Mapped[float | None] = mapped_column(Float, nullable=True)
    next_step: Mapped[str | None] = mapped_column(String(16), nullable=True)  # the clock this event started
    next_deadline_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Denormalised case facts at the time of the event: the warehouse needs no join and no current state.
    kind: Mapped[str] = mapped_column(String(16))
    subclass_code: Mapped[str] = mapped_column(String(16))
    edition: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16))
    grid_code: Mapped[str | None] = mapped_column(String(20), nullable=True)
    district_code: Mapped[str | None] = mapped_column(String(12), nullable=True)
    department_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # action details (extension hours, …)


class FeedCursor(Base):
    """One row; bumped under its row lock inside each writing transaction to number events (see feed)."""

    __tablename__ = "feed_cursor"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer, default=0)


class Attachment(Base):
    """A file attached to events, addressed by the SHA-256 of its bytes (events reference ``sha256:<hex>``)."""

    __tablename__ = "attachments"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(64))  # sniffed from the bytes, not the client's claim
    size: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(256), default="")
    uploaded_by: Mapped[str] = mapped_column(String(128))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class AttachmentUse(Base):
    """An uploaded attachment referenced by an event of a case: who may see the case may download the file."""

    __tablename__ = "attachment_uses"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(Integer, index=True)


class LoginFailure(Base):
    """Failed logins of one username (``user:<name>``) or client address (``address:<ip>``) in the current window."""

    __tablename__ = "login_failures"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    first_at: Mapped[datetime] = mapped_column(DateTime)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

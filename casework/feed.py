"""The change feed: events in strictly increasing cursor order, for the warehouse's incremental pull.

Why a reader never skips an event: an event's ``id`` is not taken from an autoincrement sequence (PostgreSQL
hands those out at INSERT, so a transaction that inserted id 7 can commit after one that inserted id 8 and a
reader at "after=6" would see 8, move its cursor past 7 and never see it). Instead every writing transaction,
as its last step before commit, bumps the single row of ``feed_cursor`` (``UPDATE … SET last_id = last_id + 1
RETURNING last_id``) and uses the result as the event id. The UPDATE holds that row's lock until commit
(PostgreSQL row lock; SQLite's database write lock), so ids are handed out in commit order and are gap-free:
when id *n* is visible every id below *n* is committed already. Only this last step is serialised; the rest of
a transition (reading the case, checking the version, computing deadlines) runs concurrently. A rolled-back
transaction rolls its bump back too, so no hole is left.

``GET /events?after=<cursor>&limit=N`` returns events with ``id > cursor`` ascending; the next cursor is the
last id returned (or the same cursor when nothing is new).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from casework.models import Event

_BUMP = text("UPDATE feed_cursor SET last_id = last_id + 1 WHERE id = 1 RETURNING last_id")


def next_event_id(session: Session) -> int:
    """Take the next cursor value; call last in the writing transaction (holds the feed lock to commit)."""
    return int(session.execute(_BUMP).scalar_one())


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def event_to_dict(e: Any) -> dict[str, Any]:
    """One event as the API and the warehouse see it (schema: ``EventOut`` in the OpenAPI document)."""
    return {
        "id": e.id,
        "case_id": e.case_id,
        "case_version": e.case_version,
        "action": e.action,
        "from_state": e.from_state,
        "to_state": e.to_state,
        "actor": e.actor,
        "role": e.role,
        "at": _iso(e.at),
        "comment": e.comment,
        "attachments": list(e.attachments or []),
        "step": e.step,
        "step_started_at": _iso(e.step_started_at),
        "deadline_at": _iso(e.deadline_at),
        "limit_hours": e.limit_hours,
        "limit_basis": e.limit_basis,
        "met": e.met,
        "overdue_multiple": e.overdue_multiple,
        "next_step": e.next_step,
        "next_deadline_at": _iso(e.next_deadline_at),
        "kind": e.kind,
        "subclass_code": e.subclass_code,
        "edition": e.edition,
        "source": e.source,
        "grid_code": e.grid_code,
        "district_code": e.district_code,
        "department_code": e.department_code,
        "data": dict(e.data or {}),
    }


def read_events(session: Session, after: int, limit: int) -> list[Any]:
    """Rows (attribute access like :class:`Event`), read with Core: no ORM identity-map cost per event."""
    stmt = select(Event.__table__).where(Event.id > after).order_by(Event.id).limit(limit)  # type: ignore[arg-type]
    return list(session.execute(stmt))

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

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, bindparam, select, text
from sqlalchemy.orm import Session

from casework.models import Event

_BUMP = text("UPDATE feed_cursor SET last_id = last_id + 1 WHERE id = 1 RETURNING last_id")
_EVENTS = Event.__table__
_PAGE = (select(_EVENTS).where(_EVENTS.c.id > bindparam("after"))  # type: ignore[arg-type]
         .order_by(_EVENTS.c.id).limit(bindparam("limit")))


def next_event_id(session: Session | Connection) -> int:
    """Take the next cursor value; call last in the writing transaction (holds the feed lock to commit)."""
    return int(session.execute(_BUMP).scalar_one())


EVENT_FIELDS: tuple[str, ...] = tuple(c.name for c in _EVENTS.columns)  # EventOut's fields, in its order


def event_to_dict(e: Mapping[str, Any]) -> dict[str, Any]:
    """One event as the API and the warehouse see it (schema: ``EventOut`` in the OpenAPI document).
    Datetimes stay ``datetime``: :class:`casework.api.deps.FastJSON` renders them as ISO 8601 (naive CST)."""
    return {key: e[key] for key in EVENT_FIELDS}


def read_events(conn: Connection, after: int, limit: int) -> list[dict[str, Any]]:
    """Events with ``id > after``, ascending, at most ``limit``, as :func:`event_to_dict` gives them."""
    return [row._asdict() for row in conn.execute(_PAGE, {"after": after, "limit": limit})]

"""GET /events: the change feed (see :mod:`casework.feed` for why a reader never skips an event)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from casework import workflow as wf
from casework.api.deps import CurrentActor, FastJSON, Service, require_role
from casework.api.schemas import ErrorOut, FeedOut
from casework.api.strict import StrictJSONRoute
from casework.feed import read_events

router = APIRouter(tags=["events"], route_class=StrictJSONRoute)
FEED_ROLES = (wf.Role.admin, wf.Role.evaluator, wf.Role.shift_leader)


@router.get("/events", response_model=FeedOut, responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}},
            summary="Events after a cursor, ascending (evaluator, admin, shift_leader)")
def feed(actor: CurrentActor, service: Service,
         after: Annotated[int, Query(ge=0, le=2**62)] = 0,
         limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> Any:
    require_role(actor, *FEED_ROLES)
    with service.db.read() as conn:
        rows = read_events(conn, after, limit + 1)
    events = rows[:limit]
    body = {"events": events, "next_cursor": events[-1]["id"] if events else after, "has_more": len(rows) > limit}
    # Built from typed columns already in FeedOut's shape; skipping re-validation keeps big pages cheap.
    return FastJSON(body)

"""GET /tasks: what is waiting for me — cases in a state where my role may act, within my scope."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from casework.api.deps import CurrentActor, FastJSON, Service, case_out
from casework.api.schemas import ErrorOut, TaskListOut
from casework.api.strict import StrictJSONRoute

router = APIRouter(tags=["tasks"], route_class=StrictJSONRoute)


@router.get("/tasks", response_model=TaskListOut, responses={401: {"model": ErrorOut}},
            summary="Cases waiting for the caller's role, most urgent deadline first, with an overdue flag")
def my_tasks(actor: CurrentActor, service: Service,
             overdue_only: bool = False,
             limit: Annotated[int, Query(ge=1, le=500)] = 100) -> Any:
    now = service.now()
    found = service.tasks(actor, overdue_only=overdue_only, limit=limit)
    items = []
    for row, actions in found:
        out = case_out(row, service, now)
        items.append({"case": out, "actions": actions, "overdue": out["overdue"]})
    return FastJSON({"role": actor.role, "total": len(items), "overdue": sum(i["overdue"] for i in items),
                     "items": items})

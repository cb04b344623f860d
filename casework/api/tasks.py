"""GET /tasks: what is waiting for me — cases in a state where my role may act, within my scope."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from casework import workflow as wf
from casework.api.deps import CurrentActor, FastJSON, Service, case_out
from casework.api.schemas import ErrorOut, TaskListOut
from casework.api.strict import StrictJSONRoute
from casework.service import CASES, scope_clause

router = APIRouter(tags=["tasks"], route_class=StrictJSONRoute)


@router.get("/tasks", response_model=TaskListOut, responses={401: {"model": ErrorOut}},
            summary="Cases waiting for the caller's role, most urgent deadline first, with an overdue flag")
def my_tasks(actor: CurrentActor, service: Service,
             overdue_only: bool = False,
             limit: Annotated[int, Query(ge=1, le=500)] = 100) -> Any:
    by_state: dict[wf.State, list[wf.Action]] = {}
    for t in wf.actions_for_role(actor.role):
        assert t.source is not None
        by_state.setdefault(t.source, []).append(t.action)
    if not by_state:
        return {"role": actor.role, "total": 0, "overdue": 0, "items": []}
    now = service.now()
    c = CASES.c
    conds = [c.status.in_([s.value for s in by_state]), scope_clause(actor)]
    if actor.role == wf.Role.supervisor:  # the grid's supervisor, or anyone's when unassigned
        conds.append((c.supervisor == actor.username) | c.supervisor.is_(None))
    if overdue_only:
        conds.append(c.clock_deadline_at < now)
    stmt = (select(CASES).where(*conds)  # type: ignore[arg-type]
            .order_by(c.clock_deadline_at.is_(None), c.clock_deadline_at, c.id).limit(limit))
    with service.db.read() as conn:
        rows = [row._mapping for row in conn.execute(stmt)]
    items = []
    for row in rows:
        out = case_out(row, service, now)
        items.append({"case": out, "actions": by_state[wf.State(row["status"])], "overdue": out["overdue"]})
    return FastJSON({"role": actor.role, "total": len(items), "overdue": sum(i["overdue"] for i in items),
                     "items": items})

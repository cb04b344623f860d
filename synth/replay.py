"""Case activity as API-level actions, in time order, for replaying a synthetic city through the case service.

Each :class:`ApiAction` is one transition (the glossary action names: report, accept, verify, register, dispatch,
handle, feedback, check, close, rework, return, extend, shelve, void). ``report`` actions carry the case's
payload (what, where, source) so the service can create the case; the others carry who did it and for which
department. Reads Parquet in batches through DuckDB, so it works for files larger than memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

_REPORT_FIELDS = ("source", "kind", "subclass_code", "component_id", "district_code", "street_code",
                  "community_code", "grid_code", "lon", "lat", "description", "reporter_id", "reporter_role")


@dataclass(frozen=True)
class ApiAction:
    case_id: str
    seq: int
    action: str
    at: datetime
    actor_id: str
    actor_role: str
    from_state: str | None
    to_state: str
    department_code: str | None = None
    deadline_at: datetime | None = None
    payload: dict[str, Any] = field(default_factory=dict)


def iter_case_actions(out_dir: Path, *, limit: int | None = None, batch_rows: int = 50_000) -> Iterator[ApiAction]:
    """All transitions of ``out_dir``'s cases ordered by time (ties: case id, then sequence)."""
    import duckdb

    cases = Path(out_dir) / "cases" / "cases.parquet"
    events = Path(out_dir) / "cases" / "case_events.parquet"
    cols = ", ".join(f"c.{c}" for c in _REPORT_FIELDS)
    sql = (f"SELECT e.case_id, e.seq, e.action, e.at, e.actor_id, e.actor_role, e.from_state, e.to_state, "
           f"e.department_code, e.deadline_at, {cols} FROM read_parquet(?) e "
           f"JOIN read_parquet(?) c USING (case_id) ORDER BY e.at, e.case_id, e.seq"
           + (f" LIMIT {int(limit)}" if limit is not None else ""))
    con = duckdb.connect()
    try:
        cur = con.execute(sql, [str(events), str(cases)])
        while True:
            rows = cur.fetchmany(batch_rows)
            if not rows:
                break
            for r in rows:
                payload = dict(zip(_REPORT_FIELDS, r[10:], strict=True)) if r[2] == "report" else {}
                yield ApiAction(case_id=r[0], seq=int(r[1]), action=r[2], at=r[3], actor_id=r[4], actor_role=r[5],
                                from_state=r[6], to_state=r[7], department_code=r[8], deadline_at=r[9],
                                payload=payload)
    finally:
        con.close()

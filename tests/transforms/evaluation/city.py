"""A small city built by hand in core.case / core.case_event, so expected indicator values can be counted by hand.

Grid codes: district 140602 (朔城区) → street 140602001 → communities 140602001001 / 140602001002 → grids
…001001 001 etc.; a second district 140603 (平鲁区) with one street, community and grid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

D1, D2 = "140602", "140603"
S1, S2 = "140602001", "140603001"
C1, C2, C3 = "140602001001", "140602001002", "140603001001"
G1, G2, G3, G4 = "140602001001001", "140602001001002", "140602001002001", "140603001001001"
COMMUNITY_OF = {G1: C1, G2: C1, G3: C2, G4: C3}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@dataclass
class CaseBuilder:
    case_id: str
    source: str
    grid: str
    reported_at: datetime
    events: list[dict[str, Any]] = field(default_factory=list)

    def ev(self, action: str, when: str, actor: str | None, role: str | None, *, dept: str | None = None,
           met: bool | None = None, multiple: float | None = None, outcome: str | None = None) -> CaseBuilder:
        self.events.append(dict(action=action, occurred_at=at(when), actor_id=actor, actor_role=role,
                                department_code=dept, deadline_met=met, overdue_multiple=multiple, outcome=outcome))
        return self


@dataclass
class City:
    cases: list[CaseBuilder] = field(default_factory=list)

    def case(self, case_id: str, reported: str, *, source: str = "supervisor", grid: str = G1) -> CaseBuilder:
        b = CaseBuilder(case_id, source, grid, at(reported))
        self.cases.append(b)
        return b

    def load(self, con: duckdb.DuckDBPyConnection, batch: str = "test-batch") -> None:
        case_rows, event_rows = [], []
        for c in self.cases:
            community = COMMUNITY_OF[c.grid]
            case_id = f"t:{c.case_id}"  # <origin_system>:<origin_case_id>, as the warehouse audits require
            case_rows.append((case_id, "t", c.case_id, c.source, c.reported_at, c.grid, community,
                              community[:9], community[:6], "reported", batch))
            for seq, e in enumerate(c.events, 1):
                event_rows.append((case_id, seq, f"{c.case_id}-{seq}", e["action"], e["occurred_at"],
                                   e["actor_id"], e["actor_role"], e["department_code"], community[:6], e["outcome"],
                                   e["deadline_met"], e["overdue_multiple"], "test", batch))
        con.executemany(
            'INSERT INTO core."case" (case_id, origin_system, origin_case_id, source, reported_at, grid_code, '
            "community_code, street_code, district_code, status, batch_id) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            case_rows,
        )
        con.executemany(
            "INSERT INTO core.case_event_row (case_id, seq, event_id, action, occurred_at, actor_id, actor_role, "
            "department_code, district_code, outcome, deadline_met, overdue_multiple, origin_system, batch_id) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            event_rows,
        )


DA, DB = "DEPT_A", "DEPT_B"  # 环卫 (sanitation) and 市政 (municipal) departments


def build_october() -> City:
    """Thirteen cases around October 2026 (国庆 holiday 10-01…10-07, 10-10 Saturday a 调休 working day).

    Cohort (立案 in October): C01–C09 and C12. C10 is 不予立案, C11 was registered in September, C13 核实不属实.
    Every expected value in the tests is counted by hand from this list.
    """
    city = City()
    (city.case("C01", "2026-10-09 08:30", grid=G1)          # closed on time; handling across the lunch break
        .ev("report", "2026-10-09 08:30", "sup1", "supervisor")
        .ev("accept", "2026-10-09 08:40", "op1", "operator", met=True)
        .ev("register", "2026-10-09 09:00", "sl1", "shift_leader", met=True)
        .ev("dispatch", "2026-10-09 11:30", "dp1", "dispatcher", dept=DA, met=True)
        .ev("feedback", "2026-10-09 14:30", "hA", "department", met=True)
        .ev("check", "2026-10-09 16:00", "sup1", "supervisor", met=True, outcome="passed")
        .ev("close", "2026-10-09 17:00", "sl1", "shift_leader", met=True))
    (city.case("C02", "2026-10-09 15:00", grid=G1)          # late dispatch, late handling over the 调休 Saturday
        .ev("report", "2026-10-09 15:00", "sup1", "supervisor")
        .ev("accept", "2026-10-09 15:10", "op1", "operator", met=True)
        .ev("register", "2026-10-09 15:30", "sl1", "shift_leader", met=True)
        .ev("dispatch", "2026-10-09 17:00", "dp1", "dispatcher", dept=DA, met=False)
        .ev("feedback", "2026-10-12 09:00", "hA", "department", met=False, multiple=0.5)
        .ev("check", "2026-10-12 10:00", "sup1", "supervisor", met=True, outcome="passed")
        .ev("close", "2026-10-12 11:00", "sl1", "shift_leader", met=True))
    (city.case("C03", "2026-10-05 09:00", source="hotline", grid=G1)  # in the holiday; verified; one rework
        .ev("report", "2026-10-05 09:00", "op2", "operator")
        .ev("accept", "2026-10-05 09:05", "op2", "operator", met=True, outcome="sent_to_verify")
        .ev("verify", "2026-10-05 09:40", "sup1", "supervisor", met=True, outcome="confirmed")
        .ev("register", "2026-10-05 09:50", "sl2", "shift_leader", met=True)
        .ev("dispatch", "2026-10-05 10:00", "dp2", "dispatcher", dept=DA, met=True)
        .ev("feedback", "2026-10-08 09:30", "hA", "department", met=True)
        .ev("rework", "2026-10-08 10:00", "sup1", "supervisor", met=True, outcome="failed")
        .ev("feedback", "2026-10-08 11:00", "hA", "department", met=True)
        .ev("check", "2026-10-08 15:00", "sup1", "supervisor", met=False, outcome="passed")
        .ev("close", "2026-10-08 16:00", "sl2", "shift_leader", met=True))
    (city.case("C04", "2026-10-12 07:30", grid=G2)          # handled in one full working day, not yet closed
        .ev("report", "2026-10-12 07:30", "sup1", "supervisor")
        .ev("accept", "2026-10-12 07:40", "op1", "operator", met=True)
        .ev("register", "2026-10-12 07:50", "sl1", "shift_leader", met=True)
        .ev("dispatch", "2026-10-12 08:00", "dp1", "dispatcher", dept=DB, met=True)
        .ev("feedback", "2026-10-12 18:00", "hB", "department", met=True)
        .ev("check", "2026-10-13 09:00", "sup1", "supervisor", met=True, outcome="passed"))
    (city.case("C05", "2026-10-13 08:00", grid=G2)          # wrong dispatch to A, returned, handled by B; late close
        .ev("report", "2026-10-13 08:00", "sup1", "supervisor")
        .ev("accept", "2026-10-13 08:10", "op1", "operator", met=True)
        .ev("register", "2026-10-13 08:30", "sl1", "shift_leader", met=True)
        .ev("dispatch", "2026-10-13 09:00", "dp1", "dispatcher", dept=DA, met=True)
        .ev("return", "2026-10-13 09:30", "dp1", "dispatcher", outcome="approved")
        .ev("dispatch", "2026-10-13 10:00", "dp2", "dispatcher", dept=DB, met=True)
        .ev("feedback", "2026-10-14 12:30", "hB", "department", met=True)
        .ev("check", "2026-10-14 15:00", "sup1", "supervisor", met=True, outcome="passed")
        .ev("close", "2026-10-14 16:00", "sl1", "shift_leader", met=False))
    (city.case("C06", "2026-10-14 09:00", source="public", grid=G3)  # late verify; 挂账 with B
        .ev("report", "2026-10-14 09:00", "op2", "operator")
        .ev("accept", "2026-10-14 09:10", "op2", "operator", met=True, outcome="sent_to_verify")
        .ev("verify", "2026-10-14 10:00", "sup2", "supervisor", met=False, outcome="confirmed")
        .ev("register", "2026-10-14 10:30", "sl2", "shift_leader", met=True)
        .ev("dispatch", "2026-10-14 11:00", "dp2", "dispatcher", dept=DB, met=True)
        .ev("shelve", "2026-10-15 09:00", "sl2", "shift_leader", outcome="approved"))
    (city.case("C07", "2026-10-15 09:00", grid=G3)          # registered late, then 作废
        .ev("report", "2026-10-15 09:00", "sup2", "supervisor")
        .ev("accept", "2026-10-15 09:10", "op2", "operator", met=True)
        .ev("register", "2026-10-15 09:20", "sl2", "shift_leader", met=False)
        .ev("void", "2026-10-15 10:00", "sl2", "shift_leader", outcome="approved"))
    (city.case("C08", "2026-10-16 14:00", grid=G4)          # return asked and denied; 延期; over the weekend
        .ev("report", "2026-10-16 14:00", "sup2", "supervisor")
        .ev("accept", "2026-10-16 14:10", "op2", "operator", met=True)
        .ev("register", "2026-10-16 14:30", "sl2", "shift_leader", met=True)
        .ev("dispatch", "2026-10-16 16:00", "dp2", "dispatcher", dept=DB, met=True)
        .ev("return", "2026-10-16 16:30", "hB", "department", outcome="requested")
        .ev("return", "2026-10-16 17:00", "dp2", "dispatcher", outcome="denied")
        .ev("extend", "2026-10-16 17:30", "sl2", "shift_leader", outcome="approved")
        .ev("feedback", "2026-10-19 08:30", "hB", "department", met=True)
        .ev("check", "2026-10-19 10:00", "sup2", "supervisor", met=True, outcome="passed")
        .ev("close", "2026-10-19 11:00", "sl2", "shift_leader", met=True))
    (city.case("C09", "2026-10-20 10:00", grid=G4)          # dispatched in the lunch break, handled late
        .ev("report", "2026-10-20 10:00", "sup2", "supervisor")
        .ev("accept", "2026-10-20 10:10", "op2", "operator", met=True)
        .ev("register", "2026-10-20 10:30", "sl2", "shift_leader", met=True)
        .ev("dispatch", "2026-10-20 13:00", "dp2", "dispatcher", dept=DB, met=True)
        .ev("feedback", "2026-10-20 15:00", "hB", "department", met=False, multiple=1.25)
        .ev("check", "2026-10-20 16:00", "sup2", "supervisor", met=True, outcome="passed")
        .ev("close", "2026-10-20 17:00", "sl2", "shift_leader", met=True))
    (city.case("C10", "2026-10-21 09:00", grid=G3)          # 不予立案
        .ev("report", "2026-10-21 09:00", "sup2", "supervisor")
        .ev("accept", "2026-10-21 09:10", "op2", "operator", met=True)
        .ev("reject", "2026-10-21 09:30", "sl1", "shift_leader", met=True))
    (city.case("C11", "2026-09-28 09:00", grid=G1)          # registered in September, finished in October
        .ev("report", "2026-09-28 09:00", "sup1", "supervisor")
        .ev("accept", "2026-09-28 09:10", "op1", "operator", met=True)
        .ev("register", "2026-09-28 09:30", "sl1", "shift_leader", met=True)
        .ev("dispatch", "2026-09-29 09:00", "dp1", "dispatcher", dept=DA, met=True)
        .ev("feedback", "2026-10-08 09:00", "hA", "department", met=False, multiple=2.0)
        .ev("check", "2026-10-09 09:00", "sup1", "supervisor", met=True, outcome="passed")
        .ev("close", "2026-10-09 10:00", "sl1", "shift_leader", met=True))
    (city.case("C12", "2026-10-30 08:30", grid=G2)          # dispatched at the end of the month, not handled yet
        .ev("report", "2026-10-30 08:30", "sup1", "supervisor")
        .ev("accept", "2026-10-30 08:40", "op1", "operator", met=True)
        .ev("register", "2026-10-30 09:00", "sl1", "shift_leader", met=True)
        .ev("dispatch", "2026-10-30 10:00", "dp1", "dispatcher", dept=DA, met=True))
    (city.case("C13", "2026-10-21 10:00", source="hotline", grid=G4)  # sent to verify late; 核实不属实
        .ev("report", "2026-10-21 10:00", "op1", "operator")
        .ev("accept", "2026-10-21 10:05", "op1", "operator", met=False, outcome="sent_to_verify")
        .ev("reject", "2026-10-21 11:00", "sup2", "supervisor", met=True))
    return city


def late_feedback_for_c12(con: duckdb.DuckDBPyConnection) -> None:
    """An October event that reaches the warehouse after the period was published."""
    con.execute(
        "INSERT INTO core.case_event_row (case_id, seq, event_id, action, occurred_at, actor_id, actor_role, "
        "district_code, deadline_met, origin_system, batch_id) VALUES ('t:C12', 5, 'C12-5', 'feedback', "
        "TIMESTAMP '2026-10-30 15:00', 'hA', 'department', '140602', true, 'test', 'late-batch')"
    )

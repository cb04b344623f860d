"""Quality gates for cases: GX suites on the conformed DataFrames and SQL set rules on core (audits)."""

from __future__ import annotations

import duckdb

from quality.gx import Expectation
from transforms.cases.model import ACTIONS, SOURCES, STATUSES


def legacy_case_suite() -> list[Expectation]:
    """What a legacy row needs to become a case (failures are quarantined, not fixed)."""
    return [
        Expectation("missing_id", "not_null", "origin_case_id", "origin_case_id", "案件编号为空"),
        Expectation("bad_reported_at", "in_set", "reported_at_readable", "reported_at",
                    "上报时间为空或无法按映射的格式读取", {"value_set": [True]}),
        Expectation("status_vocabulary", "in_set", "status", "status", "状态 {value} 不在流程状态中",
                    {"value_set": list(STATUSES)}),
        Expectation("source_vocabulary", "in_set", "source", "source", "来源 {value} 不在来源词表中",
                    {"value_set": list(SOURCES)}),
    ]


def event_suite() -> list[Expectation]:
    """What a change-feed event needs to become a core.case_event row."""
    return [
        Expectation("missing_case", "not_null", "case_id", "case_id", "事件没有案件编号"),
        Expectation("missing_time", "not_null", "occurred_at", "at", "事件时间为空"),
        Expectation("action_vocabulary", "in_set", "action", "action", "动作 {value} 无法对应到标准环节",
                    {"value_set": list(ACTIONS)}),
    ]


def cases_conformed(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Set rules the whole case model must satisfy, whatever the source."""
    checks = {
        "events without a case": 'SELECT count(*) FROM core.case_event e ANTI JOIN core."case" c USING (case_id)',
        "cases without a report event": "SELECT count(*) FROM core.\"case\" c ANTI JOIN"
        " (SELECT case_id FROM core.case_event WHERE action = 'report') r USING (case_id)",
        "terminal cases without closed_at and without a flag saying so": 'SELECT count(*) FROM core."case"'
        " WHERE status IN ('closed','rejected','voided') AND closed_at IS NULL"
        " AND NOT list_contains(coalesce(flags, []), 'closed_without_close_time')",
        "closed before reported without the closed_before_opened flag": 'SELECT count(*) FROM core."case"'
        " WHERE closed_at < reported_at AND NOT list_contains(coalesce(flags, []), 'closed_before_opened')",
        "case_id not <origin_system>:<origin_case_id>": 'SELECT count(*) FROM core."case"'
        " WHERE case_id <> origin_system || ':' || origin_case_id",
        # The tables carry no PRIMARY KEY/UNIQUE (migration 0050: an ART index per key does not fit a 10 M-case
        # load); the loaders gate duplicates and these rules keep any that slipped through from being published.
        # (case_id = origin_system:origin_case_id is checked above, so a unique case_id is a unique origin key.)
        "case_id given to more than one case": 'SELECT count(*) FROM (SELECT case_id FROM core."case"'
        " GROUP BY case_id HAVING count(*) > 1)",
        "(case_id, seq) given to more than one event": "SELECT count(*) FROM (SELECT case_id, seq"
        " FROM core.case_event GROUP BY case_id, seq HAVING count(*) > 1)",
        "(origin_system, event_id) given to more than one event": "SELECT count(*) FROM (SELECT origin_system,"
        " event_id FROM core.case_event GROUP BY origin_system, event_id HAVING count(*) > 1)",
    }
    problems = []
    for label, sql in checks.items():
        row = con.execute(sql).fetchone()
        if row and row[0]:
            problems.append(f"{row[0]} {label}")
    return problems

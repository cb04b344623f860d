"""The per-event MAP look-ups (01 eval_event_bit, 06's selection, 02 eval_subset_kind) give what the string CASEs
they replaced gave, on every combination of action, outcome, role and judgement — read from a stored table, where
DuckDB hands the scan dictionary-compressed vectors (the case the look-ups are built for), and from plain rows."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from szcg.vocabulary import EventAction, Role
from transforms.evaluation.engine import sql_model

ACTIONS = [*(a.value for a in EventAction), "other", "Register", ""]
OUTCOMES = [None, "requested", "denied", "approved", "failed", "passed", "not_found", "rejected", "confirmed",
            "sent_to_verify", "send_check", "other"]
ROLES = [None, *(r.value for r in Role), "other"]
JUDGED = [None, True, False]

# 06_post_base's selection and reads_case before the look-ups (main at 4c4051b): the old path to compare with
OLD_SELECTION = """CASE actor_role
    WHEN 'supervisor' THEN CASE action WHEN 'report' THEN true WHEN 'verify' THEN true
        WHEN 'reject' THEN true WHEN 'check' THEN true WHEN 'rework' THEN true ELSE false END
    WHEN 'operator' THEN action = 'accept' OR outcome = 'send_check'
    WHEN 'shift_leader' THEN CASE action WHEN 'register' THEN true WHEN 'reject' THEN true
        WHEN 'close' THEN true ELSE false END
    WHEN 'dispatcher' THEN action = 'dispatch'
    ELSE false
END"""
OLD_READS_CASE = """CASE action WHEN 'verify' THEN coalesce(outcome NOT IN ('not_found', 'rejected'), true)
    WHEN 'report' THEN true WHEN 'accept' THEN true WHEN 'register' THEN true
    WHEN 'dispatch' THEN true ELSE false END"""
OLD_SUBSET_KINDS = {"dispatch", "return", "feedback", "check", "rework", "shelve", "extend", "close", "unshelve"}


def _macros(con: duckdb.DuckDBPyConnection, model: str, marker: str) -> None:
    sql = sql_model(model)
    con.execute(sql[:sql.index(marker)])


@pytest.fixture(params=["stored", "rows"])
def events(request: pytest.FixtureRequest, tmp_path: Path) -> duckdb.DuckDBPyConnection:
    """core.case_event with every combination, each 40 times (a stored table: checkpointed, so compressed), with
    one event per combination in the window and performed by someone; the macros of 01 and 02."""
    stored = request.param == "stored"
    con = duckdb.connect(str(tmp_path / "w.duckdb") if stored else ":memory:")
    con.execute("CREATE SCHEMA core")
    con.execute("CREATE TABLE combo (action VARCHAR, outcome VARCHAR, actor_role VARCHAR, deadline_met BOOLEAN)")
    con.executemany("INSERT INTO combo VALUES (?, ?, ?, ?)",
                    [(a, o, r, j) for a in ACTIONS for o in OUTCOMES for r in ROLES for j in JUDGED])
    con.execute("CREATE TABLE core.case_event AS SELECT 'C' || row_number() OVER () AS case_id, 1 AS seq, action, "
                "outcome, actor_role, deadline_met, 'A1' AS actor_id, TIMESTAMP '2026-06-02' AS occurred_at "
                "FROM combo, range(40) ORDER BY action, outcome, actor_role")
    if stored:
        con.execute("CHECKPOINT")
    _macros(con, "01_case_summary.sql", "CREATE OR REPLACE TEMP TABLE eval_case_summary")
    _macros(con, "02_slow_event.sql", "CREATE OR REPLACE TEMP TABLE eval_case_subset")
    return con


def test_the_event_bit_is_eval_bit(events: duckdb.DuckDBPyConnection) -> None:
    row = events.execute(
        "SELECT count(*), count(*) FILTER (WHERE eval_event_bit(action, outcome, actor_role, deadline_met) "
        "IS DISTINCT FROM eval_bit(action, outcome, actor_role, deadline_met)), "
        "count(DISTINCT eval_event_bit(action, outcome, actor_role, deadline_met)) FROM core.case_event").fetchone()
    assert row is not None
    total, different, values = row
    assert total == 40 * len(ACTIONS) * len(OUTCOMES) * len(ROLES) * len(JUDGED) and different == 0
    assert values >= 14  # every bit of the rules, and 0, occurs


def test_the_subset_kinds_are_the_listed_actions(events: duckdb.DuckDBPyConnection) -> None:
    rows = events.execute("SELECT DISTINCT action, eval_subset_kind(action) FROM core.case_event").fetchall()
    assert {a: k for a, k in rows} == {a: a in OLD_SUBSET_KINDS for a in ACTIONS}


def test_the_post_events_are_those_of_the_old_selection(events: duckdb.DuckDBPyConnection) -> None:
    """06_post_base renders the same rows as its string CASEs did: the events selected, and the ones that read their
    case (their case_bits come from eval_case_summary, the others' are NULL)."""
    con = events
    for name in ("eval_start", "eval_window_end"):
        con.execute(f"SET VARIABLE {name} = TIMESTAMP '{'2026-06-01' if name == 'eval_start' else '2026-07-01'}'")
    con.execute("CREATE TEMP TABLE eval_case_summary AS SELECT DISTINCT case_id, 1 AS bits, "
                "CAST(NULL AS INTEGER) AS last_verify_seq FROM core.case_event")
    con.execute("CREATE TEMP TABLE eval_returned_dispatch (case_id VARCHAR, seq INTEGER, returned BOOLEAN)")
    _macros(con, "01_case_summary.sql", "CREATE OR REPLACE TEMP TABLE eval_case_summary")  # eval_act
    con.execute(sql_model("06_post_base.sql", exclusions=False))
    new = con.execute("SELECT case_id, case_bits IS NOT NULL FROM eval_post_base ORDER BY case_id").fetchall()
    old = con.execute(f"SELECT case_id, {OLD_READS_CASE} FROM core.case_event WHERE actor_id IS NOT NULL "
                      f"AND {OLD_SELECTION} ORDER BY case_id").fetchall()
    assert new == old
    assert 0 < sum(reads for _, reads in new) < len(new)

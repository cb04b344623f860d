"""A legacy import's events are stored once per case (core.case_event_legacy, migration 0105) and the view
core.case_event gives them back: every column of every event exactly as the import stored them as rows before
(main at 4c4051b; its SQL is kept below as the reference), on cases chosen to hit every branch and on random ones
full of ties and missing steps; a re-import and a delete leave nothing behind."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from tests.transforms.cases.conftest import MAPPINGS
from tests.transforms.cases.test_case_event_view import _load_columns_read
from transforms.cases.legacy_import import import_legacy, insert_events_from_cases
from transforms.cases.mapping import LegacyMapping, load_mapping
from transforms.cases.model import TERMINAL_STATUSES, delete_batch
from warehouse.fingerprint import list_tables
from warehouse.migrate import migrate
from warehouse.store import Warehouse

EVENTS = "SELECT * FROM core.case_event ORDER BY case_id, seq"
STATES = ("reported", "accepted", "registered", "dispatched", "handling", "handled", "checked", "closed", "voided",
          "rejected", "shelved", "return_requested")


# --- the reference: the import's event rows as main (4c4051b) wrote them into core.case_event_row ---------------
@dataclass(frozen=True)
class _Step:
    action: str
    to_state: str
    at: str
    origin_action: str
    department_code: str = "NULL"
    deadline_at: str = "NULL"
    deadline_met: str = "NULL"
    step: str = "NULL"


_STEPS = (
    _Step("report", "'reported'", "reported_at", "'created'"),
    _Step("accept", "'accepted'", "accepted_at", "'column:accepted_at'"),
    _Step("register", "'registered'", "step_registered_at",
          "CASE WHEN registered_at IS NULL THEN 'steps.registered' ELSE 'column:registered_at' END"),
    _Step("dispatch", "'dispatched'", "step_dispatched_at",
          "CASE WHEN dispatched_at IS NULL THEN 'steps.dispatched' ELSE 'column:dispatched_at' END",
          "department_code", "handle_deadline_at", "NULL",
          "CASE WHEN handle_deadline_at IS NULL THEN NULL ELSE 'handle' END"),
    _Step("feedback", "'handled'", "step_handled_at",
          "CASE WHEN handled_at IS NULL THEN 'steps.handled' ELSE 'column:handled_at' END",
          "department_code", "handle_deadline_at", "handle_deadline_met", "'handle'"),
    _Step("check", "'checked'", "checked_at", "'column:checked_at'"),
    _Step("close", "status", "terminal_at", "'status:' || coalesce(origin_status, '')", "department_code"),
)
_EVENT_INPUT = ("case_id", "origin_case_id", "status", "origin_status", "department_code", "reported_at",
                "accepted_at", "registered_at", "dispatched_at", "handled_at", "checked_at", "closed_at",
                "voided_at", "step_registered_at", "step_dispatched_at", "step_handled_at", "handle_deadline_at",
                "handle_deadline_met")
TERMINAL_ACTION = {"closed": "close", "voided": "void", "rejected": "reject"}


def events_as_rows(con: Any, cases: pd.DataFrame, mapping: LegacyMapping, batch_id: str) -> int:
    steps = pd.DataFrame({c: cases[c] for c in _EVENT_INPUT})
    steps["handle_deadline_met"] = steps["handle_deadline_met"].astype("boolean")
    table = pa.Table.from_pandas(steps, preserve_index=False)
    table = table.take(pc.sort_indices(table["case_id"]))
    cases_in = table.append_column("case_order", pa.array(np.arange(len(table), dtype=np.int64)))  # noqa: F841
    terminal = "CASE status " + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in TERMINAL_ACTION.items()) + " END"
    ended = "status IN ({})".format(", ".join(f"'{s}'" for s in TERMINAL_STATUSES))
    times = ", ".join(f"CASE WHEN {ended} THEN {st.at} END AS t{k}" if st.action == "close" else f"{st.at} AS t{k}"
                      for k, st in enumerate(_STEPS))
    places = ", ".join(
        "1 + " + " + ".join(f"coalesce(t{j} {'<=' if j < k else '<'} t{k}, false)::INTEGER"
                            for j in range(len(_STEPS)) if j != k) + f" AS s{k}"
        for k in range(len(_STEPS)))
    branches = [
        f"SELECT case_order, case_id, s{k} AS seq, origin_case_id || ':{st.action}' AS event_id,"
        f" {terminal if st.action == 'close' else repr(st.action)} AS action, {st.to_state} AS to_state,"
        f" t{k} AS occurred_at, {st.origin_action} AS origin_action,"
        f" CAST({st.department_code} AS VARCHAR) AS department_code,"
        f" CAST({st.deadline_at} AS TIMESTAMP) AS deadline_at,"
        f" CAST({st.deadline_met} AS BOOLEAN) AS deadline_met, CAST({st.step} AS VARCHAR) AS step"
        f" FROM placed WHERE t{k} IS NOT NULL"
        for k, st in enumerate(_STEPS)]
    union = "\n UNION ALL ".join(branches)
    row = con.execute(f"""
        INSERT INTO core.case_event_row (case_id, seq, event_id, action, from_state, to_state, occurred_at,
                                     department_code, deadline_at, deadline_met, origin_system, batch_id,
                                     origin_action, step)
        WITH c AS (SELECT *, CASE WHEN status = 'voided' THEN coalesce(voided_at, closed_at) ELSE closed_at END
                             AS terminal_at FROM cases_in),
             timed AS (SELECT *, {times} FROM c),
             placed AS (SELECT *, {places} FROM timed),
             steps AS ({union})
        SELECT case_id, seq, event_id, action, NULL, to_state, occurred_at, department_code, deadline_at,
               deadline_met, ?, ?, origin_action, step
        FROM steps ORDER BY case_order, seq""", [mapping.origin_system, batch_id]).fetchone()
    return int(row[0]) if row else 0


# --- the cases ------------------------------------------------------------------------------------------------
TIME_COLUMNS = ("reported_at", "accepted_at", "registered_at", "dispatched_at", "handled_at", "checked_at",
                "closed_at", "voided_at", "step_registered_at", "step_dispatched_at", "step_handled_at",
                "handle_deadline_at")


def random_cases(n: int, seed: int, origin: str) -> pd.DataFrame:
    """Cases whose step times come from four instants or are missing (ties and steps out of order everywhere),
    every state, deadlines and verdicts given or not, ids with non-ASCII characters."""
    rng = np.random.default_rng(seed)
    instants = pd.to_datetime(["2026-03-01 08:00", "2026-03-01 09:30", "2026-03-02 08:00", "2026-02-27 17:00"])
    ids = [f"{'案' if k % 3 == 0 else ''}{seed}-{k}" for k in range(n)]
    frame = pd.DataFrame({"origin_case_id": ids, "case_id": [f"{origin}:{i}" for i in ids]})
    for column in TIME_COLUMNS:
        values = instants[rng.integers(0, len(instants), n)].to_numpy()
        missing = rng.random(n) < (0.02 if column == "reported_at" else 0.4)
        frame[column] = pd.Series(values).where(~missing).astype("datetime64[ns]")
    frame["status"] = rng.choice(STATES, n)
    frame["origin_status"] = pd.Series(rng.choice(["已结案", "作废", "处置中", ""], n)).where(rng.random(n) > 0.2, None)
    frame["department_code"] = pd.Series(rng.choice(["D1", "D2", "市政"], n)).where(rng.random(n) > 0.2, None)
    met = rng.choice(np.array([True, False, None], dtype=object), n)
    frame["handle_deadline_met"] = pd.Series(met, dtype=object)
    return frame


def edge_cases(origin: str) -> pd.DataFrame:
    """Every step before the report, all at one instant, nothing but the report, voided without a void time,
    rejected, open with a close time, closed without one."""
    t = pd.Timestamp
    rows = [
        ("a", "closed", t("2026-03-10 10:00"), t("2026-03-09"), t("2026-03-08"), t("2026-03-07"), t("2026-03-07")),
        ("b", "closed", t("2026-03-10 10:00"), t("2026-03-10 10:00"), t("2026-03-10 10:00"), t("2026-03-10 10:00"),
         t("2026-03-10 10:00")),
        ("c", "reported", t("2026-03-10 10:00"), pd.NaT, pd.NaT, pd.NaT, pd.NaT),
        ("d", "voided", t("2026-03-10 10:00"), pd.NaT, pd.NaT, pd.NaT, t("2026-03-11")),
        ("e", "rejected", t("2026-03-10 10:00"), pd.NaT, pd.NaT, pd.NaT, t("2026-03-10 11:00")),
        ("f", "dispatched", t("2026-03-10 10:00"), t("2026-03-10 10:00"), t("2026-03-10 10:00"), pd.NaT,
         t("2026-03-12")),
        ("g", "closed", t("2026-03-10 10:00"), t("2026-03-10 10:00"), t("2026-03-10 10:00"), t("2026-03-11"),
         pd.NaT),
    ]
    frame = pd.DataFrame(rows, columns=["origin_case_id", "status", "reported_at", "step_registered_at",
                                        "step_dispatched_at", "step_handled_at", "closed_at"])
    frame["case_id"] = origin + ":" + frame["origin_case_id"]
    for column in TIME_COLUMNS:
        if column not in frame:
            frame[column] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    frame["registered_at"] = frame["step_registered_at"].where(frame.index % 2 == 0)
    frame["handle_deadline_at"] = pd.Series(pd.Timestamp("2026-03-11 18:00"), index=frame.index).where(
        frame.index != 2)
    frame["origin_status"] = [None, "已结案", "待受理", "作废", "不予立案", "处置中", ""]
    frame["department_code"] = ["D1", None, "D1", "D2", None, "D1", "D1"]
    frame["handle_deadline_met"] = pd.Series([True, False, None, None, None, False, True], dtype=object)
    return frame


def _both_ways(cases: pd.DataFrame, mapping: LegacyMapping) -> tuple[pd.DataFrame, pd.DataFrame, int, int]:
    old, new = duckdb.connect(), duckdb.connect()
    migrate(old)
    migrate(new)
    n_old = events_as_rows(old, cases, mapping, "batch-1")
    n_new = insert_events_from_cases(new, cases, mapping, "batch-1")
    return old.execute(EVENTS).df(), new.execute(EVENTS).df(), n_old, n_new


def test_legacy_steps_read_back_as_the_event_rows_the_import_stored() -> None:
    mapping = load_mapping(MAPPINGS / "cn_anjuan.yaml")
    origin = mapping.origin_system
    cases = pd.concat([edge_cases(origin), random_cases(3000, 5, origin)], ignore_index=True)
    cases = cases.sample(frac=1, random_state=3).reset_index(drop=True)  # not in case_id order
    old, new, n_old, n_new = _both_ways(cases, mapping)
    assert n_new == n_old == len(old) > 10_000
    assert list(new.columns) == list(old.columns)
    assert new.dtypes.equals(old.dtypes)
    pd.testing.assert_frame_equal(new, old)
    # the edge cases, spelled out: steps before the report keep time order, one instant keeps step order
    a = new[new["case_id"] == f"{origin}:a"]
    assert a["action"].tolist() == ["feedback", "close", "dispatch", "register", "report"]
    b = new[new["case_id"] == f"{origin}:b"]
    assert b["action"].tolist() == ["report", "register", "dispatch", "feedback", "close"]
    assert b["event_id"].tolist() == [f"b:{s}" for s in ("report", "register", "dispatch", "feedback", "close")]
    assert new.loc[new["case_id"] == f"{origin}:e", "action"].tolist() == ["report", "reject"]


def test_the_stored_row_is_the_case_in_case_id_order_and_nothing_else_is_stored() -> None:
    mapping = load_mapping(MAPPINGS / "cn_anjuan.yaml")
    cases = random_cases(500, 9, mapping.origin_system).sample(frac=1, random_state=1)
    con = duckdb.connect()
    migrate(con)
    insert_events_from_cases(con, cases, mapping, "batch-1")
    stored = [r[0] for r in con.execute("SELECT case_id FROM core.case_event_legacy").fetchall()]  # scan order
    assert stored == sorted(cases["case_id"].tolist(), key=lambda s: s.encode())
    assert con.execute("SELECT count(*) FROM core.case_event_row").fetchone() == (0,)
    assert con.execute("SELECT * FROM core.case_event_load").fetchall() == [(1, mapping.origin_system, "batch-1")]
    assert "core.case_event_legacy" not in list_tables(con)  # fingerprinted as core.case_event


def test_a_legacy_reimport_replaces_its_load_and_a_delete_leaves_nothing(wh: Warehouse, tmp_path: Path) -> None:
    from synth.legacy_export import ExportSpec, legacy_export_frame

    path = tmp_path / "anjuan.csv"
    legacy_export_frame(ExportSpec("2026-03", cases=200, seed=4)).to_csv(path, index=False, encoding="utf-8")
    mapping = load_mapping(MAPPINGS / "cn_anjuan.yaml").model_copy(update={"encoding": "utf-8"})
    first = import_legacy(wh, path, mapping)
    with wh.writer() as con:
        before = con.execute(EVENTS).df()
    again = import_legacy(wh, path, mapping)
    assert again.events_loaded == first.events_loaded == len(before) > 0
    with wh.writer() as con:
        pd.testing.assert_frame_equal(con.execute(EVENTS).df(), before)
        assert con.execute("SELECT count(*), count(DISTINCT load_no) FROM core.case_event_legacy").fetchone() == (
            first.rows_loaded, 1)
        assert con.execute("SELECT batch_id FROM core.case_event_load").fetchall() == [(first.batch_id,)]
        assert _load_columns_read(con, "SELECT case_id, seq, action, occurred_at FROM core.case_event") == [
            "load_no"]
        assert _load_columns_read(con, "SELECT event_id FROM core.case_event") == ["load_no", "origin_system"]
        delete_batch(con, first.batch_id)
        assert con.execute("SELECT (SELECT count(*) FROM core.case_event_legacy),"
                           " (SELECT count(*) FROM core.case_event_load), (SELECT count(*) FROM core.case_event)"
                           ).fetchone() == (0, 0, 0)

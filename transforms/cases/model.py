"""The conformed case model: the columns of core.case / core.case_event and how a batch is written.

Every source (change feed, legacy export, synthetic Parquet) builds DataFrames with these columns and hands them
to :func:`replace_batch`, so "one case model whatever the source" is enforced in one place. core.case_event is a
view (migration 0102): events are written to core.case_event_row (every column as given; :data:`EVENT_TABLE`),
by the Parquet import to core.case_event_bulk (:data:`BULK_EVENT_COLUMNS`, the rest derived when read) and by the
legacy import to core.case_event_legacy (one row per case, its steps derived when read; migration 0105).
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd
import pyarrow as pa

from szcg.vocabulary import TERMINAL_STATES, CaseState, EventAction, Source

CASE_COLUMNS: tuple[str, ...] = (
    "case_id", "origin_system", "origin_case_id", "edition", "kind", "subclass_code", "source", "description",
    "reported_at", "reporter_id", "grid_code", "community_code", "street_code", "district_code", "lon", "lat",
    "department_code", "handling_class", "status", "closed_at", "flags", "batch_id",
    "origin_timezone", "origin_status", "origin_category", "origin_source", "origin_department", "address",
    "due_at", "area_method",
)
EVENT_COLUMNS: tuple[str, ...] = (
    "case_id", "seq", "event_id", "action", "from_state", "to_state", "occurred_at", "actor_id", "actor_role",
    "department_code", "district_code", "outcome", "deadline_at", "deadline_met", "overdue_multiple",
    "limit_hours", "limit_basis", "handbook_version", "comment", "origin_system", "batch_id",
    "origin_action", "step",
)
# Where events are stored (core.case_event reads both): every column as given, or a bulk file's columns only.
EVENT_TABLE = "core.case_event_row"
BULK_EVENT_TABLE = "core.case_event_bulk"
LEGACY_EVENT_TABLE = "core.case_event_legacy"
BULK_EVENT_COLUMNS: tuple[str, ...] = (
    "load_no", "case_id", "seq", "action", "from_state", "to_state", "occurred_at", "actor_id", "actor_role",
    "department_code", "deadline_at", "deadline_met", "step",
)
# The conformed model's words are the shared vocabulary's: the workflow's states are the case statuses.
STATUSES: tuple[str, ...] = tuple(CaseState)
TERMINAL_STATUSES: tuple[str, ...] = TERMINAL_STATES
ACTIONS: tuple[str, ...] = tuple(EventAction)
SOURCES: tuple[str, ...] = tuple(Source)


def conform(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """The frame with exactly ``columns`` in order (missing ones NULL): what the INSERT expects."""
    out = frame.reindex(columns=list(columns))
    return out


def _scannable(frame: pd.DataFrame) -> pa.Table:
    """The frame as Arrow: DuckDB reads an Arrow table column by column in C, where it converts a pandas object
    column (text, NULLs) value by value — most of a large legacy import's insert time."""
    return pa.Table.from_pandas(frame, preserve_index=False)


def delete_events(con: duckdb.DuckDBPyConnection, batch_id: str) -> None:
    """Every event of the batch, in whichever table it is stored (a bulk or legacy load's batch is its
    core.case_event_load)."""
    con.execute(f"DELETE FROM {EVENT_TABLE} WHERE batch_id = ?", [batch_id])
    loads = "SELECT load_no FROM core.case_event_load WHERE batch_id = ?"
    con.execute(f"DELETE FROM {BULK_EVENT_TABLE} WHERE load_no IN ({loads})", [batch_id])
    con.execute(f"DELETE FROM {LEGACY_EVENT_TABLE} WHERE load_no IN ({loads})", [batch_id])
    con.execute("DELETE FROM core.case_event_load WHERE batch_id = ?", [batch_id])


def delete_batch(con: duckdb.DuckDBPyConnection, batch_id: str) -> None:
    delete_events(con, batch_id)
    con.execute('DELETE FROM core."case" WHERE batch_id = ?', [batch_id])


def insert_cases(con: duckdb.DuckDBPyConnection, cases: pd.DataFrame) -> None:
    if cases.empty:
        return
    frame = _scannable(conform(cases, CASE_COLUMNS))  # noqa: F841 — read by DuckDB's replacement scan
    cols = ", ".join(CASE_COLUMNS)
    con.execute(f'INSERT INTO core."case" ({cols}) SELECT {cols} FROM frame ORDER BY case_id')


def insert_events(con: duckdb.DuckDBPyConnection, events: pd.DataFrame) -> None:
    if events.empty:
        return
    frame = _scannable(conform(events, EVENT_COLUMNS))  # noqa: F841 — read by DuckDB's replacement scan
    cols = ", ".join(EVENT_COLUMNS)
    con.execute(f"INSERT INTO {EVENT_TABLE} ({cols}) SELECT {cols} FROM frame ORDER BY case_id, seq")


def replace_batch(con: duckdb.DuckDBPyConnection, batch_id: str, cases: pd.DataFrame, events: pd.DataFrame) -> None:
    """Delete this batch's cases and events, insert the new ones (call inside the load's transaction)."""
    delete_batch(con, batch_id)
    insert_cases(con, cases)
    insert_events(con, events)

"""Every row that enters is accounted for: loaded, or quarantined with its reason.

Loads call :func:`record_load` inside the same transaction that writes their rows, so the ledger and the data
can never disagree; the table's CHECK constraint makes rows_in = rows_loaded + rows_quarantined unbreakable.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from szcg import clock
from szcg.errors import RowProblem


@dataclass(frozen=True)
class LoadCount:
    batch_id: str
    target: str
    rows_in: int
    rows_loaded: int
    rows_quarantined: int


def replace_quarantine(
    con: duckdb.DuckDBPyConnection,
    batch_id: str,
    target: str,
    problems: Iterable[RowProblem],
    raw_records: Mapping[int, Mapping[str, Any]] | None = None,
) -> int:
    """Replace this batch's quarantine rows for ``target`` (idempotent re-runs); returns distinct rows rejected."""
    raw_records = raw_records or {}
    con.execute("DELETE FROM quarantine.rejected_row WHERE batch_id = ? AND target = ?", [batch_id, target])
    rows = [
        {
            "batch_id": batch_id,
            "target": target,
            "file_name": p.file,
            "row_number": p.row_number,
            "field": p.field,
            "rule": p.rule,
            "message": p.message,
            "raw_record": json.dumps(raw_records.get(p.row_number), ensure_ascii=False, default=str, sort_keys=True)
            if p.row_number in raw_records
            else None,
        }
        for p in problems
    ]
    if not rows:
        return 0
    frame = pd.DataFrame(rows)  # noqa: F841 — read by DuckDB's replacement scan below
    con.execute(
        "INSERT INTO quarantine.rejected_row SELECT batch_id, target, file_name, row_number, field, rule, message,"
        " CAST(raw_record AS JSON) FROM frame ORDER BY row_number, field, rule"
    )
    return len({r["row_number"] for r in rows})


def record_load(con: duckdb.DuckDBPyConnection, count: LoadCount, detail: Mapping[str, Any] | None = None) -> None:
    """Write the batch's ledger line (replacing a previous run's) — call inside the load's transaction."""
    if count.rows_in != count.rows_loaded + count.rows_quarantined:
        raise AssertionError(
            f"{count.batch_id} → {count.target}: rows in {count.rows_in} ≠ loaded {count.rows_loaded}"
            f" + quarantined {count.rows_quarantined}; a row was lost"
        )
    previous = con.execute(
        "SELECT loaded_at, rows_in, rows_loaded, rows_quarantined, detail FROM landing.load"
        " WHERE batch_id = ? AND target = ?",
        [count.batch_id, count.target],
    ).fetchone()
    detail_json = json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, default=str)
    # Keep the first load time when nothing changed, so a re-run leaves the warehouse byte-identical.
    unchanged = previous is not None and tuple(previous[1:4]) == (
        count.rows_in,
        count.rows_loaded,
        count.rows_quarantined,
    )
    loaded_at = previous[0] if unchanged and previous is not None else clock.now().replace(microsecond=0)
    con.execute("DELETE FROM landing.load WHERE batch_id = ? AND target = ?", [count.batch_id, count.target])
    con.execute(
        "INSERT INTO landing.load VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            count.batch_id,
            count.target,
            count.rows_in,
            count.rows_loaded,
            count.rows_quarantined,
            loaded_at,
            detail_json,
        ],
    )

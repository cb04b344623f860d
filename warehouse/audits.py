"""Audits run on a freshly built snapshot before readers are switched to it (write–audit–publish).

An audit takes a read-only connection to the candidate snapshot and returns problems (empty list = pass).
The wiring module (``usecases.wiring``) registers the areas' audits with :func:`register_audit`; a failing audit
keeps the previous snapshot current.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from warehouse.areas import require_wired
from warehouse.migrate import available_migrations, schema_version

Audit = Callable[[duckdb.DuckDBPyConnection], list[str]]
_REGISTRY: dict[str, Audit] = {}


def register_audit(name: str) -> Callable[[Audit], Audit]:
    def decorate(func: Audit) -> Audit:
        _REGISTRY[name] = func
        return func

    return decorate


def registered_audits() -> dict[str, Audit]:
    require_wired()  # the areas' audits are registered by usecases.wiring (warehouse.areas)
    return dict(_REGISTRY)


@register_audit("schema_is_current")
def schema_is_current(con: duckdb.DuckDBPyConnection) -> list[str]:
    latest = max((m.version for m in available_migrations()), default=0)
    found = schema_version(con)
    return [] if found == latest else [f"snapshot schema version {found}, code expects {latest}"]


@register_audit("row_accounting")
def row_accounting(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT batch_id, target, rows_in, rows_loaded, rows_quarantined FROM landing.load"
        " WHERE rows_in <> rows_loaded + rows_quarantined"
    ).fetchall()
    problems = [f"{b} → {t}: in {i} ≠ loaded {lo} + quarantined {q}" for b, t, i, lo, q in rows]
    orphans = con.execute(
        "SELECT DISTINCT l.batch_id FROM landing.load l"
        " LEFT JOIN landing.landed_file f USING (batch_id) WHERE f.batch_id IS NULL"
    ).fetchall()
    problems += [f"load of batch {r[0]} has no landed file" for r in orphans]
    return problems


@register_audit("quarantine_matches_ledger")
def quarantine_matches_ledger(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT l.batch_id, l.target, l.rows_quarantined, count(DISTINCT q.row_number)"
        " FROM landing.load l LEFT JOIN quarantine.rejected_row q USING (batch_id, target)"
        " GROUP BY ALL HAVING l.rows_quarantined <> count(DISTINCT q.row_number)"
    ).fetchall()
    return [f"{b} → {t}: ledger says {n} quarantined, quarantine holds {m} rows" for b, t, n, m in rows]

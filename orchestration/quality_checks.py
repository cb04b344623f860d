"""The nightly re-check of the *published* warehouse: referential integrity, grid coverage, late data.

Reads the snapshot readers see (never the work database, so it never waits for or blocks a writer), writes
``reports/quality/<date>.json`` and ``.md``, and returns the problems; :func:`fail_on_problems` turns them into
a task failure that lists every one. Thresholds live in ``orchestration/quality.yaml``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import duckdb
from pydantic import Field

from szcg import clock
from szcg.configmodel import ConfigModel, load_yaml
from szcg.errors import SzcgError
from szcg.settings import Settings

CONFIG = Path(__file__).with_name("quality.yaml")


class QualityProblems(SzcgError):
    """The published warehouse failed the nightly quality checks."""


@dataclass(frozen=True)
class Thresholds:
    late_data_hours: dict[str, float]
    min_case_grid_share: float
    examples_per_check: int


class ThresholdsFile(ConfigModel):
    """``quality.yaml`` as written."""

    # source → positive hours; only the sources the check knows (LATEST): another would be checked by nothing
    late_data_hours: dict[Literal["case_event", "hotline_call", "component"], Annotated[float, Field(gt=0)]] = Field(
        min_length=1)
    min_case_grid_share: float = Field(ge=0, le=1)
    examples_per_check: int = Field(default=10, ge=0)


def load_thresholds(path: Path = CONFIG) -> Thresholds:
    data = load_yaml(ThresholdsFile, path)
    return Thresholds({str(k): v for k, v in data.late_data_hours.items()}, data.min_case_grid_share,
                      data.examples_per_check)


# (check name, SQL returning offending keys, what it means). Each query's first column identifies the offender.
REFERENCES: tuple[tuple[str, str, str], ...] = (
    (
        "case_event→case",
        'SELECT DISTINCT e.case_id FROM core.case_event e ANTI JOIN core."case" c USING (case_id)',
        "events of cases that don't exist",
    ),
    (
        "case→grid",
        'SELECT c.case_id FROM core."case" c WHERE c.grid_code IS NOT NULL'
        " AND c.grid_code NOT IN (SELECT grid_code FROM core.grid)",
        "cases in grids that don't exist",
    ),
    (
        "case→department",
        'SELECT c.case_id FROM core."case" c WHERE c.department_code IS NOT NULL'
        " AND c.department_code NOT IN (SELECT code FROM core.department)",
        "cases dispatched to departments that don't exist",
    ),
    (
        "component→grid",
        "SELECT DISTINCT m.component_id FROM core.component m WHERE m.valid_to IS NULL AND m.grid_code IS NOT NULL"
        " AND m.grid_code NOT IN (SELECT grid_code FROM core.grid)",
        "components in grids that don't exist",
    ),
    (
        "component→subclass",
        "SELECT DISTINCT m.component_id FROM core.component m WHERE m.valid_to IS NULL AND NOT EXISTS (SELECT 1"
        " FROM core.subclass s WHERE s.edition = m.edition AND s.kind = 'component' AND s.code = m.subclass_code)"
        " AND EXISTS (SELECT 1 FROM core.subclass)",
        "components of subclasses missing from the catalogue",
    ),
    (
        "hotline_call→case",
        "SELECT h.call_id FROM core.hotline_call h WHERE h.case_id IS NOT NULL AND h.case_id NOT IN"
        ' (SELECT case_id FROM core."case")',
        "hotline calls linked to cases that don't exist",
    ),
)

LATEST: dict[str, str] = {
    "case_event": "SELECT max(occurred_at) FROM core.case_event",
    "hotline_call": "SELECT max(called_at) FROM core.hotline_call",
    "component": "SELECT max(valid_from) FROM core.component",
}


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return con.execute(sql).fetchall()


def check_references(con: duckdb.DuckDBPyConnection, t: Thresholds) -> list[str]:
    problems = []
    for name, sql, meaning in REFERENCES:
        offenders = [str(r[0]) for r in _rows(con, sql)]
        if offenders:
            shown = ", ".join(offenders[: t.examples_per_check])
            more = f" (+{len(offenders) - t.examples_per_check} more)" if len(offenders) > t.examples_per_check else ""
            problems.append(f"{name}: {len(offenders)} {meaning}: {shown}{more}")
    return problems


def check_grid_coverage(con: duckdb.DuckDBPyConnection, t: Thresholds) -> list[str]:
    problems = []
    grids = _rows(con, "SELECT count(*) FROM core.grid WHERE valid_to IS NULL")[0][0]
    if grids == 0:
        return ["grid coverage: no current grids published (load them with `szcg grids load`)"]
    empty = [
        str(r[0])
        for r in _rows(
            con,
            "SELECT a.code FROM core.admin_area a WHERE a.level = 'community' AND a.valid_to IS NULL"
            " AND a.code NOT IN (SELECT community_code FROM core.grid WHERE valid_to IS NULL) ORDER BY 1",
        )
    ]
    if empty:
        problems.append(f"grid coverage: {len(empty)} communities without grids: {', '.join(empty[:10])}")
    located, gridded = _rows(
        con,
        'SELECT count(*), count(grid_code) FROM core."case" WHERE lon IS NOT NULL AND lat IS NOT NULL'
        " AND lon <> 0 AND lat <> 0",
    )[0]
    if located and gridded / located < t.min_case_grid_share:
        problems.append(
            f"grid coverage: {located - gridded} of {located} located cases have no grid"
            f" ({gridded / located:.1%} < {t.min_case_grid_share:.0%})"
        )
    return problems


def check_late_data(con: duckdb.DuckDBPyConnection, t: Thresholds, as_of: datetime) -> list[str]:
    problems = []
    for source, hours in t.late_data_hours.items():
        latest = _rows(con, LATEST[source])[0][0]
        if latest is None:
            continue  # a source this installation doesn't load yet is not late, it's absent (see row counts)
        age = as_of - latest
        if age > timedelta(hours=hours):
            problems.append(
                f"late data: newest {source} is {latest:%Y-%m-%d %H:%M}, {age.total_seconds() / 3600:.0f} h before"
                f" {as_of:%Y-%m-%d %H:%M} (limit {hours:g} h)"
            )
    return problems


def inspect(con: duckdb.DuckDBPyConnection, as_of: datetime, t: Thresholds | None = None) -> dict[str, list[str]]:
    t = t or load_thresholds()
    return {
        "referential_integrity": check_references(con, t),
        "grid_coverage": check_grid_coverage(con, t),
        "late_data": check_late_data(con, t, as_of),
    }


def _as_of_cst(logical_date: datetime | None) -> datetime:
    """Naive CST wall clock (the warehouse's time), as a plain datetime even when Airflow hands us pendulum."""
    local = clock.now() if logical_date is None else clock.to_cst(logical_date)
    return datetime(local.year, local.month, local.day, local.hour, local.minute, local.second)


def inspect_published(run_id: str, logical_date: datetime | None = None, *, settings: Settings) -> dict[str, Any]:
    """Check the published snapshot as of ``logical_date`` (CST) and write the quality report."""
    from warehouse.store import Warehouse

    as_of = _as_of_cst(logical_date)
    wh = Warehouse(settings)
    with wh.reader() as con:
        snapshot = str(wh.published_path().parent.name)
        found = inspect(con, as_of)
    out_dir = settings.data_dir / "reports" / "quality"
    out_dir.mkdir(parents=True, exist_ok=True)
    body = {"run_id": run_id, "as_of": as_of.isoformat(), "snapshot": snapshot, "problems": found}
    stem = out_dir / f"{as_of:%Y-%m-%d}"
    stem.with_suffix(".json").write_text(json.dumps(body, ensure_ascii=False, indent=2), encoding="utf-8")
    lines = [f"# Warehouse quality {as_of:%Y-%m-%d %H:%M} (snapshot {snapshot})", ""]
    for check, problems in found.items():
        lines.append(f"## {check}: {'OK' if not problems else f'{len(problems)} problem(s)'}")
        lines += [f"- {p}" for p in problems]
        lines.append("")
    stem.with_suffix(".md").write_text("\n".join(lines), encoding="utf-8")
    return {**body, "report": str(stem.with_suffix(".md"))}


def fail_on_problems(found: dict[str, Any]) -> None:
    problems = [f"{check}: {p}" for check, items in found["problems"].items() for p in items]
    if problems:
        raise QualityProblems(
            f"published snapshot {found['snapshot']} has {len(problems)} quality problem(s)"
            f" (report {found['report']}):\n  " + "\n  ".join(problems)
        )

"""What the survey team's pages show, read from the warehouse: upload records, batch reports, history, and the
quarantined rows as a workbook.

Records and the ledger are read from the published snapshot (read-only). A batch's page report is assembled
once, by the worker right after the ingest (from the work database, under the writer lock), and kept as JSON under
``<data>/portal/census/reports/<upload id>.json``: counts from the use case's outcome, reasons and problems from
the quarantine, the map from the points and the diff the batch report wrote beside itself (Parquet).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from szcg.privacy import ID_TOKEN, PHONE_TOKEN, scrub_text
from szcg.settings import Settings

if TYPE_CHECKING:
    from portal.census_jobs import CensusJob

TARGET = "core.component"
UPLOAD_ID = re.compile(r"^[0-9a-f]{24}$")
PROBLEMS_SHOWN = 300
DIFF_SHOWN = 300
CHANGE_NAMES = {"new": "新增", "changed": "变更", "missing": "本批未出现"}
# Columns whose header says they hold a person's data: never shown or exported unmasked.
_PERSONAL_COLUMN = re.compile(r"联系人|联系方式|电话|手机|姓名|身份证|调查员|普查员|phone|tel|mobile|contact|idcard",
                              re.IGNORECASE)
_DIGITS_PERSONAL = ((re.compile(r"(?:\+?86)?1[3-9]\d{9}"), PHONE_TOKEN),
                    (re.compile(r"\d{17}[\dXx]"), ID_TOKEN))


@dataclass(frozen=True)
class UploadRecord:
    upload_id: str
    batch_id: str
    district_code: str
    mapping: str | None
    file_name: str
    size_bytes: int
    uploaded_by: str
    uploaded_at: dt.datetime
    corrects: str | None
    rows_in: int | None = None
    rows_loaded: int | None = None
    rows_quarantined: int | None = None


def reports_dir(settings: Settings) -> Path:
    return settings.data_dir / "portal" / "census" / "reports"


_RECORD_SQL = (
    "SELECT u.upload_id, u.batch_id, u.district_code, u.mapping, u.file_name, u.size_bytes, u.uploaded_by,"
    " u.uploaded_at, u.corrects, l.rows_in, l.rows_loaded, l.rows_quarantined FROM landing.census_upload u"
    " LEFT JOIN landing.load l ON l.batch_id = u.batch_id AND l.target = 'core.component'")


@contextmanager
def published(settings: Settings) -> Iterator[Any]:
    """A read-only connection to the published snapshot, or None when nothing is published yet or the snapshot
    predates the uploads table (migration 0090)."""
    import duckdb

    from warehouse.store import NothingPublished, Warehouse

    try:
        path = Warehouse(settings).published_path()
    except NothingPublished:
        yield None
        return
    con = duckdb.connect(str(path), read_only=True)
    try:
        try:
            con.execute("SELECT 1 FROM landing.census_upload LIMIT 0")
        except duckdb.CatalogException:
            yield None
            return
        yield con
    finally:
        con.close()


def find_upload(settings: Settings, upload_id: str) -> UploadRecord | None:
    if not UPLOAD_ID.match(upload_id):
        return None
    with published(settings) as con:
        row = con.execute(_RECORD_SQL + " WHERE u.upload_id = ?", [upload_id]).fetchone() if con else None
    return UploadRecord(*row) if row else None


def history(settings: Settings, districts: tuple[str, ...] | None, limit: int = 200) -> list[UploadRecord]:
    """The uploads of ``districts`` (None: every district), newest first."""
    with published(settings) as con:
        if con is None:
            return []
        if districts is None:
            rows = con.execute(_RECORD_SQL + " ORDER BY u.uploaded_at DESC, u.upload_id LIMIT ?", [limit]).fetchall()
        else:
            rows = con.execute(_RECORD_SQL + " WHERE list_contains(?, u.district_code)"
                               " ORDER BY u.uploaded_at DESC, u.upload_id LIMIT ?", [list(districts), limit]).fetchall()
    return [UploadRecord(*r) for r in rows]


def _report_file(settings: Settings, upload_id: str) -> Path:
    return reports_dir(settings) / f"{upload_id}.json"


def load_report(settings: Settings, upload_id: str) -> dict[str, Any] | None:
    path = _report_file(settings, upload_id)
    if not UPLOAD_ID.match(upload_id) or not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def record_and_report(settings: Settings, job: CensusJob, outcome: Any) -> dict[str, Any]:
    """Write the upload's record (``landing.census_upload``) and assemble the page's report of ``job`` from its
    outcome and the work database, in one writer session right after the ingest (before the publish, which
    carries the record to readers); the report is kept as JSON."""
    import pandas as pd

    from census_loaders.report import map_extent
    from portal import census_map
    from usecases.census import default_report_dir
    from warehouse.store import Warehouse

    reasons: dict[int, str] = {}  # row number → its first reason, the title of its cross on the map
    with Warehouse(settings).writer() as con:
        con.execute("INSERT INTO landing.census_upload VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [job.upload_id, job.batch_id, job.district_code, job.mapping, job.file_name, job.size_bytes,
                     job.uploaded_by, job.uploaded_at, job.corrects])
        by_rule = [{"rule": r, "field": f, "rows": int(n), "message": m} for r, f, n, m in con.execute(
            "SELECT rule, arg_min(field, row_number), count(DISTINCT row_number), arg_min(message, row_number)"
            " FROM quarantine.rejected_row WHERE batch_id = ? AND target = ? GROUP BY rule ORDER BY 3 DESC, 1",
            [job.batch_id, TARGET]).fetchall()]
        total = con.execute("SELECT count(*) FROM quarantine.rejected_row WHERE batch_id = ? AND target = ?",
                            [job.batch_id, TARGET]).fetchone()
        problems_total = int(total[0]) if total else 0
        rows = con.execute(
            "SELECT row_number, field, rule, message FROM quarantine.rejected_row WHERE batch_id = ? AND target = ?"
            " ORDER BY row_number, field, rule", [job.batch_id, TARGET]).fetchall()
        for number, _field, _rule, message in rows:
            reasons.setdefault(int(number), str(message))
        problems = [{"row": int(r[0]), "field": r[1], "rule": r[2], "message": r[3]} for r in rows[:PROBLEMS_SHOWN]]
        grid_rows = [(str(c), str(w)) for c, w in con.execute(
            "SELECT grid_code, geometry_wkt FROM core.grid WHERE valid_to IS NULL AND district_code = ?"
            " ORDER BY grid_code", [job.district_code]).fetchall()]
    data_dir = default_report_dir(settings)
    points_path = data_dir / f"{job.batch_id}.points.parquet"
    diff_path = data_dir / f"{job.batch_id}.diff.parquet"
    figure = None
    if points_path.is_file():
        points = pd.read_parquet(points_path)
        if len(points):
            extent = map_extent(points)
            fig = census_map.draw(points, reasons, census_map.grids_around(grid_rows, extent), extent)
            figure = {"svg": fig.svg, "loaded": fig.loaded, "quarantined": fig.quarantined,
                      "quarantined_drawn": fig.quarantined_drawn, "off_map": fig.off_map, "grids": fig.grids}
    diff_rows: list[dict[str, Any]] = []
    diff_counts: dict[str, int] = {}
    if diff_path.is_file():
        diff = pd.read_parquet(diff_path)
        diff_counts = {str(k): int(v) for k, v in diff["change"].value_counts().items()}
        for rec in diff.sort_values("row_number", na_position="last").head(DIFF_SHOWN).to_dict("records"):
            diff_rows.append({"change": CHANGE_NAMES.get(str(rec["change"]), str(rec["change"])),
                              "row": None if pd.isna(rec["row_number"]) else int(rec["row_number"]),
                              "component_id": rec["component_id"], "subclass_code": rec["subclass_code"],
                              "name": _masked(str(rec["name"])) if rec["name"] is not None else "",
                              "grid_code": rec["grid_code"] or "", "previous_state": rec["previous_state"] or "",
                              "state": rec["state"] or ""})
    report = {
        "upload_id": job.upload_id, "batch_id": job.batch_id, "district_code": job.district_code,
        "file_name": job.file_name, "rows_in": outcome.rows_in, "rows_loaded": outcome.rows_loaded,
        "rows_quarantined": outcome.rows_quarantined, "new": outcome.new, "changed": outcome.changed,
        "unchanged": outcome.unchanged, "missing": outcome.missing, "grids_assigned": outcome.grids_assigned,
        "already_loaded": outcome.already_loaded, "rejected": outcome.rejected, "encoding": outcome.encoding,
        "mapping": outcome.mapping, "crs": outcome.crs, "gcj02": outcome.gcj02, "notes": list(outcome.notes),
        "by_rule": by_rule, "problems": problems, "problems_total": problems_total, "map": figure,
        "diff": diff_rows, "diff_counts": diff_counts, "full_report_xlsx": (outcome.report or {}).get("xlsx"),
    }
    path = _report_file(settings, job.upload_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(report, ensure_ascii=False, default=str), encoding="utf-8")
    tmp.replace(path)
    return report


_CODE_LIKE = re.compile(r"[0-9A-Za-z._:/+\-]+")


def _masked(value: str) -> str:
    """A survey value shown or exported. A code-like value (identifiers, grid codes, coordinates, dates — the team
    must see a wrong one to fix it) is masked only when it is a whole phone or ID number; free text is scrubbed."""
    if _CODE_LIKE.fullmatch(value):
        for pattern, token in _DIGITS_PERSONAL:
            if pattern.fullmatch(value):
                return token
        return value
    return scrub_text(value)


def masked_record(record: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column, value in record.items():
        if value is None:
            out[column] = None
        elif _PERSONAL_COLUMN.search(column):
            out[column] = "[已脱敏]"
        else:
            out[column] = _masked(str(value)) if isinstance(value, str) else value
    return out


def quarantine_workbook(settings: Settings, batch_id: str, target: Path) -> int:
    """Write the batch's quarantined rows as delivered (personal data masked) to ``target`` (XLSX): sheet 隔离行
    (one line per row, its reasons first, then the file's own columns) and sheet 问题清单 (one line per problem).
    Returns the number of rows. Streams with openpyxl's write-only mode: a million-row quarantine fits."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    rows: dict[int, dict[str, Any]] = {}
    reasons: dict[int, list[str]] = {}
    problems: list[tuple[int, str, str, str]] = []
    with published(settings) as con:
        quarantined = con.execute(
            "SELECT row_number, field, rule, message, raw_record::VARCHAR FROM quarantine.rejected_row"
            " WHERE batch_id = ? AND target = ? ORDER BY row_number, field, rule", [batch_id, TARGET]
        ).fetchall() if con is not None else []
    for row_number, field_name, rule, message, raw in quarantined:
        number = int(row_number)
        problems.append((number, str(field_name), str(rule), str(message)))
        reasons.setdefault(number, []).append(f"{field_name}：{message}")
        if raw and number not in rows:
            rows[number] = masked_record(json.loads(raw))
    columns: list[str] = []
    for record in rows.values():
        columns += [c for c in record if c not in columns and not c.startswith("__")]
    book = Workbook(write_only=True)
    sheet = book.create_sheet("隔离行")

    def line(ws: Any, values: list[Any]) -> list[Any]:
        cells = []
        for value in values:
            cell = WriteOnlyCell(ws, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # survey text beginning with '=' stays text, never a formula
            cells.append(cell)
        return cells

    sheet.append(line(sheet, ["行号", "隔离原因", *columns]))
    for number in sorted(reasons):
        record = rows.get(number, {})
        sheet.append(line(sheet, [number, "；".join(reasons[number]), *[record.get(c) for c in columns]]))
    listing = book.create_sheet("问题清单")
    listing.append(line(listing, ["行号", "字段", "规则", "说明"]))
    for problem in problems:
        listing.append(line(listing, list(problem)))
    book.save(target)
    return len(reasons)

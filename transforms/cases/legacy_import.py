"""``szcg cases import PATH --mapping FILE``: a legacy case system's export into the conformed case model.

What the export says is kept (origin id, status, category, channel, agency, local wall-clock times and their
zone); what it does not say stays NULL. Defects are not fixed: a row that cannot be a case (no id, no report
time, a duplicate id) goes to quarantine with its reason; a case with a defect is loaded with a flag in
core.case.flags (closed_before_opened, zero_coordinates, missing_coordinates, unknown_category, unknown_status,
missing_deadline, closed_without_close_time, close_time_on_open_case, bad_closed_at, bad_due_at, no_grid_match,
possible_duplicate).
Free text (description, address) is scrubbed of phone numbers, ID-card numbers and self-introduced names
(szcg.privacy), in core and in the quarantine's raw records alike.
Events are synthesised only from the export's timestamps: ``report`` at the creation time and the terminal
action (close / void / reject) at the close time.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from szcg.errors import InputRejected, RowProblem
from transforms.cases.areas import resolve_areas
from transforms.cases.mapping import LegacyMapping
from transforms.cases.model import TERMINAL_STATUSES, replace_batch
from transforms.cases.scrub import scrub_json, scrub_series
from warehouse.accounting import LoadCount, record_load, replace_quarantine
from warehouse.store import Warehouse
from warehouse.transaction import transaction

TARGET = "core.case"
EVENT_TARGET = "core.case_event"
_OFFSET = re.compile(r"(?:[+-]\d{2}:?\d{2}|Z)$")
TERMINAL_ACTION = {"closed": "close", "voided": "void", "rejected": "reject"}


@dataclass
class ImportResult:
    batch_id: str
    file: str
    origin_system: str
    rows_in: int
    rows_loaded: int
    rows_quarantined: int
    events_loaded: int
    flags: dict[str, int] = field(default_factory=dict)
    quarantine_rules: dict[str, int] = field(default_factory=dict)
    already_landed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def read_export(path: Path, mapping: LegacyMapping) -> pd.DataFrame:
    """The export as text, exactly as written (no NA guessing); refuses an export missing a mapped column."""
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=mapping.encoding,
                          sep=mapping.delimiter, quoting=csv.QUOTE_MINIMAL)
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputRejected(f"{path}: cannot be read as {mapping.encoding} CSV: {exc}",
                            [RowProblem(path.name, 0, "(file)", "readable_csv", str(exc))]) from None
    missing = [c for c in mapping.source_columns() if c not in raw.columns]
    if missing:
        problems = [RowProblem(path.name, 0, c, "column_present",
                               f"column {c!r} named in {Path(mapping.file).name} is not in the export")
                    for c in missing]
        raise InputRejected(
            f"{path}: columns {missing} of mapping {mapping.file} not found (schema drift? the export has"
            f" {list(raw.columns)[:12]}…)", problems)
    return raw


def parse_times(values: pd.Series, mapping: LegacyMapping) -> tuple[pd.Series, pd.Series]:
    """Wall-clock times in the mapping's zone (naive) and a mask of values that were given but unreadable."""
    text = values.astype(str).str.strip()
    given = text != ""
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    has_offset = given & text.str.contains(_OFFSET)
    if has_offset.any():
        if mapping.offsets == "ignore":  # the offset is known to be wrong: the digits are local wall clock
            text = text.where(~has_offset, text.str.replace(_OFFSET, "", regex=True))
        else:
            instants = pd.to_datetime(text[has_offset], utc=True, errors="coerce", format="ISO8601")
            local = instants.dt.tz_convert(mapping.timezone).dt.tz_localize(None)
            result.loc[has_offset] = local.astype("datetime64[ns]")
            given = given & ~has_offset
    for fmt in mapping.timestamp_formats:
        todo = given & result.isna()
        if not todo.any():
            break
        parsed = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        result.loc[todo] = parsed.astype("datetime64[ns]")
    bad = (values.astype(str).str.strip() != "") & result.isna()
    return result, bad


def _joined(raw: pd.DataFrame, columns: list[str] | None) -> pd.Series:
    if not columns:
        return pd.Series([None] * len(raw), index=raw.index, dtype=object)
    parts = [raw[c].astype(str).str.strip() for c in columns]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined.where(part == "", joined.where(joined == "", joined + " / ") + part)
    return joined.where(joined != "", None)


def _lookup_category(value: str | None, mapping: LegacyMapping) -> tuple[str | None, str | None, bool]:
    """(kind, code, known): exact value first, then shorter ' / ' prefixes (type before type / descriptor)."""
    if value is None:
        return mapping.category_fallback.kind, mapping.category_fallback.code, False
    parts = value.split(" / ")
    for n in range(len(parts), 0, -1):
        found = mapping.categories.get(" / ".join(parts[:n]))
        if found is not None:
            return found.kind, found.code, True
    return mapping.category_fallback.kind, mapping.category_fallback.code, False


def _coordinates(raw: pd.DataFrame, mapping: LegacyMapping) -> tuple[pd.Series, pd.Series, dict[str, pd.Series]]:
    """lon/lat (WGS84) and defect masks: zero, missing, unreadable, out of range."""
    n = len(raw)
    if not (mapping.x and mapping.y):
        nan = pd.Series(np.nan, index=raw.index)
        return nan, nan, {"missing_coordinates": pd.Series(True, index=raw.index)}
    xs, ys = raw[mapping.x].astype(str).str.strip(), raw[mapping.y].astype(str).str.strip()
    x = pd.to_numeric(xs, errors="coerce")
    y = pd.to_numeric(ys, errors="coerce")
    blank = (xs == "") | (ys == "")
    unreadable = ~blank & (x.isna() | y.isna())
    zero = ~blank & ~unreadable & (x == 0) & (y == 0)
    if not mapping.zero_coordinates_missing:
        zero = pd.Series(False, index=raw.index)
    usable = ~blank & ~unreadable & ~zero
    lon = pd.Series(np.nan, index=raw.index)
    lat = pd.Series(np.nan, index=raw.index)
    if usable.any():
        if mapping.crs in ("EPSG:4326", "EPSG:4490"):
            lon[usable], lat[usable] = x[usable], y[usable]
        else:
            from pyproj import Transformer

            tf = Transformer.from_crs(mapping.crs, "EPSG:4326", always_xy=True)
            tx, ty = tf.transform(x[usable].to_numpy(), y[usable].to_numpy())
            lon[usable], lat[usable] = tx, ty
    out_of_range = usable & ~(lon.between(-180, 180) & lat.between(-90, 90))
    lon[out_of_range] = np.nan
    lat[out_of_range] = np.nan
    assert len(lon) == n
    return lon, lat, {
        "missing_coordinates": blank,
        "zero_coordinates": zero,
        "bad_coordinates": unreadable | out_of_range,
    }


@dataclass
class Conformed:
    cases: pd.DataFrame
    events: pd.DataFrame
    problems: list[RowProblem]
    quarantined_rows: set[int]


def conform_export(raw: pd.DataFrame, mapping: LegacyMapping, file_name: str, batch_id: str) -> Conformed:
    """Map an export onto the case model; quarantine what cannot be a case, flag what is defective."""
    from quality.cases import legacy_case_suite
    from quality.gx import run_suite

    col = mapping.columns
    frame = pd.DataFrame(index=raw.index)
    frame["row_number"] = np.arange(1, len(raw) + 1)
    origin_id = raw[col["origin_case_id"][0]].astype(str).str.strip()
    frame["origin_case_id"] = origin_id.where(origin_id != "", None)
    frame["origin_system"] = mapping.origin_system
    frame["case_id"] = mapping.origin_system + ":" + frame["origin_case_id"].fillna("")
    flags: dict[str, pd.Series] = {}
    frame["reported_at"], bad_reported = parse_times(raw[col["reported_at"][0]], mapping)
    closed_col = col.get("closed_at")
    if closed_col:
        frame["closed_at"], flags["bad_closed_at"] = parse_times(raw[closed_col[0]], mapping)
    else:
        frame["closed_at"] = pd.NaT
    due_col = col.get("due_at")
    if due_col:
        frame["due_at"], flags["bad_due_at"] = parse_times(raw[due_col[0]], mapping)
    else:
        frame["due_at"] = pd.NaT
    frame["origin_timezone"] = mapping.timezone
    frame["origin_status"] = _joined(raw, col.get("status"))
    frame["status"] = frame["origin_status"].map(mapping.statuses).astype(object)
    flags["unknown_status"] = frame["status"].isna()
    frame["status"] = frame["status"].fillna(mapping.status_fallback)
    frame["origin_category"] = _joined(raw, col.get("category"))
    looked = [_lookup_category(v, mapping) for v in frame["origin_category"]]
    frame["kind"] = [k for k, _, _ in looked]
    frame["subclass_code"] = [c for _, c, _ in looked]
    flags["unknown_category"] = pd.Series([not known for _, _, known in looked], index=raw.index)
    frame["edition"] = mapping.edition
    frame["origin_source"] = _joined(raw, col.get("source"))
    frame["source"] = frame["origin_source"].map(mapping.sources).astype(object).fillna(mapping.source_fallback)
    frame["origin_department"] = _joined(raw, col.get("department"))
    frame["department_code"] = frame["origin_department"].map(mapping.departments)
    frame["address"] = scrub_series(_joined(raw, col.get("address")))  # free text: personal data masked
    frame["description"] = scrub_series(_joined(raw, col.get("description")))
    frame["lon"], frame["lat"], coord_flags = _coordinates(raw, mapping)
    flags.update(coord_flags)
    flags["closed_before_opened"] = frame["closed_at"].notna() & (frame["closed_at"] < frame["reported_at"])
    flags["missing_deadline"] = frame["due_at"].isna()
    terminal = frame["status"].isin(TERMINAL_STATUSES)
    flags["closed_without_close_time"] = terminal & frame["closed_at"].isna()
    flags["close_time_on_open_case"] = ~terminal & frame["closed_at"].notna()
    flags["possible_duplicate"] = possible_duplicates(frame, mapping.duplicate_window_hours)
    frame["batch_id"] = batch_id

    # Gate 1 (GX on the DataFrame): what cannot be a case at all.
    frame["reported_at_readable"] = ~bad_reported & frame["reported_at"].notna()
    problems = run_suite(frame, legacy_case_suite(), file_name=file_name, name="legacy_case")
    # Gate 2: a second row with an id already seen is a duplicate (the first occurrence is kept).
    dup = frame["origin_case_id"].notna() & frame["origin_case_id"].duplicated(keep="first")
    if dup.any():
        first_row = frame.groupby("origin_case_id")["row_number"].transform("min")
        for idx in frame.index[dup]:
            problems.append(RowProblem(file_name, int(frame.at[idx, "row_number"]), col["origin_case_id"][0],
                                       "duplicate_id", f"id {frame.at[idx, 'origin_case_id']} already given in"
                                       f" row {int(first_row[idx])}"))
    bad_rows = {p.row_number for p in problems}
    keep = ~frame["row_number"].isin(bad_rows)
    flag_frame = pd.DataFrame({name: mask.fillna(False).astype(bool) for name, mask in flags.items()})
    flag_names = np.array(sorted(flag_frame.columns))
    matrix = flag_frame[list(flag_names)].to_numpy()
    frame["flags"] = [list(flag_names[row]) for row in matrix]
    cases = frame[keep].drop(columns=["reported_at_readable"]).copy()
    cases["closed_at"] = cases["closed_at"].where(cases["closed_at"].notna(), None)
    return Conformed(cases, _events(cases, mapping), problems, bad_rows)


def possible_duplicates(frame: pd.DataFrame, window_hours: float) -> pd.Series:
    """Same category at the same place (address, else coordinates to ~10 m) reported again within the window:
    the 311 habit of reporting one problem twice. Flagged, both cases kept (the origin counted both)."""
    place = frame["address"].fillna("").str.upper().str.split().str.join(" ")
    coords = frame["lon"].round(4).astype(str) + "," + frame["lat"].round(4).astype(str)
    place = place.where(place != "", coords.where(frame["lon"].notna(), ""))
    key = frame["origin_category"].fillna("") + "|" + place
    ordered = frame.assign(_key=key).sort_values(["_key", "reported_at", "row_number"])
    gap = ordered.groupby("_key")["reported_at"].diff()
    dup = (gap <= pd.Timedelta(hours=window_hours)) & (ordered["_key"].str.split("|").str[1] != "")
    return dup.reindex(frame.index).fillna(False).astype(bool)


def _events(cases: pd.DataFrame, mapping: LegacyMapping) -> pd.DataFrame:
    """report (+ the terminal action when the export gives its time); actors and steps are unknown → NULL."""
    report = pd.DataFrame({
        "case_id": cases["case_id"], "seq": 1, "event_id": cases["origin_case_id"] + ":report",
        "action": "report", "from_state": None, "to_state": "reported", "occurred_at": cases["reported_at"],
        "origin_action": "created", "department_code": None,
    })
    ends = cases[cases["status"].isin(TERMINAL_STATUSES) & cases["closed_at"].notna()]
    met = (ends["closed_at"] <= ends["due_at"]).where(ends["due_at"].notna(), None)
    close = pd.DataFrame({
        "case_id": ends["case_id"], "seq": 2, "event_id": ends["origin_case_id"] + ":close",
        "action": ends["status"].map(TERMINAL_ACTION), "from_state": None, "to_state": ends["status"],
        "occurred_at": ends["closed_at"], "origin_action": "status:" + ends["origin_status"].fillna(""),
        "department_code": ends["department_code"], "deadline_at": ends["due_at"], "deadline_met": met,
    })
    events = pd.concat([report, close], ignore_index=True)
    events["origin_system"] = mapping.origin_system
    events["batch_id"] = cases["batch_id"].iloc[0] if len(cases) else None
    events["deadline_at"] = events["deadline_at"].where(events["deadline_at"].notna(), None)
    return events


def import_legacy(wh: Warehouse, path: Path, mapping: LegacyMapping) -> ImportResult:
    """Land the export, conform it and replace this batch's cases, events, quarantine and ledger in one go."""
    path = Path(path)
    if not path.is_file():
        raise InputRejected(f"{path}: no such file", [RowProblem(str(path), 0, "path", "file_exists", "文件不存在")])
    raw = read_export(path, mapping)
    with wh.writer(spatial=True) as con, transaction(con):
        landed = wh.land(con, path, "legacy_cases")
        conformed = conform_export(raw, mapping, path.name, landed.batch_id)
        cases = conformed.cases
        taken = _loaded_elsewhere(con, cases, landed.batch_id)
        if taken:
            for idx in cases.index[cases["case_id"].isin(taken)]:
                conformed.problems.append(RowProblem(
                    path.name, int(cases.at[idx, "row_number"]), mapping.columns["origin_case_id"][0],
                    "already_loaded", f"case {cases.at[idx, 'case_id']} already loaded from batch"
                    f" {taken[cases.at[idx, 'case_id']]}"))
            cases = cases[~cases["case_id"].isin(taken)]
        cases, unmatched = resolve_areas(con, cases)
        cases["flags"] = [sorted([*f, "no_grid_match"]) if u else f
                          for f, u in zip(cases["flags"], unmatched, strict=True)]
        events = conformed.events[conformed.events["case_id"].isin(cases["case_id"])]
        replace_batch(con, landed.batch_id, cases, events)
        raw_records = {int(p.row_number): scrub_json(raw.iloc[p.row_number - 1].to_dict())
                       for p in conformed.problems}
        quarantined = replace_quarantine(con, landed.batch_id, TARGET, conformed.problems, raw_records)
        flag_counts = pd.Series([f for fs in cases["flags"] for f in fs]).value_counts().to_dict()
        rule_counts = pd.Series([p.rule for p in conformed.problems]).value_counts().to_dict()
        detail = {"mapping": Path(mapping.file).name, "origin_system": mapping.origin_system,
                  "flags": flag_counts, "quarantine_rules": rule_counts}
        record_load(con, LoadCount(landed.batch_id, TARGET, len(raw), len(cases), quarantined), detail)
        record_load(con, LoadCount(landed.batch_id, EVENT_TARGET, len(events), len(events), 0),
                    {"synthesised_from": "export timestamps"})
    return ImportResult(landed.batch_id, path.name, mapping.origin_system, len(raw), len(cases), quarantined,
                        len(events), {str(k): int(v) for k, v in flag_counts.items()},
                        {str(k): int(v) for k, v in rule_counts.items()}, landed.already_landed)


def _loaded_elsewhere(con: Any, cases: pd.DataFrame, batch_id: str) -> dict[str, str]:
    ids = pd.DataFrame({"case_id": cases["case_id"]})  # noqa: F841 — read by DuckDB's replacement scan
    rows = con.execute(
        'SELECT c.case_id, c.batch_id FROM core."case" c JOIN ids USING (case_id) WHERE c.batch_id <> ?', [batch_id]
    ).fetchall()
    return {str(a): str(b) for a, b in rows}

"""``szcg cases import PATH --mapping FILE``: a legacy case system's export into the conformed case model.

What the export says is kept (origin id, status, category, channel, agency, local wall-clock times and their
zone); what it does not say stays NULL. Defects are not fixed: a row that cannot be a case (no id, no report
time, a duplicate id) goes to quarantine with its reason; a case with a defect is loaded with a flag in
core.case.flags (closed_before_opened, zero_coordinates, missing_coordinates, unknown_category, unknown_status,
missing_deadline, closed_without_close_time, close_time_on_open_case, bad_closed_at, bad_due_at, no_grid_match,
possible_duplicate).
Free text (description, address) is scrubbed of phone numbers, ID-card numbers and self-introduced names
(szcg.privacy), in core and in the quarantine's raw records alike.
Events are synthesised only from the export's timestamps and what the mapping says a missing step means
(上报, 受理, 立案, 派遣, 处置反馈, 核查, then 结案 / 作废 / 不予立案).
Column-wise throughout (a million-row export: issue 20 item 7, bench/cases): values looked up once per distinct
value, deadlines by a search over the calendar's cumulative working time, events numbered per case row and written
by one INSERT … SELECT; bench/cases/compare_legacy.py checks a rewrite against the previous code row for row.
"""

from __future__ import annotations

import csv
import logging
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from quality.gx import Expectation, SuiteRunner
from szcg.errors import ConfigError, InputRejected, RowProblem
from szcg.privacy import scrub_text
from szcg.timestamps import as_nanoseconds
from transforms.cases.areas import resolve_areas
from transforms.cases.fixed_times import Layout, fixed_layout, parse_fixed
from transforms.cases.mapping import TIME_FIELDS, Category, LegacyMapping
from transforms.cases.model import LEGACY_EVENT_TABLE, TERMINAL_STATUSES, delete_batch, insert_cases
from transforms.cases.scrub import scrub_json
from transforms.cases.working_deadline import working_deadlines
from warehouse.accounting import LoadCount, record_load, replace_quarantine
from warehouse.landing import CopiedFile, copy_for_landing, discard_copy, register_copy
from warehouse.store import Warehouse
from warehouse.transaction import transaction

LOG = logging.getLogger(__name__)
TARGET = "core.case"
EVENT_TARGET = "core.case_event"
_OFFSET = re.compile(r"(?:[+-]\d{2}:?\d{2}|Z)$")


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
    verdict_agreement: dict[str, Any] | None = None  # source's on-time verdicts vs szcg's (export with one)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def read_export(path: Path, mapping: LegacyMapping) -> pd.DataFrame:
    """The export as text, exactly as written (no NA guessing); refuses an export missing a mapped column."""
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):  # the first sheet, every cell as text
            raw = pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl")
        else:
            fast = _read_csv_arrow(path, mapping)
            raw = fast if fast is not None else pd.read_csv(
                path, dtype=str, keep_default_na=False, encoding=mapping.encoding, sep=mapping.delimiter,
                quoting=csv.QUOTE_MINIMAL)
    except (UnicodeDecodeError, pd.errors.ParserError, ValueError, KeyError) as exc:
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


def _read_csv_arrow(path: Path, mapping: LegacyMapping) -> pd.DataFrame | None:
    """The CSV read by Arrow's parser (in C, on both cores: a third of pandas' time on a million rows), every
    column as text as pandas reads it; None for anything pandas reads differently or refuses — a file Arrow
    cannot parse, an encoding it cannot decode, a header with duplicate or empty names (pandas renames them), a
    delimiter of more than one character — so the caller reads it with pandas, its errors and its messages."""
    import pyarrow.csv as pcsv

    if len(mapping.delimiter) != 1:
        return None
    read = pcsv.ReadOptions(encoding=mapping.encoding)
    parse = pcsv.ParseOptions(delimiter=mapping.delimiter, quote_char='"', double_quote=True,
                              newlines_in_values=True, ignore_empty_lines=True)
    try:
        reader = pcsv.open_csv(path, read_options=read, parse_options=parse)  # the header (and a first block)
        names = reader.schema.names
        reader.close()
        if len(set(names)) != len(names) or "" in names:
            return None
        # large_string: what pandas keeps its text in, so the frame takes the buffers as read (a copy cost ≈ 0.3 s)
        convert = pcsv.ConvertOptions(column_types={n: pa.large_string() for n in names}, strings_can_be_null=False,
                                      quoted_strings_can_be_null=False)
        table = pcsv.read_csv(path, read_options=read, parse_options=parse, convert_options=convert)
    except (pa.ArrowException, UnicodeError, LookupError):
        return None
    return table.to_pandas()


def parse_times(values: pd.Series, mapping: LegacyMapping) -> tuple[pd.Series, pd.Series]:
    """Wall-clock times in the mapping's zone (naive) and a mask of values that were given but unreadable."""
    fast = _read_in_first_layout(values, mapping)
    if fast is None:
        return _parse_times(values, mapping)
    read, times, empty = fast
    result = pd.Series(times, index=values.index)
    bad = pd.Series(False, index=values.index)
    rest = ~(read | empty)
    if rest.any():
        rest_times, rest_bad = _parse_times(values[rest], mapping)
        result[rest] = rest_times.to_numpy()
        bad[rest] = rest_bad.to_numpy()
    return result, bad


def _read_in_first_layout(values: pd.Series, mapping: LegacyMapping) -> tuple[np.ndarray, np.ndarray,
                                                                                 np.ndarray] | None:
    """(read, their times, empty) for text values written exactly in the first format's fixed layout — nearly all
    of a large export's — and empty ones, without the general path's strip, offset search and per-format passes
    (≈ 0.15 s a column per million rows). What they would have given there: a value of such a layout has nothing to
    strip (it begins and ends with a digit) and cannot end like an offset (checked on the layout), so the general
    path reads it with the first format's layout as here. None when the shortcut does not apply."""
    if not isinstance(values.dtype, pd.StringDtype):
        return None
    layout = fixed_layout(mapping.timestamp_formats[0])
    if layout is None or not _plain_layout(layout):
        return None
    read, times = parse_fixed(values, layout)
    empty = (values == "").to_numpy(dtype=bool, na_value=False)
    return read, times, empty


def _plain_layout(layout: Layout) -> bool:
    """A layout whose values begin and end with a digit and never end like a UTC offset (``_OFFSET``)."""
    sample = ["0"] * layout.width
    for at, byte in layout.separators:
        sample[at] = chr(byte)
    text = "".join(sample)
    return text[0].isdigit() and text[-1].isdigit() and _OFFSET.search(text) is None


def _parse_times(values: pd.Series, mapping: LegacyMapping) -> tuple[pd.Series, pd.Series]:
    """parse_times for any values: stripped, offsets converted or cut off, then each format in turn."""
    text = values.astype(str).str.strip()
    given = text != ""
    was_given = given  # before an ignored offset is cut off: what "given" means for the unreadable mask
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    has_offset = given & text.str.contains(_OFFSET)
    if has_offset.any():
        if mapping.offsets == "ignore":  # the offset is known to be wrong: the digits are local wall clock
            text = text.where(~has_offset, text.str.replace(_OFFSET, "", regex=True))
        else:
            instants = pd.to_datetime(text[has_offset], utc=True, errors="coerce", format="ISO8601")
            local = instants.dt.tz_convert(mapping.timezone).dt.tz_localize(None)
            result.loc[has_offset] = as_nanoseconds(local)
            given = given & ~has_offset
    for fmt in mapping.timestamp_formats:
        todo = given & result.isna()
        if not todo.any():
            break
        layout = fixed_layout(fmt)
        if layout is not None:  # values written exactly in the format's layout read by numpy, the rest by pandas
            read, times = parse_fixed(text[todo], layout)
            done = todo.copy()
            done[todo] = read
            result.loc[done] = times[read]
            todo = todo & ~done
            if not todo.any():
                continue
        parsed = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        result.loc[todo] = as_nanoseconds(parsed)
    bad = was_given & result.isna()
    return result, bad


def _joined(raw: pd.DataFrame, columns: list[str] | None) -> pd.Series:
    if not columns:
        return pd.Series([None] * len(raw), index=raw.index, dtype=object)
    parts = [raw[c].astype(str).str.strip() for c in columns]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined.where(part == "", joined.where(joined == "", joined + " / ") + part)
    return joined.where(joined != "", None)


def _mapped(values: pd.Series, table: dict[str, str]) -> pd.Series:
    """``values.map(table).astype(object)`` looked up once per distinct value: an unmapped or missing value → NaN."""
    codes, distinct = pd.factorize(values)  # a missing value → code -1, the last entry below
    looked = np.array([table.get(v, np.nan) for v in distinct] + [np.nan], dtype=object)
    return pd.Series(looked[codes], index=values.index, dtype=object)


def _scrubbed(values: pd.Series) -> pd.Series:
    """Free text scrubbed of personal data (szcg.privacy.scrub_text), once per distinct value; missing → None."""
    codes, distinct = pd.factorize(values)
    if not len(distinct):
        return pd.Series(None, index=values.index, dtype=object)
    done = np.array([scrub_text(v) for v in distinct] + [None], dtype=object)  # code -1 (missing) → the None
    return pd.Series(done[codes], index=values.index, dtype=object)


def _lookup_category(value: str | None, mapping: LegacyMapping) -> Category:
    """The mapping's entry: exact value first, then shorter ' / ' prefixes (type before type / descriptor)."""
    if value is not None:
        parts = value.split(" / ")
        for n in range(len(parts), 0, -1):
            found = mapping.category_for(" / ".join(parts[:n]))
            if found is not None:
                return found
    return mapping.fallback_category


_PAIR = r"\s*[,，]\s*"
_PLAIN_ASCII = r"^[!-~]*$"  # printable ASCII without spaces: the pair's only separator can be a plain ','


def _split_pair(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """"经度,纬度" split at its first separator (a comma or a full-width one, spaces around it) into two text
    columns ("" where a part is missing), as ``str.split(_PAIR, n=1)``. Plain ASCII values — nearly all — are split
    on the comma by Arrow in C; the others by Python's regular expression."""
    values = pa.Array.from_pandas(text.astype(object))
    plain = pc.fill_null(pc.match_substring_regex(values, _PLAIN_ASCII), False)
    parts = pc.split_pattern(values, ",", max_splits=1)
    two = pc.equal(pc.list_value_length(parts), 2)
    first = pc.list_element(parts, 0).to_numpy(zero_copy_only=False)
    second = pc.if_else(two, pc.list_element(pc.if_else(two, parts, pa.scalar(["", ""], parts.type)), 1), "")
    xs = pd.Series(first, index=text.index, dtype=object)
    ys = pd.Series(second.to_numpy(zero_copy_only=False), index=text.index, dtype=object)
    other = ~plain.to_numpy(zero_copy_only=False)
    if other.any():
        pair = text[other].str.split(_PAIR, n=1, regex=True)
        xs[other], ys[other] = pair.str[0].fillna("").astype(object), pair.str[1].fillna("").astype(object)
    return xs, ys


_DECIMAL = r"-?[0-9]{1,7}(?:\.[0-9]{1,8})?"  # at most 15 digits: read alike by Arrow's cast and pd.to_numeric


def _coordinate_numbers(raw: pd.DataFrame, mapping: LegacyMapping) -> tuple[pd.Series, pd.Series, pd.Series]:
    """x and y as numbers (NaN where unreadable) and where either is blank. Values that are plain decimals ("经度,纬度"
    of two, or one a column) — nearly all — are read by Arrow's cast in C, as they are: a plain decimal has nothing
    to strip and one comma to split at, and Arrow's cast and pd.to_numeric read it alike (both correctly rounded;
    tested); the others by the general path (``_coordinate_text``)."""
    if mapping.coordinates.xy:
        columns = [raw[mapping.coordinates.xy]]
        pattern = f"^(?P<x>{_DECIMAL}),(?P<y>{_DECIMAL})$"
    else:
        columns = [raw[mapping.x], raw[mapping.y]]
        pattern = f"^(?P<x>{_DECIMAL})$"
    x = np.full(len(raw), np.nan)
    y = np.full(len(raw), np.nan)
    blank = np.zeros(len(raw), dtype=bool)
    read = np.ones(len(raw), dtype=bool)
    if all(isinstance(c.dtype, pd.StringDtype) for c in columns):
        parts = [pc.extract_regex(pa.array(c), pattern=pattern) for c in columns]
        for part in parts:
            read &= part.is_valid().to_numpy(zero_copy_only=False)
        if read.any():
            chosen = pa.array(read)
            if len(parts) == 1:
                found = parts[0].filter(chosen)
                xs, ys = pc.struct_field(found, "x"), pc.struct_field(found, "y")
            else:
                xs, ys = (pc.struct_field(part.filter(chosen), "x") for part in parts)
            x[read] = pc.cast(xs, pa.float64()).to_numpy(zero_copy_only=False)
            y[read] = pc.cast(ys, pa.float64()).to_numpy(zero_copy_only=False)
    else:
        read[:] = False
    rest = ~read
    if rest.any():
        xs_text, ys_text = _coordinate_text(raw[rest], mapping)
        x[rest] = pd.to_numeric(xs_text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        y[rest] = pd.to_numeric(ys_text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        blank[rest] = ((xs_text == "") | (ys_text == "")).to_numpy(dtype=bool)
    return pd.Series(x, index=raw.index), pd.Series(y, index=raw.index), pd.Series(blank, index=raw.index)


def _coordinate_text(raw: pd.DataFrame, mapping: LegacyMapping) -> tuple[pd.Series, pd.Series]:
    """The x and y texts of any values ("" where missing): stripped, the pair split at its first separator."""
    if mapping.coordinates.xy:
        xs, ys = _split_pair(raw[mapping.coordinates.xy].astype(str).str.strip())
        return xs, ys.where(xs != "", "")
    assert mapping.x and mapping.y
    return raw[mapping.x].astype(str).str.strip(), raw[mapping.y].astype(str).str.strip()


def _coordinates(raw: pd.DataFrame, mapping: LegacyMapping) -> tuple[pd.Series, pd.Series, dict[str, pd.Series]]:
    """lon/lat (WGS84) and defect masks: zero, missing, unreadable, out of range."""
    n = len(raw)
    if not (mapping.coordinates.xy or (mapping.x and mapping.y)):
        nan = pd.Series(np.nan, index=raw.index)
        return nan, nan, {"missing_coordinates": pd.Series(True, index=raw.index)}
    x, y, blank = _coordinate_numbers(raw, mapping)
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
    placeholder = pd.Series(False, index=raw.index)
    for point in mapping.coordinates.placeholders:
        placeholder |= _metres_from(lon, lat, point.lon, point.lat) <= point.radius_m
    lon[placeholder] = np.nan
    lat[placeholder] = np.nan
    assert len(lon) == n
    return lon, lat, {
        "missing_coordinates": blank,
        "zero_coordinates": zero,
        "bad_coordinates": unreadable | out_of_range,
        "placeholder_coordinates": placeholder,
    }


def _metres_from(lon: pd.Series, lat: pd.Series, lon0: float, lat0: float) -> pd.Series:
    """Great-circle distance in metres (haversine; NaN stays NaN, which compares False)."""
    p1, p2 = np.radians(lat), np.radians(lat0)
    dp, dl = p2 - p1, np.radians(lon0 - lon)
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return pd.Series(2 * 6_371_008.8 * np.arcsin(np.sqrt(h)), index=lon.index)


def refuse_failing_rule(values: pd.Series, bad: pd.Series, column: str, mapping: LegacyMapping,
                        file_name: str) -> None:
    """A parse rule failing on most rows is a wrong mapping, not bad rows: refuse the batch whole, naming the
    column, the formats tried and three sample values (time values only: they carry no personal data)."""
    failed = int(bad.sum())
    if not failed:  # (nothing unreadable: no share to count)
        return
    given = int((values.astype(str).str.strip() != "").sum())
    if not given or failed / given < mapping.refuse_unparsed_share:
        return
    samples = values[bad].astype(str).str.strip().drop_duplicates().head(3).tolist()
    message = (f"{file_name}: column {column!r}: {failed} of {given} values do not parse with"
               f" timestamp_formats {list(mapping.timestamp_formats)} of {Path(mapping.file).name}"
               f" (≥ {mapping.refuse_unparsed_share:.0%}: the batch is refused, nothing loaded);"
               f" samples: {samples}")
    raise InputRejected(message, [RowProblem(file_name, 0, column, "timestamp_format", message)])


@dataclass
class Conformed:
    cases: pd.DataFrame
    problems: list[RowProblem]
    quarantined_rows: set[int]


def conform_export(raw: pd.DataFrame, mapping: LegacyMapping, file_name: str, batch_id: str,
                   deadline_rule: DeadlineRule | None = None, as_of: pd.Timestamp | None = None) -> Conformed:
    """Map an export onto the case model; quarantine what cannot be a case, flag what is defective."""
    from quality.cases import legacy_case_suite

    col = mapping.columns_map
    frame = pd.DataFrame(index=raw.index)
    frame["row_number"] = np.arange(1, len(raw) + 1)
    origin_id = raw[col["origin_case_id"][0]].astype(str).str.strip()
    frame["origin_case_id"] = origin_id.where(origin_id != "", None)
    frame["origin_system"] = mapping.origin_system
    frame["case_id"] = mapping.origin_system + ":" + frame["origin_case_id"].fillna("")
    flags: dict[str, pd.Series] = {}
    bad_reported = pd.Series(False, index=raw.index)
    for name in TIME_FIELDS:
        if name not in col:
            frame[name] = pd.NaT
            continue
        frame[name], bad = parse_times(raw[col[name][0]], mapping)
        refuse_failing_rule(raw[col[name][0]], bad, col[name][0], mapping, file_name)
        if name == "reported_at":
            bad_reported = bad
        else:
            flags[f"bad_{name}"] = bad
    frame["origin_timezone"] = mapping.timezone
    frame["origin_status"] = _joined(raw, col.get("status"))
    frame["status"] = _mapped(frame["origin_status"], mapping.statuses)
    for rule in reversed(mapping.status_rules):  # the first matching rule wins: apply the last first
        hit = pd.Series(True, index=raw.index)
        for column, values in rule.when.items():
            hit &= raw[column].astype(str).str.strip().isin(values)
        frame.loc[hit, "status"] = rule.status
    flags["unknown_status"] = frame["status"].isna()
    frame["status"] = frame["status"].fillna(mapping.status_fallback)
    frame["origin_category"] = _joined(raw, col.get("category"))
    # looked up once per distinct value (an export repeats a few hundred categories over its rows)
    codes, distinct = pd.factorize(frame["origin_category"])  # a missing category (code -1) → the last entry
    looked = [_lookup_category(v, mapping) for v in distinct] + [_lookup_category(None, mapping)]

    def per_row(values: list[Any]) -> np.ndarray:
        return np.array(values, dtype=object)[codes]

    frame["kind"] = per_row([c.kind for c in looked])
    frame["subclass_code"] = per_row([c.code for c in looked])
    # "not a 城管 matter" (declared out_of_scope) is not "not mapped yet" (no entry, or an entry of null)
    flags["not_cityops"] = pd.Series(np.array([c.out_of_scope is not None for c in looked])[codes], index=raw.index)
    flags["unknown_category"] = pd.Series(np.array([not c.mapped and c.out_of_scope is None for c in looked])[codes],
                                          index=raw.index)
    frame["edition"] = mapping.edition
    frame["origin_source"] = _joined(raw, col.get("source"))
    frame["source"] = _mapped(frame["origin_source"], mapping.sources).fillna(mapping.source_fallback)
    frame["origin_department"] = _joined(raw, col.get("department"))
    frame["department_code"] = _mapped(frame["origin_department"], mapping.departments)
    if mapping.department_fallback == "origin":
        own = (mapping.origin_system + ":" + frame["origin_department"]).astype(object)
        frame["department_code"] = frame["department_code"].fillna(own.where(frame["origin_department"].notna()))
    frame["address"] = _scrubbed(_joined(raw, col.get("address")))  # free text: personal data masked
    if "grid" in col:  # a recorded 所属网格 is looked up in core.grid before any point-in-polygon
        frame["grid_code"] = _joined(raw, col["grid"])
    frame["description"] = _scrubbed(_joined(raw, col.get("description")))
    frame["lon"], frame["lat"], coord_flags = _coordinates(raw, mapping)
    flags.update(coord_flags)
    flags["closed_before_opened"] = frame["closed_at"].notna() & (frame["closed_at"] < frame["reported_at"])
    flags["missing_deadline"] = frame["due_at"].isna()
    terminal = frame["status"].isin(TERMINAL_STATUSES)
    flags["closed_without_close_time"] = terminal & frame["closed_at"].isna()
    flags["close_time_on_open_case"] = ~terminal & frame["closed_at"].notna()
    flags["possible_duplicate"] = possible_duplicates(frame, mapping.duplicate_window_hours)
    times = step_times(frame, mapping)
    judged = judge_handling(frame, times, mapping, deadline_rule, as_of)
    for name in ("registered", "dispatched", "handled"):
        frame[f"step_{name}_at"] = times[name]
    for name in ("deadline_at", "deadline_met", "deadline_basis"):
        frame[f"handle_{name}"] = judged[name]
    flags["overdue_at_export"] = judged["open_overdue"]
    if mapping.verdict is not None and "on_time" in col:
        said = raw[col["on_time"][0]].astype(str).str.strip()
        frame["source_on_time"] = pd.Series(None, index=raw.index, dtype=object)
        frame.loc[said.isin(mapping.verdict.on_time), "source_on_time"] = True
        frame.loc[said.isin(mapping.verdict.overdue), "source_on_time"] = False
        both = frame["source_on_time"].notna() & frame["handle_deadline_met"].notna()
        flags["source_verdict_disagrees"] = both & (frame["source_on_time"] != frame["handle_deadline_met"])
    frame["batch_id"] = batch_id

    # Gate 1 (GX on the DataFrame): what cannot be a case at all.
    frame["reported_at_readable"] = ~bad_reported & frame["reported_at"].notna()
    problems = gate_rows(frame, legacy_case_suite(), file_name)
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
    frame["flags"] = flag_lists(flag_frame[list(flag_names)].to_numpy(), flag_names)
    cases = frame.drop(columns=["reported_at_readable"])  # a new frame: copying it again cost ≈ 0.7 s per million
    if not keep.all():
        cases = cases[keep]
    cases["closed_at"] = cases["closed_at"].where(cases["closed_at"].notna(), None)
    return Conformed(cases, problems, bad_rows)


def gate_rows(frame: pd.DataFrame, suite: list[Expectation], file_name: str) -> list[RowProblem]:
    """The GX suite's problems, in the order a row-by-row run reports them (by expectation, then by row): GX
    validates each checked column's distinct values (``SuiteRunner.run_by_value``; the suite has no rule that
    depends on the whole column), as hashing and walking a million rows took GX 2 s — a few dozen values now."""
    checked = frame[["row_number", *dict.fromkeys(spec.column for spec in suite)]]
    problems = SuiteRunner("legacy_case", suite).run_by_value(checked, file_name)
    position = {(spec.rule, spec.field): n for n, spec in enumerate(suite)}
    return sorted(problems, key=lambda p: (position[(p.rule, p.field)], p.row_number))


def flag_lists(matrix: np.ndarray, names: np.ndarray) -> np.ndarray:
    """Each row's flag names (in ``names`` order) from a boolean matrix: one list per distinct combination (an
    export has a few dozen), shared by the rows that have it — never mutated in place."""
    width = matrix.shape[1]
    assert width <= 64, "the code's ~20 flags, not the input's"
    # each row's combination as one number, column k its bit k: the matrix packed eight columns a byte (a matrix
    # product of the rows as int64, as before, cost ≈ 0.4 s per million rows), looked up by hash
    packed = np.zeros((len(matrix), 8), dtype=np.uint8)
    packed[:, :(width + 7) // 8] = np.packbits(matrix.astype(bool, copy=False), axis=1, bitorder="little")
    row_of, combination = pd.factorize(packed.view("<u8").reshape(-1))
    bit = np.left_shift(np.uint64(1), np.arange(width, dtype=np.uint64))
    lists = np.empty(len(combination), dtype=object)
    for n, bits in enumerate(combination):
        lists[n] = list(names[(np.uint64(bits) & bit) != 0])
    return lists[row_of]


def possible_duplicates(frame: pd.DataFrame, window_hours: float) -> pd.Series:
    """Same category at the same place (address, else coordinates to ~10 m) reported again within the window:
    the 311 habit of reporting one problem twice. Flagged, both cases kept (the origin counted both)."""
    # text work once per distinct address (an export repeats its addresses); places and categories as codes
    address_codes, addresses = pd.factorize(frame["address"].fillna(""))
    normal = pd.Series(addresses, dtype=object).str.upper().str.split().str.join(" ").fillna("").to_numpy()
    if not len(addresses):
        normal = np.array([""], dtype=object)
        address_codes = np.zeros(len(frame), dtype=np.intp)
    no_place = (normal == "")[address_codes]
    by_point = no_place & frame["lon"].notna().to_numpy()
    if by_point.any():
        place = pd.Series(normal[address_codes], index=frame.index, dtype=object)
        at_point = pd.Series(by_point, index=frame.index)
        point = frame.loc[at_point]
        place[at_point] = point["lon"].round(4).astype(str) + "," + point["lat"].round(4).astype(str)
        place_codes = pd.factorize(place)[0]
        no_place = (place == "").to_numpy()
    else:  # the addresses' codes, once per distinct address
        place_codes = pd.factorize(normal)[0][address_codes]
    category_codes = pd.factorize(frame["origin_category"].fillna(""))[0]
    # one sort key per (category, place): the same order as sorting by category, then place
    group = category_codes.astype(np.int64) * (int(place_codes.max(initial=0)) + 1) + place_codes
    reported = frame["reported_at"].astype("datetime64[ns]").to_numpy().view(np.int64)
    missing = frame["reported_at"].isna().to_numpy()
    last = np.where(missing, np.iinfo(np.int64).max, reported)  # a missing time sorts last in its group
    row_number = frame["row_number"].to_numpy()
    if len(row_number) > 1 and (np.diff(row_number) > 0).all():  # rows in row order: the stable sort keeps it
        order = np.lexsort((last, group))
    else:
        order = np.lexsort((row_number, last, group))
    same = np.zeros(len(frame), dtype=bool)
    same[1:] = group[order][1:] == group[order][:-1]
    timed = ~missing[order]
    gap = np.zeros(len(frame), dtype=np.int64)
    gap[1:] = np.diff(reported[order])
    window = pd.Timedelta(hours=window_hours).value
    hit = same & timed & np.concatenate([[False], timed[:-1]]) & (gap <= window) & ~no_place[order]
    dup = np.zeros(len(frame), dtype=bool)
    dup[order] = hit
    return pd.Series(dup, index=frame.index)


# How far a status shows the case went: a synthesised step is written only for cases that reached it.
REGISTERED_OR_LATER = ("registered", "dispatched", "handling", "handled", "checked", "closed", "return_requested",
                       "extension_requested", "shelve_requested", "shelved")
DISPATCHED_OR_LATER = ("dispatched", "handling", "handled", "checked", "closed", "extension_requested",
                       "shelve_requested", "shelved")
HANDLED_OR_LATER = ("handled", "checked", "closed")
DeadlineRule = Callable[[pd.DataFrame], pd.Series]


def step_times(cases: pd.DataFrame, mapping: LegacyMapping) -> pd.DataFrame:
    """When each step happened: the export's column, else what the mapping says a missing step means."""
    status = cases["status"]
    steps = mapping.steps
    registered = cases["registered_at"]
    if steps.registered == "at_report":
        registered = registered.fillna(cases["reported_at"].where(status.isin(REGISTERED_OR_LATER)))
    dispatched = cases["dispatched_at"]
    if steps.dispatched == "at_registered":
        dispatched = dispatched.fillna(registered.where(status.isin(DISPATCHED_OR_LATER)))
    handled = cases["handled_at"]
    if steps.handled == "at_closed":
        handled = handled.fillna(cases["closed_at"].where(status.isin(HANDLED_OR_LATER)))
    return pd.DataFrame({"registered": registered, "dispatched": dispatched, "handled": handled},
                        index=cases.index).astype("datetime64[ns]")


def judge_handling(cases: pd.DataFrame, times: pd.DataFrame, mapping: LegacyMapping,
                   deadline_rule: DeadlineRule | None, as_of: pd.Timestamp | None) -> pd.DataFrame:
    """The 处置 deadline and verdict of each case: the export's due time, else the 指挥手册 limit from 派遣 (when the
    mapping asks for it), else the mapping's convention. A case not handled is judged as of the export's time."""
    deadline = cases["due_at"].astype("datetime64[ns]")
    basis = pd.Series(None, index=cases.index, dtype=object)
    basis[deadline.notna()] = "export"
    if deadline_rule is not None:
        limit = deadline_rule(cases.assign(_start=times["dispatched"]))
        use = deadline.isna() & limit.notna()
        deadline = deadline.where(~use, limit)
        basis[use] = "handbook"
    handled = times["handled"]
    met = pd.Series(None, index=cases.index, dtype=object)
    done = handled.notna() & deadline.notna()
    met[done] = (handled[done] <= deadline[done]).to_numpy()
    still_open = handled.isna() & ~cases["status"].isin(TERMINAL_STATUSES) & times["dispatched"].notna()
    if as_of is not None:
        late = still_open & deadline.notna() & (deadline < as_of)
        met[late] = False
    if mapping.deadline.otherwise == "on_time":
        conv = deadline.isna() & (handled.notna() | (still_open & (as_of is not None)))
        met[conv] = True
        basis[conv] = "convention"
    return pd.DataFrame({"deadline_at": deadline, "deadline_met": met, "deadline_basis": basis,
                         "open_overdue": (met == False) & handled.isna()},  # noqa: E712 — object column
                        index=cases.index)


# What the steps of a legacy case are built from: one row per case in core.case_event_legacy (migration 0105);
# the view core.case_event gives each step whose time is known as an event (上报, 受理, 立案, 派遣 to the mapped
# department, 处置反馈 with the 处置 deadline and verdict, 核查, then 结案 / 作废 / 不予立案), numbered per case by
# (time, step order).
_EVENT_INPUT = ("case_id", "status", "origin_status", "department_code", "reported_at", "accepted_at",
                "registered_at", "dispatched_at", "handled_at", "checked_at", "closed_at", "voided_at",
                "step_registered_at", "step_dispatched_at", "step_handled_at", "handle_deadline_at",
                "handle_deadline_met")
_STEP_TIMES = ("reported_at", "accepted_at", "registered_at", "dispatched_at", "handled_at", "checked_at", "ended_at")


def insert_events_from_cases(con: Any, cases: pd.DataFrame, mapping: LegacyMapping, batch_id: str) -> int:
    """Store the loaded cases' steps, one row per case, under a new load of ``batch_id`` (core.case_event_load);
    returns how many events the view core.case_event gives for them. 派遣 carries the 处置 deadline in force from it
    (the export's 处置时限, else the handbook's) with step 'handle' — a live 派遣 records its own step's — so the
    evaluation judges a case still open at the cut-off by it (01_case_summary.sql start_deadline_at); 处置反馈 carries
    the deadline and the verdict. A step of unknown time has no event (the terminal step only on an ended case).

    Stored per case rather than per event: a million cases' 4.3 M event rows of 14 columns, sorted by (case, seq),
    were the largest part of a large import (bench/cases/README.md, issue 20 item 7)."""
    if cases.empty:
        return 0
    steps = pd.DataFrame({c: cases[c] for c in _EVENT_INPUT})
    steps["handle_deadline_met"] = steps["handle_deadline_met"].astype("boolean")
    cases_in = pa.Table.from_pandas(steps, preserve_index=False)  # noqa: F841 — read by DuckDB's replacement scan
    row = con.execute("SELECT coalesce(max(load_no), 0) + 1 FROM core.case_event_load").fetchone()
    load = int(row[0]) if row else 1
    con.execute("INSERT INTO core.case_event_load (load_no, origin_system, batch_id) VALUES (?, ?, ?)",
                [load, mapping.origin_system, batch_id])
    ended = "status IN ({})".format(", ".join(f"'{s}'" for s in TERMINAL_STATUSES))
    # step k's seq: 1 + the steps of the case earlier in time, or at the same time and earlier in step order — what
    # row_number() OVER (PARTITION BY case ORDER BY time, step order) gives — packed 3 bits a step
    places = " + ".join(
        "((1 + " + " + ".join(f"coalesce({_STEP_TIMES[j]} {'<=' if j < k else '<'} {_STEP_TIMES[k]}, false)::INTEGER"
                              for j in range(len(_STEP_TIMES)) if j != k) + f") << {3 * k})"
        for k in range(len(_STEP_TIMES)))
    con.execute(f"""
        INSERT INTO {LEGACY_EVENT_TABLE} (load_no, case_id, places, department_code, reported_at, accepted_at,
                                          registered_at, dispatched_at, handled_at, checked_at, ended_at, end_state,
                                          origin_status, registered_inferred, dispatched_inferred, handled_inferred,
                                          deadline_at, deadline_met)
        SELECT ?, case_id, {places}, department_code, reported_at, accepted_at, registered_at, dispatched_at,
               handled_at, checked_at, ended_at, CASE WHEN ended_at IS NOT NULL THEN status END,
               CASE WHEN ended_at IS NOT NULL THEN origin_status END, registered_given IS NULL,
               dispatched_given IS NULL, handled_given IS NULL, handle_deadline_at, handle_deadline_met
        FROM (SELECT case_id, status, origin_status, department_code, reported_at, accepted_at,
                     step_registered_at AS registered_at, step_dispatched_at AS dispatched_at,
                     step_handled_at AS handled_at, checked_at,
                     CASE WHEN {ended} THEN CASE WHEN status = 'voided' THEN coalesce(voided_at, closed_at)
                                                 ELSE closed_at END END AS ended_at,
                     registered_at AS registered_given, dispatched_at AS dispatched_given,
                     handled_at AS handled_given, handle_deadline_at, handle_deadline_met
              FROM cases_in)
        ORDER BY case_id""", [load])  # stored in case_id order, as core.case: sorted by DuckDB, on both cores
    given = " + ".join(f"count({t})" for t in _STEP_TIMES)
    row = con.execute(f"SELECT {given} FROM {LEGACY_EVENT_TABLE} WHERE load_no = ?", [load]).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def handbook_deadline_rule(wh: Warehouse, mapping: LegacyMapping) -> DeadlineRule | None:
    """The 指挥手册 处置 limit of each case's mapped subclass, counted from its 派遣 on the city's working calendar
    (None when the mapping does not ask for it, or its edition is not the city's)."""
    if not mapping.deadline.handbook:
        return None
    from standards.calendar import load_calendar
    from standards.city import load_city
    from standards.handbook import TimeLimit, load_handbook

    city = load_city(wh.settings)
    if city.edition != mapping.edition:
        raise ConfigError(mapping.file, "deadline.handbook",
                          f"the city's 指挥手册 is for {city.edition}, the mapping's codes are {mapping.edition}")
    handbook, calendar = load_handbook(city), load_calendar(city)

    def limit_of(code: object, kind: object) -> TimeLimit | None:
        try:
            return handbook.rule_for(str(code), kind if isinstance(kind, str) else None).limits["handle"]
        except KeyError:
            return None

    def rule(cases: pd.DataFrame) -> pd.Series:
        # one handbook look-up per (subclass, kind); the deadlines of all the cases sharing a limit at once, as a
        # search over the calendar's cumulative working time (working_deadline): one calendar walk per case or
        # per distinct start was most of a large import's time
        out = pd.Series(pd.NaT, index=cases.index, dtype="datetime64[ns]")
        todo = cases.loc[cases["subclass_code"].notna() & cases["_start"].notna(), ["subclass_code", "kind", "_start"]]
        # (subclass, kind) pairs as codes: a million rows share a few dozen
        code_no, codes = pd.factorize(todo["subclass_code"])
        kind_no, kinds = pd.factorize(todo["kind"])  # a missing kind → -1
        width = len(kinds) + 1
        pair_no, pair_of = np.unique(code_no * width + kind_no + 1, return_inverse=True)

        def pair(p: int) -> tuple[object, object]:
            return codes[p // width], (kinds[p % width - 1] if p % width else None)

        found = [limit_of(*pair(int(p))) for p in pair_no]
        limits = sorted({lim for lim in found if lim is not None}, key=repr)
        number = np.array([limits.index(lim) if lim is not None else -1 for lim in found], dtype=np.int64)
        limit_no = pd.Series(number[pair_of.reshape(-1)], index=todo.index)
        starts = todo["_start"].astype("datetime64[ns]")
        for n, lim in enumerate(limits):
            rows = limit_no.index[limit_no == n]
            out.loc[rows] = working_deadlines(calendar, starts.loc[rows], lim)
        return out

    return rule


@contextmanager
def _discarded(copied: CopiedFile) -> Iterator[None]:
    try:
        yield
    finally:
        discard_copy(copied)


def _read_while_landing(wh: Warehouse, path: Path, mapping: LegacyMapping) -> tuple[pd.DataFrame, CopiedFile]:
    """The export read while landing copies and hashes it on a thread (the copy and the hash release the GIL: ≈ 0.3 s
    per million rows off the import's wall time). The rows read are the bytes kept: landing refuses a source that
    moved during its copy, and this refuses one that moved during the read."""
    before = path.stat()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="szcg-land") as pool:
        copying = pool.submit(copy_for_landing, wh.settings.landing_dir, path, "legacy_cases")
        try:
            raw = read_export(path, mapping)
        except BaseException:
            if copying.exception() is None:
                discard_copy(copying.result())
            raise
        copied = copying.result()  # landing's own refusals (a directory, changed during the copy)
    after = path.stat()
    if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns):
        discard_copy(copied)
        raise OSError(f"{path}: changed while being landed; submit it again")
    return raw, copied


def import_legacy(wh: Warehouse, path: Path, mapping: LegacyMapping, *,
                  as_of: pd.Timestamp | None = None) -> ImportResult:
    """Land the export, conform it and replace this batch's cases, events, quarantine and ledger in one go.
    Open cases are judged as of ``as_of`` (else the mapping's as_of: the export's time)."""
    path = Path(path)
    started = time.monotonic()
    if as_of is None and mapping.as_of is not None:
        as_of = pd.Timestamp(mapping.as_of)
    deadline_rule = handbook_deadline_rule(wh, mapping)
    if not path.is_file():
        raise InputRejected(f"{path}: no such file", [RowProblem(str(path), 0, "path", "file_exists", "文件不存在")])
    raw, copied = _read_while_landing(wh, path, mapping)
    # the copy leaves incoming whichever way the import ends (a registered one has left it already)
    with _discarded(copied), wh.writer(spatial=True) as con, transaction(con):
        landed = register_copy(con, wh.settings.landing_dir, copied)
        conformed = conform_export(raw, mapping, path.name, landed.batch_id, deadline_rule, as_of)
        cases = conformed.cases
        taken = _loaded_elsewhere(con, cases, landed.batch_id)
        if taken:
            for idx in cases.index[cases["case_id"].isin(taken)]:
                conformed.problems.append(RowProblem(
                    path.name, int(cases.at[idx, "row_number"]), mapping.columns.origin_case_id[0],
                    "already_loaded", f"case {cases.at[idx, 'case_id']} already loaded from batch"
                    f" {taken[cases.at[idx, 'case_id']]}"))
            cases = cases[~cases["case_id"].isin(taken)]
        cases, unmatched = resolve_areas(con, cases)
        flag_column = cases["flags"].to_numpy(dtype=object, copy=True)
        for n in np.flatnonzero(unmatched.to_numpy()):
            flag_column[n] = sorted([*flag_column[n], "no_grid_match"])
        cases["flags"] = flag_column
        delete_batch(con, landed.batch_id)
        insert_cases(con, cases)
        events = insert_events_from_cases(con, cases, mapping, landed.batch_id)
        raw_records = {int(p.row_number): scrub_json(raw.iloc[p.row_number - 1].to_dict())
                       for p in conformed.problems}
        quarantined = replace_quarantine(con, landed.batch_id, TARGET, conformed.problems, raw_records)
        flag_counts = cases["flags"].explode().value_counts().to_dict()
        rule_counts = pd.Series([p.rule for p in conformed.problems]).value_counts().to_dict()
        agreement = verdict_agreement(cases) if mapping.verdict is not None else None
        detail = {"mapping": Path(mapping.file).name, "origin_system": mapping.origin_system,
                  "flags": flag_counts, "quarantine_rules": rule_counts, "verdict_agreement": agreement}
        record_load(con, LoadCount(landed.batch_id, TARGET, len(raw), len(cases), quarantined), detail)
        record_load(con, LoadCount(landed.batch_id, EVENT_TARGET, events, events, 0),
                    {"synthesised_from": "export timestamps"})
    LOG.info("legacy import %s (%s): %d rows in, %d cases loaded, %d quarantined, %d events in %.1f s",
             path.name, mapping.origin_system, len(raw), len(cases), quarantined, events,
             time.monotonic() - started)
    return ImportResult(landed.batch_id, path.name, mapping.origin_system, len(raw), len(cases), quarantined,
                        events, {str(k): int(v) for k, v in flag_counts.items()},
                        {str(k): int(v) for k, v in rule_counts.items()}, landed.already_landed, agreement)


FIRST_IDS = 5


def _agreement(ids: np.ndarray, agree: np.ndarray) -> dict[str, Any]:
    return {"cases": len(agree), "agree": int(agree.sum()), "disagree": int((~agree).sum()),
            "first_disagreeing": ids[~agree][:FIRST_IDS].tolist()}


def verdict_agreement(cases: pd.DataFrame) -> dict[str, Any]:
    """The source's own on-time verdicts against szcg's, over the cases both judged: overall and per department
    (the export's own department name), with the first disagreeing case ids (in export order). On numpy arrays:
    comparing object columns and a pandas group per department cost ≈ 0.9 s per million cases."""
    judged = cases["source_on_time"].notna() & cases["handle_deadline_met"].notna()
    both = cases.loc[judged, ["row_number", "origin_case_id", "origin_department", "source_on_time",
                              "handle_deadline_met"]]
    if not both["row_number"].is_monotonic_increasing:
        both = both.sort_values("row_number")
    agree = both["source_on_time"].to_numpy(dtype=bool) == both["handle_deadline_met"].to_numpy(dtype=bool)
    ids = both["origin_case_id"].to_numpy(dtype=object)
    # the groups of groupby(sort=True) on the department names, "(none)" for a missing one
    number, names = pd.factorize(both["origin_department"].fillna("(none)"), sort=True)
    departments = [{"department": str(name), **_agreement(ids[number == n], agree[number == n])}
                   for n, name in enumerate(names)]
    return {**_agreement(ids, agree), "not_judged_by_source": int(cases["source_on_time"].isna().sum()),
            "not_judged_by_szcg": int(cases["handle_deadline_met"].isna().sum()), "departments": departments}


def _loaded_elsewhere(con: Any, cases: pd.DataFrame, batch_id: str) -> dict[str, str]:
    ids = pd.DataFrame({"case_id": cases["case_id"]})  # noqa: F841 — read by DuckDB's replacement scan
    rows = con.execute(
        'SELECT c.case_id, c.batch_id FROM core."case" c JOIN ids USING (case_id) WHERE c.batch_id <> ?', [batch_id]
    ).fetchall()
    return {str(a): str(b) for a, b in rows}

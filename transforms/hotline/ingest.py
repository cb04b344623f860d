"""``szcg hotline ingest PATH``: a 12319 call log (CSV in GBK or UTF-8, or XLSX) into core.hotline_call.

Order matters for privacy: the raw number is hashed (keyed, HMAC) and reduced to a display label (尾号5602·3fa1),
names dropped and every text cell scrubbed of phone numbers, ID-card numbers and self-introduced names
(szcg.privacy) right after reading — before validation, so neither core nor the quarantine's raw_record ever holds
a number. A call naming a district the city does not have is quarantined (``unknown_district``). Landing keeps
the file byte-for-byte (the warehouse rule: it is the evidence of what was received and lets a load be re-run);
the landed copy is made readable by its owner only and the landing area must be treated as restricted (docs:
transforms/mappings/README.md).

Links: a case number written in the log links the call (``logged``); otherwise a case of the same grid about
what the call is about — a subclass the call's category lists in ``categories.yaml`` (versioned config), or for
a category not listed there a subclass whose name appears in the call notes — reported from 1 h before to
``match.window_hours`` after the call, is linked (``matched``, nearest in time). Repeats: calls about the same
problem — the linked case, whoever calls (also when the first call about it was loaded from an earlier log);
without a case, the same caller hash about the same grid and category within the same log — within
``repeat.window_days``: the first call counts, later ones point to it (repeat_of).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator

from szcg.configmodel import ConfigModel, load_yaml
from szcg.errors import InputRejected, RowProblem
from szcg.settings import Settings
from szcg.timestamps import as_nanoseconds
from transforms.cases.legacy_import import _joined
from transforms.cases.scrub import scrub_series
from transforms.hotline.categories import CategoryTable, load_categories
from transforms.hotline.privacy import display_number, hash_identifier, hash_key
from warehouse.accounting import LoadCount, record_load, replace_quarantine
from warehouse.store import Warehouse
from warehouse.transaction import transaction

log = logging.getLogger(__name__)
TARGET = "core.hotline_call"
DEFAULT_MAPPING = Path(__file__).resolve().parents[1] / "mappings" / "hotline_default.yaml"
PERSONAL = ("caller_number", "caller_name")
OUT_COLUMNS = ("call_id", "called_at", "caller_hash", "caller_masked", "content", "category", "subclass_code",
               "case_id", "link_method", "is_repeat", "repeat_of", "satisfaction", "district_code", "grid_code",
               "lon", "lat", "batch_id", "origin_call_id", "origin_case_ref", "link_distance_m")


@dataclass
class HotlineResult:
    batch_id: str
    file: str
    encoding: str
    rows_in: int
    rows_loaded: int
    rows_quarantined: int
    linked_logged: int
    linked_matched: int
    repeats: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class _HotlineColumns(ConfigModel):
    """Our field → the log's column (null: the log has no such column)."""

    call_id: str = Field(min_length=1)
    called_at: str = Field(min_length=1)
    caller_number: str | None = None   # raw number: hashed and masked, never stored
    caller_masked: str | None = None   # the number as the system already masked it
    caller_name: str | None = None     # dropped, never stored
    content: str | None = None
    category: str | None = None
    district_code: str | None = None
    grid_code: str | None = None
    lon: str | None = None
    lat: str | None = None
    case_ref: str | None = None
    satisfaction: str | None = None


class _Match(ConfigModel):
    window_hours: float = Field(default=48, gt=0)
    distance_m: float = Field(default=300, gt=0)


class _Repeat(ConfigModel):
    window_days: float = Field(default=30, gt=0)


class HotlineMapping(ConfigModel):
    """A hotline log's mapping as written (``transforms/mappings/hotline_default.yaml``)."""

    columns: _HotlineColumns
    case_origin_system: str = Field(default="synth", min_length=1)
    timestamp_formats: list[str] = Field(min_length=1)
    satisfaction: dict[str, Literal["satisfied", "basically_satisfied", "dissatisfied", "unreached"]] = Field(
        default_factory=dict)
    no_case_categories: list[str] = Field(default_factory=list)
    match: _Match = Field(default_factory=_Match)
    repeat: _Repeat = Field(default_factory=_Repeat)

    @field_validator("timestamp_formats")
    @classmethod
    def _strptime(cls, value: list[str]) -> list[str]:
        if not all("%" in f for f in value):
            raise ValueError("expected strptime formats such as '%Y-%m-%d %H:%M:%S'")
        return value


def load_hotline_mapping(path: Path | None = None) -> dict[str, Any]:
    """The mapping, checked (unknown keys, loose types refused naming file, line and key), as plain data."""
    return load_yaml(HotlineMapping, Path(path or DEFAULT_MAPPING)).model_dump()


def read_log(path: Path) -> tuple[pd.DataFrame, str]:
    """The log as text; CSV encoding detected (UTF-8 first — GBK bytes are almost never valid UTF-8)."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        frame = pd.read_excel(path, dtype=str).fillna("")
        return frame, "xlsx"
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        from io import StringIO

        return pd.read_csv(StringIO(data.decode(encoding)), dtype=str, keep_default_na=False), (
            "utf-8" if encoding == "utf-8-sig" else "gbk")
    raise InputRejected(f"{path}: neither UTF-8 nor GBK text",
                        [RowProblem(path.name, 0, "(file)", "encoding", "文件编码不是UTF-8或GBK")])


def _column(raw: pd.DataFrame, cols: dict[str, Any], key: str) -> pd.Series:
    name = cols.get(key)
    present = bool(name) and str(name) in raw.columns  # optional columns (caller_number) may be absent
    return _joined(raw, [str(name)]) if present else pd.Series([None] * len(raw), index=raw.index, dtype=object)


def protect(raw: pd.DataFrame, cols: dict[str, Any], key: bytes) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(calls with hash/display of the number, the raw rows with personal data replaced) — nothing else leaves
    here. Every text cell is scrubbed (not only the notes): a number typed into any column must not reach the
    quarantine's raw_record either."""
    number = _column(raw, cols, "caller_number")
    masked_given = _column(raw, cols, "caller_masked")
    ident = number.where(number.notna(), masked_given)
    calls = pd.DataFrame(index=raw.index)
    calls["caller_hash"] = [hash_identifier(v, key) for v in ident]
    calls["caller_masked"] = [display_number(v, h) for v, h in zip(ident, calls["caller_hash"], strict=True)]
    safe = raw.copy()
    for name in safe.columns:
        safe[name] = scrub_series(safe[name])
    for field in ("caller_number", "caller_masked", "caller_name"):  # a given mask (139****1234) shows 7 digits
        name = cols.get(field)
        if name and name in safe.columns:
            safe[name] = calls["caller_masked"] if field != "caller_name" else "***"
    return calls, safe


def known_districts(settings: Settings) -> set[str]:
    """Codes of the city's districts and management areas, every version (a call may name a former code)."""
    from standards.areas import load_area_tree
    from standards.city import load_city

    tree = load_area_tree(load_city(settings))
    return {a.code for a in tree.all_versions() if a.level in ("district", "management_area")}


def _parse_times(values: pd.Series, formats: list[str]) -> pd.Series:
    text = values.fillna("").astype(str).str.strip()
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    for fmt in formats:
        todo = out.isna() & (text != "")
        if not todo.any():
            break
        out.loc[todo] = as_nanoseconds(pd.to_datetime(text[todo], format=fmt, errors="coerce"))
    return out


def ingest_hotline(wh: Warehouse, path: Path, settings: Settings, *, mapping_path: Path | None = None,
                   category_path: Path | None = None) -> HotlineResult:
    from quality.gx import run_suite
    from quality.hotline import hotline_suite

    started = time.perf_counter()
    key = hash_key(settings)  # before reading anything: no key, no ingest (outside the demo)
    path = Path(path)
    mapping = load_hotline_mapping(mapping_path)
    cols = mapping["columns"]
    missing = [str(c) for c in cols.values() if c and c not in ("",)]
    raw, encoding = read_log(path)
    optional = {cols.get("caller_number"), cols.get("caller_name"), cols.get("caller_masked")}
    missing = [c for c in missing if c not in raw.columns and c not in optional]
    if missing:
        raise InputRejected(f"{path}: columns {missing} not in the log (has {list(raw.columns)})",
                            [RowProblem(path.name, 0, c, "column_present", "缺少字段") for c in missing])
    calls, safe = protect(raw, cols, key)
    raw = safe  # from here on only the protected copy exists
    calls["row_number"] = np.arange(1, len(raw) + 1)
    calls["origin_call_id"] = _column(raw, cols, "call_id")
    calls["call_id"] = calls["origin_call_id"]
    calls["called_at"] = _parse_times(_column(raw, cols, "called_at"), list(mapping["timestamp_formats"]))
    calls["content"] = _column(raw, cols, "content")
    calls["category"] = _column(raw, cols, "category")
    calls["district_code"] = _column(raw, cols, "district_code")
    calls["grid_code"] = _column(raw, cols, "grid_code")
    calls["lon"] = pd.to_numeric(_column(raw, cols, "lon"), errors="coerce")
    calls["lat"] = pd.to_numeric(_column(raw, cols, "lat"), errors="coerce")
    calls["origin_case_ref"] = _column(raw, cols, "case_ref")
    given_sat = _column(raw, cols, "satisfaction")
    calls["satisfaction"] = given_sat.map(mapping.get("satisfaction") or {}).astype(object)
    calls["satisfaction_ok"] = given_sat.isna() | calls["satisfaction"].notna()
    problems = run_suite(calls, hotline_suite(), file_name=path.name, name="hotline_call")
    districts = known_districts(settings)
    unknown = calls["district_code"].notna() & ~calls["district_code"].isin(districts)
    problems += [RowProblem(path.name, int(calls.at[i, "row_number"]), str(cols["district_code"]), "unknown_district",
                            "区县代码不是本市的区县或管理区") for i in calls.index[unknown]]
    dup = calls["call_id"].notna() & calls["call_id"].duplicated(keep="first")
    problems += [RowProblem(path.name, int(calls.at[i, "row_number"]), str(cols["call_id"]), "duplicate_id",
                            f"call {calls.at[i, 'call_id']} appears earlier in the log") for i in calls.index[dup]]
    bad = {p.row_number for p in problems}
    good = calls[~calls["row_number"].isin(bad)].drop(columns=["satisfaction_ok"])
    with wh.writer() as con, transaction(con):
        landed = wh.land(con, path, "hotline")
        os.chmod(landed.path, 0o400)  # holds raw numbers: owner-only (landing is access-restricted)
        con.execute("DELETE FROM core.hotline_call WHERE batch_id = ?", [landed.batch_id])
        taken = con.execute("SELECT call_id, batch_id FROM core.hotline_call WHERE call_id IN"
                            " (SELECT call_id FROM good)").fetchall()
        for call_id, other in taken:
            row = int(good.loc[good["call_id"] == call_id, "row_number"].iloc[0])
            problems.append(RowProblem(path.name, row, str(cols["call_id"]), "already_loaded",
                                       f"call {call_id} already loaded from batch {other}"))
        good = good[~good["call_id"].isin({t[0] for t in taken})].copy()
        good["batch_id"] = landed.batch_id
        categories = load_categories(category_path)
        linked = link_calls(con, good, mapping, categories, settings=settings)
        earlier = con.execute(
            "SELECT case_id, arg_min(call_id, called_at) AS call_id, min(called_at) AS called_at"
            " FROM core.hotline_call WHERE case_id IN (SELECT case_id FROM linked) AND batch_id <> ?"
            " GROUP BY case_id", [landed.batch_id]).df()
        linked = mark_repeats(linked, float(mapping.get("repeat", {}).get("window_days", 30)), earlier)
        frame = linked.reindex(columns=list(OUT_COLUMNS))  # noqa: F841 — read by DuckDB below
        con.execute(f"INSERT INTO core.hotline_call ({', '.join(OUT_COLUMNS)})"
                    f" SELECT {', '.join(OUT_COLUMNS)} FROM frame ORDER BY call_id")
        raw_records = {p.row_number: raw.iloc[p.row_number - 1].to_dict() for p in problems if p.row_number}
        quarantined = replace_quarantine(con, landed.batch_id, TARGET, problems, raw_records)
        counts = linked["link_method"].value_counts().to_dict()
        record_load(con, LoadCount(landed.batch_id, TARGET, len(calls), len(linked), quarantined),
                    {"encoding": encoding, "links": counts, "repeats": int(linked["is_repeat"].sum()),
                     "categories_version": categories.version})
    log.info("hotline %s: %d calls in, %d loaded, %d quarantined in %.1f s", path.name, len(calls), len(linked),
             quarantined, time.perf_counter() - started)
    return HotlineResult(landed.batch_id, path.name, encoding, len(calls), len(linked), quarantined,
                         int(counts.get("logged", 0)), int(counts.get("matched", 0)), int(linked["is_repeat"].sum()))


def link_calls(con: Any, calls: pd.DataFrame, mapping: dict[str, Any],
               categories: CategoryTable | None = None, *, settings: Settings) -> pd.DataFrame:
    """Case number written in the log → ``logged``; else a case in the same grid (or within ``match.distance_m``)
    reported from 1 h before to ``match.window_hours`` after the call, about what the call is about → ``matched``
    (nearest in time). What it is about: a subclass listed for the call's category in ``categories.yaml``; for a
    category not listed there, a subclass whose name appears in the call's notes."""
    out = calls.copy()
    out["case_id"] = None
    out["link_method"] = "none"
    out["link_distance_m"] = np.nan
    out["subclass_code"] = None
    origin = str(mapping.get("case_origin_system") or "synth")
    ref = out["origin_case_ref"]
    wanted = pd.DataFrame({"k": out.index[ref.notna()], "case_id": origin + ":" + ref[ref.notna()]})  # noqa: F841
    found = con.execute('SELECT w.k, c.case_id, c.subclass_code FROM wanted w JOIN core."case" c USING (case_id)'
                        ).df().set_index("k")
    out.loc[found.index, "case_id"] = found["case_id"].astype(object)
    out.loc[found.index, "subclass_code"] = found["subclass_code"].astype(object)
    out.loc[found.index, "link_method"] = "logged"
    no_case = set(mapping.get("no_case_categories") or [])
    table = categories if categories is not None else load_categories()
    mapped = out["category"].map(lambda c: bool(table.codes(c)))
    todo = out[(out["link_method"] == "none") & ~out["category"].isin(no_case) & out["called_at"].notna()
               & (out["content"].notna() | mapped)]
    if not todo.empty:
        from standards.catalogue import load_catalogue
        from standards.city import load_city

        catalogue = load_catalogue(load_city(settings).edition)
        names = pd.DataFrame([{"kind": s.kind, "code": s.code, "name": s.name}  # noqa: F841
                              for s in catalogue.subclasses])
        window = float(mapping.get("match", {}).get("window_hours", 48))
        dist = float(mapping.get("match", {}).get("distance_m", 300))
        pending = todo.assign(k=todo.index, codes=[table.codes(c) for c in todo["category"]])[  # noqa: F841
            ["k", "called_at", "grid_code", "lon", "lat", "content", "codes"]]
        hav = ("2 * 6371008.8 * asin(sqrt(pow(sin(radians(c.lat - p.lat) / 2), 2) + cos(radians(p.lat))"
               " * cos(radians(c.lat)) * pow(sin(radians(c.lon - p.lon) / 2), 2)))")
        matched = con.execute(f"""
            WITH cand AS (
                SELECT p.k, c.case_id, c.subclass_code,
                       CASE WHEN p.lon IS NOT NULL AND c.lon IS NOT NULL THEN {hav} END AS d,
                       abs(epoch(c.reported_at) - epoch(p.called_at)) AS dt
                FROM pending p
                JOIN core."case" c ON c.reported_at BETWEEN p.called_at - INTERVAL 1 HOUR
                                                        AND p.called_at + to_seconds(CAST({window * 3600} AS BIGINT))
                JOIN names n ON n.code = c.subclass_code AND n.kind = c.kind
                WHERE (c.grid_code = p.grid_code OR (p.lon IS NOT NULL AND c.lon IS NOT NULL AND {hav} <= {dist}))
                  AND CASE WHEN len(p.codes) > 0 THEN list_contains(p.codes, c.kind || ':' || c.subclass_code)
                           ELSE position(n.name IN p.content) > 0 END)
            SELECT k, arg_min(case_id, dt) AS case_id, arg_min(subclass_code, dt) AS subclass_code,
                   arg_min(d, dt) AS d
            FROM cand GROUP BY k
        """).df().set_index("k")
        out.loc[matched.index, "case_id"] = matched["case_id"].astype(object)
        out.loc[matched.index, "subclass_code"] = matched["subclass_code"].astype(object)
        out.loc[matched.index, "link_distance_m"] = matched["d"].astype(float)
        out.loc[matched.index, "link_method"] = "matched"
    return out


def mark_repeats(calls: pd.DataFrame, window_days: float, earlier: pd.DataFrame | None = None) -> pd.DataFrame:
    """Calls about the same problem within the window count once: the first call counts, later ones are repeats
    of it. The problem is the linked case (whoever calls again about it); without a case, the same caller about
    the same grid and category."""
    out = calls.copy()
    if earlier is not None and not earlier.empty:  # first calls about these cases, from logs loaded before
        prior = earlier.assign(_prior=True, caller_hash=None, grid_code=None, category=None)
        out = pd.concat([out.assign(_prior=False), prior], ignore_index=False)
    else:
        out["_prior"] = False
    unlinked = out["caller_hash"].fillna("") + "#" + out["grid_code"].fillna("") + "|" + out["category"].fillna("")
    key = ("case:" + out["case_id"]).where(out["case_id"].notna(), unlinked)
    known = out["case_id"].notna() | (out["caller_hash"].notna() & out["grid_code"].notna())
    out["_key"] = key.where(known, "row:" + out["call_id"].astype(str))
    out = out.sort_values(["_key", "called_at", "call_id"])
    first_at = out.groupby("_key")["called_at"].transform("first")
    first_id = out.groupby("_key")["call_id"].transform("first")
    repeat = (out["call_id"] != first_id) & ((out["called_at"] - first_at) <= pd.Timedelta(days=window_days))
    out["is_repeat"] = repeat.astype(bool)
    out["repeat_of"] = first_id.where(repeat, None)
    out = out[~out["_prior"].astype(bool)]
    return out.drop(columns=["_key", "_prior"]).sort_index()

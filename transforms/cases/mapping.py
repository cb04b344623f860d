"""A legacy export's mapping, declared in YAML (see transforms/mappings/README.md): columns, timestamp formats and
zone, status vocabulary → our workflow states, categories → catalogue codes (with a fallback), channels → our
sources, and the coordinates' CRS. Checked when loaded: a mapping that does not make sense is a ConfigError
naming the file, the entry and the problem."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from szcg.errors import ConfigError
from transforms.cases.model import SOURCES, STATUSES

FIELDS = ("origin_case_id", "reported_at", "closed_at", "due_at", "status", "category", "source", "department",
          "address", "description")
REQUIRED_FIELDS = ("origin_case_id", "reported_at", "status")
KINDS = ("component", "event")


@dataclass(frozen=True)
class Category:
    kind: str | None
    code: str | None


@dataclass(frozen=True)
class LegacyMapping:
    file: str
    origin_system: str
    title: str
    edition: str
    encoding: str
    delimiter: str
    timezone: str  # IANA zone the export's wall-clock times are in
    offsets: str  # "convert": strings with a UTC offset are converted into `timezone`; "ignore": offset is wrong
    timestamp_formats: tuple[str, ...]
    columns: dict[str, list[str]]  # our field -> export column(s) (several are joined, e.g. type / descriptor)
    x: str | None
    y: str | None
    crs: str
    zero_coordinates_missing: bool
    statuses: dict[str, str]
    status_fallback: str
    categories: dict[str, Category]
    category_fallback: Category
    sources: dict[str, str]
    source_fallback: str
    departments: dict[str, str]
    duplicate_window_hours: float = 24.0
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def source_columns(self) -> list[str]:
        cols = [c for cols in self.columns.values() for c in cols]
        return cols + [c for c in (self.x, self.y) if c]


def _str_map(data: Any, fname: str, entry: str) -> dict[str, str]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(fname, entry, "expected a mapping of origin value → our value")
    return {str(k): str(v) for k, v in data.items()}


def _category(value: Any, fname: str, entry: str, catalogue: Any) -> Category:
    if value is None:
        return Category(None, None)
    if not isinstance(value, dict):
        raise ConfigError(fname, entry, "expected {kind: component|event, code: <subclass code>} or null")
    kind, code = value.get("kind"), value.get("code")
    if kind is None and code is None:
        return Category(None, None)
    if kind not in KINDS:
        raise ConfigError(fname, entry, f"kind {kind!r}: expected component or event")
    code = str(code)
    if catalogue is not None and catalogue.get(code, kind) is None:
        raise ConfigError(fname, entry, f"{kind} subclass {code!r} is not in the {catalogue.edition} catalogue")
    return Category(str(kind), code)


def load_mapping(path: Path, *, check_catalogue: bool = True) -> LegacyMapping:
    """Read and check a mapping YAML; category codes are checked against the catalogue of its edition."""
    fname = str(path)
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(fname, "(file)", "file not found") from None
    except yaml.YAMLError as exc:
        raise ConfigError(fname, "(file)", f"not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(fname, "(file)", "expected a mapping at the top level")
    origin = str(data.get("origin_system") or "")
    if not origin or not origin.replace("_", "").isalnum() or origin != origin.lower():
        raise ConfigError(fname, "origin_system", f"{origin!r}: expected a lower_snake_case system name")
    tz = str(data.get("timezone") or "")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(fname, "timezone", f"{tz!r} is not an IANA time zone (e.g. America/Los_Angeles)") from None
    offsets = str(data.get("offsets", "convert"))
    if offsets not in ("convert", "ignore"):
        raise ConfigError(fname, "offsets", f"{offsets!r}: expected convert or ignore")
    formats = data.get("timestamp_formats") or []
    if not isinstance(formats, list) or not formats or not all(isinstance(f, str) and "%" in f for f in formats):
        raise ConfigError(fname, "timestamp_formats", "expected a list of strptime formats such as '%m/%d/%Y %H:%M'")
    raw_cols = data.get("columns")
    if not isinstance(raw_cols, dict):
        raise ConfigError(fname, "columns", "expected a mapping of our field → the export's column")
    columns: dict[str, list[str]] = {}
    for key, value in raw_cols.items():
        if key not in FIELDS:
            raise ConfigError(fname, f"columns.{key}", f"unknown field; known: {', '.join(FIELDS)}")
        if value is None:
            continue
        columns[key] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    for key in REQUIRED_FIELDS:
        if key not in columns:
            raise ConfigError(fname, f"columns.{key}", "missing (required)")
    coords = data.get("coordinates") or {}
    if not isinstance(coords, dict):
        raise ConfigError(fname, "coordinates", "expected {x: column, y: column, crs: EPSG:…}")
    crs = str(coords.get("crs", "EPSG:4326"))
    if not crs.upper().startswith("EPSG:"):
        raise ConfigError(fname, "coordinates.crs", f"{crs!r}: expected EPSG:<code>")
    statuses = _str_map(data.get("statuses"), fname, "statuses")
    fallback = str(data.get("status_fallback", "reported"))
    for key, value in {**statuses, "(status_fallback)": fallback}.items():
        if value not in STATUSES:
            raise ConfigError(fname, f"statuses.{key}",
                              f"{value!r} is not a workflow state; known: {', '.join(STATUSES)}")
    sources = _str_map(data.get("sources"), fname, "sources")
    source_fallback = str(data.get("source_fallback", "other"))
    for key, value in {**sources, "(source_fallback)": source_fallback}.items():
        if value not in SOURCES:
            raise ConfigError(fname, f"sources.{key}", f"{value!r}: expected one of {', '.join(SOURCES)}")
    edition = str(data.get("edition") or "gbt47678.5-2026")
    catalogue = None
    if check_catalogue:
        from standards.catalogue import load_catalogue

        try:
            catalogue = load_catalogue(edition)
        except ConfigError as exc:
            raise ConfigError(fname, "edition", str(exc)) from None
    raw_categories = data.get("categories") or {}
    if not isinstance(raw_categories, dict):
        raise ConfigError(fname, "categories", "expected a mapping of origin category → {kind, code}")
    categories = {
        str(k): _category(v, fname, f"categories.{k}", catalogue) for k, v in raw_categories.items()
    }
    return LegacyMapping(
        file=fname,
        origin_system=origin,
        title=str(data.get("title") or origin),
        edition=edition,
        encoding=str(data.get("encoding", "utf-8")),
        delimiter=str(data.get("delimiter", ",")),
        timezone=tz,
        offsets=offsets,
        timestamp_formats=tuple(formats),
        columns=columns,
        x=str(coords["x"]) if coords.get("x") else None,
        y=str(coords["y"]) if coords.get("y") else None,
        crs=crs.upper(),
        zero_coordinates_missing=bool(coords.get("zero_is_missing", True)),
        statuses=statuses,
        status_fallback=fallback,
        categories=categories,
        category_fallback=_category(data.get("category_fallback"), fname, "category_fallback", catalogue),
        sources=sources,
        source_fallback=source_fallback,
        departments=_str_map(data.get("departments"), fname, "departments"),
        duplicate_window_hours=float(data.get("duplicate_window_hours", 24)),
        notes=str(data.get("notes") or ""),
    )

"""A legacy export's mapping, declared in YAML (see transforms/mappings/README.md): columns, timestamp formats and
zone, status vocabulary (or rules over several columns) → our workflow states, categories → catalogue codes (or
"not a 城管 matter"), channels → our sources, the coordinates' CRS and placeholder points, and what the steps the
export does not record mean for the evaluation.

The YAML is read into typed pydantic models: an unknown key, a wrong type or a key that does nothing for its
entry is a ConfigError naming the file and the key (a ``categorys:`` typo is refused, not silently ignored)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BeforeValidator, Field, field_validator, model_validator

from szcg.configmodel import ConfigModel, KeyProblem, load_yaml
from szcg.errors import ConfigError
from szcg.vocabulary import CASE_KINDS
from transforms.cases.model import SOURCES, STATUSES

KINDS = CASE_KINDS
# Fields whose value is a time: one column each (joining two time columns makes no time).
TIME_FIELDS = ("reported_at", "accepted_at", "registered_at", "dispatched_at", "handled_at", "checked_at",
               "closed_at", "voided_at", "due_at")
REQUIRED_FIELDS = ("origin_case_id", "reported_at", "status")


def _column_list(value: Any) -> Any:
    if isinstance(value, str):
        return [value]
    return value


ColumnRef = Annotated[list[str], BeforeValidator(_column_list), Field(min_length=1)]


class _Strict(ConfigModel):
    pass


class Columns(_Strict):
    """Our field → the export's column (a list is joined with " / "; time fields take one column)."""

    origin_case_id: ColumnRef
    reported_at: ColumnRef
    status: ColumnRef
    accepted_at: ColumnRef | None = None     # 受理
    registered_at: ColumnRef | None = None   # 立案
    dispatched_at: ColumnRef | None = None   # 派遣
    handled_at: ColumnRef | None = None      # 处置完成 / 反馈
    checked_at: ColumnRef | None = None      # 核查
    closed_at: ColumnRef | None = None       # 结案 (or the terminal action of the mapped status)
    voided_at: ColumnRef | None = None       # 作废
    due_at: ColumnRef | None = None          # 处置时限 as a time
    on_time: ColumnRef | None = None         # the source's own 是否按期 verdict
    category: ColumnRef | None = None
    source: ColumnRef | None = None
    department: ColumnRef | None = None
    grid: ColumnRef | None = None            # 所属网格 code
    address: ColumnRef | None = None
    description: ColumnRef | None = None

    @model_validator(mode="after")
    def _one_column_per_time(self) -> Columns:
        for name in (*TIME_FIELDS, "origin_case_id", "on_time", "grid"):
            value = getattr(self, name)
            if value is not None and len(value) != 1:
                raise KeyProblem(name, f"takes one column, got {value}")
        return self

    def as_dict(self) -> dict[str, list[str]]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


class Placeholder(_Strict):
    """A point the source uses when it has no location (e.g. the city hall): within radius_m it means missing."""

    name: str = ""
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    radius_m: float = Field(gt=0, le=50_000)


class Coordinates(_Strict):
    x: str | None = None
    y: str | None = None
    xy: str | None = None  # one column holding "x,y" (e.g. 坐标 "112.43,39.33")
    crs: str = "EPSG:4326"
    zero_is_missing: bool = True
    placeholders: list[Placeholder] = Field(default_factory=list)

    @field_validator("crs")
    @classmethod
    def _epsg(cls, value: str) -> str:
        if not value.upper().startswith("EPSG:"):
            raise ValueError(f"{value!r}: expected EPSG:<code>")
        return value.upper()

    @model_validator(mode="after")
    def _both_or_neither(self) -> Coordinates:
        if bool(self.x) != bool(self.y):
            raise KeyProblem("y" if self.x else "x", "give both columns x and y, or neither")
        if self.xy and self.x:
            raise KeyProblem("xy", "give either one xy column or x and y columns")
        if not (self.x or self.xy) and self.placeholders:
            raise KeyProblem("placeholders", "do nothing without coordinate columns")
        return self


class Category(_Strict):
    """A mapped category: a catalogue subclass, or ``out_of_scope`` (not a 城管 matter, with the reason)."""

    kind: Literal["component", "event"] | None = None
    code: str | None = None
    out_of_scope: str | None = None

    @model_validator(mode="after")
    def _one_meaning(self) -> Category:
        if self.out_of_scope is not None:
            if self.kind or self.code:
                raise ValueError("kind/code do nothing for a category declared out_of_scope")
            if not self.out_of_scope.strip():
                raise ValueError("out_of_scope: give the reason (e.g. 'health department matter')")
        elif (self.kind is None) != (self.code is None):
            raise ValueError("give both kind and code (or out_of_scope: reason)")
        return self

    @property
    def mapped(self) -> bool:
        return self.code is not None


UNMAPPED = Category()


class StatusRule(_Strict):
    """A status (e.g. voided) decided by several columns: every ``when`` column must hold one of the values."""

    when: dict[str, Annotated[list[str], BeforeValidator(_column_list), Field(min_length=1)]] = Field(min_length=1)
    status: str

    @field_validator("status")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in STATUSES:
            raise ValueError(f"{value!r} is not a workflow state; known: {', '.join(STATUSES)}")
        return value


class Steps(_Strict):
    """What a step the export does not record means (None: the step is not synthesised)."""

    registered: Literal["at_report"] | None = None   # 立案 at the report time
    dispatched: Literal["at_registered"] | None = None  # 派遣 to the mapped department at 立案
    handled: Literal["at_closed"] | None = None     # 处置/反馈 at the close time


class Deadline(_Strict):
    """The 处置 deadline: the export's due time, else (handbook: true) the 指挥手册 limit of the mapped subclass
    on the working calendar, else the convention of ``otherwise``."""

    handbook: bool = False
    otherwise: Literal["unjudged", "on_time"] = "unjudged"


class Verdict(_Strict):
    """How the export's on-time column reads: values meaning on time / overdue (anything else: no verdict)."""

    on_time: list[str] = Field(min_length=1)
    overdue: list[str] = Field(min_length=1)


def _str_map(value: Any) -> Any:
    if value is None:
        return {}
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    return value


class MappingSpec(_Strict):
    """The YAML as written."""

    origin_system: str
    title: str | None = None
    notes: str = ""
    edition: str = "gbt47678.5-2026"
    encoding: str = "utf-8"
    delimiter: str = ","
    timezone: str
    offsets: Literal["convert", "ignore"] = "convert"
    timestamp_formats: list[str] = Field(min_length=1)
    refuse_unparsed_share: float = Field(0.9, gt=0, le=1)
    columns: Columns
    coordinates: Coordinates = Field(default_factory=Coordinates)
    statuses: Annotated[dict[str, str], BeforeValidator(_str_map)] = Field(default_factory=dict)
    status_rules: list[StatusRule] = Field(default_factory=list)
    status_fallback: str = "reported"
    categories: Annotated[dict[str, Category | None], BeforeValidator(_str_map)] = Field(default_factory=dict)
    category_fallback: Category | None = None
    sources: Annotated[dict[str, str], BeforeValidator(_str_map)] = Field(default_factory=dict)
    source_fallback: str = "other"
    departments: Annotated[dict[str, str], BeforeValidator(_str_map)] = Field(default_factory=dict)
    # an agency not in `departments`: none (department NULL) or origin (kept as its own department,
    # "<origin_system>:<agency>", so a foreign city's agencies get department figures)
    department_fallback: Literal["none", "origin"] = "none"
    duplicate_window_hours: float = Field(24.0, ge=0)
    steps: Steps = Field(default_factory=Steps)
    deadline: Deadline = Field(default_factory=Deadline)
    verdict: Verdict | None = None
    as_of: datetime | None = None   # the export's time (wall clock of `timezone`): open cases are judged then

    @field_validator("origin_system")
    @classmethod
    def _snake(cls, value: str) -> str:
        if not value or not value.replace("_", "").isalnum() or value != value.lower():
            raise ValueError(f"{value!r}: expected a lower_snake_case system name")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone (e.g. America/Los_Angeles)") from None
        return value

    @field_validator("timestamp_formats")
    @classmethod
    def _strptime(cls, value: list[str]) -> list[str]:
        if not all("%" in f for f in value):
            raise ValueError("expected strptime formats such as '%m/%d/%Y %H:%M'")
        return value

    @field_validator("statuses")
    @classmethod
    def _states(cls, value: dict[str, str]) -> dict[str, str]:
        for key, state in value.items():
            if state not in STATUSES:
                raise ValueError(f"{key}: {state!r} is not a workflow state; known: {', '.join(STATUSES)}")
        return value

    @field_validator("status_fallback")
    @classmethod
    def _state(cls, value: str) -> str:
        if value not in STATUSES:
            raise ValueError(f"{value!r} is not a workflow state; known: {', '.join(STATUSES)}")
        return value

    @field_validator("sources")
    @classmethod
    def _sources(cls, value: dict[str, str]) -> dict[str, str]:
        for key, source in value.items():
            if source not in SOURCES:
                raise ValueError(f"{key}: {source!r}: expected one of {', '.join(SOURCES)}")
        return value

    @field_validator("source_fallback")
    @classmethod
    def _source(cls, value: str) -> str:
        if value not in SOURCES:
            raise ValueError(f"{value!r}: expected one of {', '.join(SOURCES)}")
        return value

    @model_validator(mode="after")
    def _keys_that_do_something(self) -> MappingSpec:
        c = self.columns
        if self.verdict is not None and c.on_time is None:
            raise KeyProblem("verdict", "does nothing without columns.on_time")
        if c.on_time is not None and self.verdict is None:
            raise KeyProblem("columns.on_time", "needs verdict: {on_time: [...], overdue: [...]} to be read")
        if self.steps.dispatched and not (self.steps.registered or c.registered_at):
            raise KeyProblem("steps.dispatched", "at_registered needs a 立案 (columns.registered_at or"
                             " steps.registered)")
        if self.sources and c.source is None:
            raise KeyProblem("sources", "does nothing without columns.source")
        if self.departments and c.department is None:
            raise KeyProblem("departments", "does nothing without columns.department")
        if self.department_fallback != "none" and c.department is None:
            raise KeyProblem("department_fallback", "does nothing without columns.department")
        return self


class LegacyMapping(MappingSpec):
    """A checked mapping and the file it came from."""

    file: str

    @property
    def columns_map(self) -> dict[str, list[str]]:
        return self.columns.as_dict()

    @property
    def x(self) -> str | None:
        return self.coordinates.x

    @property
    def y(self) -> str | None:
        return self.coordinates.y

    @property
    def crs(self) -> str:
        return self.coordinates.crs

    @property
    def zero_coordinates_missing(self) -> bool:
        return self.coordinates.zero_is_missing

    def category_for(self, value: str) -> Category | None:
        """The entry for an origin value (None: no entry; an explicit ``null`` entry is "not mapped yet")."""
        if value not in self.categories:
            return None
        return self.categories[value] or UNMAPPED

    @property
    def fallback_category(self) -> Category:
        return self.category_fallback or UNMAPPED

    def source_columns(self) -> list[str]:
        cols = [c for cols in self.columns_map.values() for c in cols]
        cols += [c for rule in self.status_rules for c in rule.when]
        return cols + [c for c in (self.x, self.y, self.coordinates.xy) if c]


def load_mapping(path: Path, *, check_catalogue: bool = True) -> LegacyMapping:
    """Read and check a mapping YAML; category codes are checked against the catalogue of its edition."""
    mapping = load_yaml(LegacyMapping, path, top={"file": str(path)})
    if check_catalogue:
        _check_codes(mapping)
    return mapping


def _check_codes(mapping: LegacyMapping) -> None:
    from standards.catalogue import load_catalogue

    try:
        catalogue = load_catalogue(mapping.edition)
    except ConfigError as exc:
        raise ConfigError(mapping.file, "edition", str(exc)) from None
    entries = [(f"categories.{k}", v) for k, v in mapping.categories.items()]
    entries.append(("category_fallback", mapping.category_fallback))
    for entry, cat in entries:
        if cat is not None and cat.code is not None and catalogue.get(cat.code, cat.kind) is None:
            raise ConfigError(mapping.file, entry,
                              f"{cat.kind} subclass {cat.code!r} is not in the {catalogue.edition} catalogue")

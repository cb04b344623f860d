"""指挥手册 (handbook): per subclass, when to register (立案) and close (结案) a case, who handles it and the
time limit of every step.

A city's handbook is ``handbook.yaml`` (edition, version, per-class limits of the steps other than 处置) plus a
rules CSV (one row per subclass). Everything is checked at load; a problem raises ConfigError naming the file,
the entry and the problem.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from standards._files import file_stamp, read_csv_rows, read_yaml_model
from szcg.configmodel import ConfigModel, validate_row
from szcg.errors import ConfigError
from szcg.vocabulary import CASE_KINDS as KINDS

if TYPE_CHECKING:
    from standards.calendar import WorkingCalendar
    from standards.city import CityConfig

STEPS = ("accept", "verify", "register", "dispatch", "handle", "check", "close")  # 受理 核实 立案 派遣 处置 核查 结案
STEP_NAMES_ZH = dict(zip(STEPS, ("受理", "核实", "立案", "派遣", "处置", "核查", "结案"), strict=True))
HANDLING_CLASSES = ("urgent", "normal", "engineering")  # 紧急 一般性 工程性
HandlingClass = Literal["urgent", "normal", "engineering"]

# Units of a time-limit text such as "4工作时": (basis, multiplier to hours; None = calendar hours per day).
_UNITS: dict[str, tuple[str, float | None]] = {
    "工作分钟": ("working", 1 / 60),
    "工作时": ("working", 1.0),
    "工作日": ("working", None),
    "自然分钟": ("natural", 1 / 60),
    "自然时": ("natural", 1.0),
    "自然日": ("natural", 24.0),
}
_LIMIT_RE = re.compile(r"\s*([-+]?\d+(?:\.\d+)?)\s*(" + "|".join(_UNITS) + r")\s*")
MAX_LIMIT_HOURS = 24 * 366  # a limit beyond a year is a typo, not a handbook entry


@dataclass(frozen=True)
class TimeLimit:
    hours: float
    basis: Literal["working", "natural"]
    source: str = ""  # the text it was read from, e.g. "5工作日"


def parse_limit(text: str, hours_per_day: float) -> TimeLimit:
    """Read "4工作时", "5工作日", "30工作分钟", "2自然时", "1自然日" (working days → hours with the calendar)."""
    m = _LIMIT_RE.fullmatch(text or "")
    if not m:
        raise ValueError(f"{text!r} is not a time limit; write a number and a unit: {', '.join(_UNITS)}")
    value = float(m.group(1))
    if value <= 0:
        raise ValueError(f"{text!r}: a time limit must be positive")
    basis, factor = _UNITS[m.group(2)]
    hours = value * (hours_per_day if factor is None else factor)
    if hours > MAX_LIMIT_HOURS:
        raise ValueError(f"{text!r}: longer than a year")
    return TimeLimit(hours, basis, text.strip())  # type: ignore[arg-type]


@dataclass(frozen=True)
class HandbookRule:
    subclass_code: str
    kind: str
    register_condition: str
    close_condition: str
    department_code: str
    handling_class: HandlingClass
    limits: dict[str, TimeLimit]  # one per STEP; 'handle' already resolved for the class
    subclass_name: str = ""
    value_origin: str = ""  # EXAMPLE (from a documented local example) or DEFAULT (plausible default)
    source: str = ""


@dataclass
class Handbook:
    edition: str
    version: str
    file: str = ""
    _rules: dict[tuple[str, str], HandbookRule] | None = None

    def rule_for(self, subclass_code: str, kind: str | None = None) -> HandbookRule:
        """The rule of a subclass; without ``kind`` a component rule wins over an event rule with the same code.
        Raises KeyError for a code the handbook does not know."""
        rules = self._rules or {}
        for k in ((kind,) if kind else KINDS):
            rule = rules.get((k, subclass_code))
            if rule is not None:
                return rule
        raise KeyError(f"指挥手册 {self.file}: no rule for {kind or 'subclass'} {subclass_code!r}")

    def rules(self) -> list[HandbookRule]:
        return list((self._rules or {}).values())


class _StepLimits(ConfigModel):
    """The limit of every step but 处置 (handle), which each rule of the rules CSV sets: "10工作分钟", "1自然日"…"""

    accept: str = Field(description="the limit of step accept (受理)")
    verify: str = Field(description="the limit of step verify (核实)")
    # "register" is also a method of every class (ABCMeta.register): the field is named register_ in Python
    register_: str = Field(alias="register", description="the limit of step register (立案)")
    dispatch: str = Field(description="the limit of step dispatch (派遣)")
    check: str = Field(description="the limit of step check (核查)")
    close: str = Field(description="the limit of step close (结案)")


class _StepLimitsByClass(ConfigModel):
    urgent: _StepLimits       # 紧急 (natural time)
    normal: _StepLimits       # 一般性
    engineering: _StepLimits  # 工程性


class HandbookFile(ConfigModel):
    """``handbook.yaml`` as written; the rules themselves are the CSV named by ``rules``."""

    edition: str
    version: str = Field(min_length=1)
    rules: str = Field(min_length=1)  # the rules CSV, relative to this file
    step_limits: _StepLimitsByClass


class RuleRow(ConfigModel):
    """A row of the 指挥手册 rules CSV; its columns are these fields (an unknown column is refused)."""

    kind: Literal["component", "event"]
    subclass_code: str
    subclass_name: str = ""  # default: the catalogue's name
    handling_class: HandlingClass
    department_code: str
    handle_limit: str = Field(description="the 处置 limit, e.g. 4工作时")
    step_overrides: str = ""  # "dispatch=1工作时; check=2工作时": this subclass's own limits of other steps
    register_condition: str = Field(description="the 立案 condition (立案条件)")
    close_condition: str = Field(description="the 结案 condition (结案条件)")
    value_origin: str = ""  # EXAMPLE (from a documented local example) or DEFAULT (plausible default)
    source: str = ""


def _step_limits(fname: str, data: HandbookFile, hours_per_day: float) -> dict[str, dict[str, TimeLimit]]:
    out: dict[str, dict[str, TimeLimit]] = {}
    for cls in HANDLING_CLASSES:
        limits = getattr(data.step_limits, cls)
        given = limits.model_dump(by_alias=True)
        out[cls] = {step: _limit(fname, f"step_limits.{cls}.{step}", given[step], hours_per_day, cls)
                    for step in STEPS if step != "handle"}
    return out


def _limit(fname: str, entry: str, text: str, hours_per_day: float, cls: str) -> TimeLimit:
    try:
        limit = parse_limit(text, hours_per_day)
    except ValueError as exc:
        raise ConfigError(fname, entry, str(exc)) from exc
    # Urgent cases run on natural time (the clock does not stop at night); others on working time.
    if cls == "urgent" and limit.basis != "natural":
        raise ConfigError(fname, entry, f"{text!r}: urgent limits must be natural time (自然分钟/自然时/自然日)")
    return limit


def _parse_handbook(handbook_file: Path, edition: str, calendar: WorkingCalendar,
                    catalogue_table: Path | None, departments_file: Path) -> Handbook:
    from standards.catalogue import load_catalogue
    from standards.departments import load_departments_file

    fname = str(handbook_file)
    data = read_yaml_model(HandbookFile, handbook_file)
    if data.edition != edition:
        raise ConfigError(fname, "edition", f"{data.edition!r} but the city uses edition {edition!r}")
    version = data.version
    hours_per_day = calendar.hours_per_day
    step_limits = _step_limits(fname, data, hours_per_day)
    rules_file = (handbook_file.parent / data.rules).resolve()
    if not rules_file.is_file():
        raise ConfigError(fname, "rules", f"file {rules_file} does not exist")
    rfile = str(rules_file)
    catalogue = load_catalogue(edition, catalogue_table)
    departments = {d.code: d for d in load_departments_file(departments_file)}
    rules: dict[tuple[str, str], HandbookRule] = {}
    required = ("kind", "subclass_code", "handling_class", "department_code", "handle_limit",
                "register_condition", "close_condition")
    for n, cells in enumerate(read_csv_rows(rules_file, required), 1):
        entry = f"row {n} ({cells.get('kind')} {cells.get('subclass_code')})"
        row = validate_row(RuleRow, cells, rfile, entry)
        kind, code = row.kind, row.subclass_code
        subclass = catalogue.get(code, kind)
        if subclass is None:
            raise ConfigError(rfile, entry, f"unknown subclass code {code!r} in {catalogue.title} ({kind})")
        if (kind, code) in rules:
            raise ConfigError(rfile, entry, "subclass listed twice")
        cls = row.handling_class
        dept = row.department_code
        if dept not in departments:
            raise ConfigError(rfile, entry, f"unknown department {dept!r} (not in {departments_file.name})")
        limits = dict(step_limits[cls])
        limits["handle"] = _limit(rfile, f"{entry} handle_limit", row.handle_limit, hours_per_day, cls)
        for part in filter(None, (p.strip() for p in row.step_overrides.split(";"))):
            step, _, text = part.partition("=")
            step = step.strip()
            if step not in STEPS:
                raise ConfigError(rfile, f"{entry} step_overrides", f"unknown step {step!r}; steps: {STEPS}")
            limits[step] = _limit(rfile, f"{entry} step_overrides {step}", text, hours_per_day, cls)
        rules[(kind, code)] = HandbookRule(
            subclass_code=code, kind=kind, register_condition=row.register_condition,
            close_condition=row.close_condition, department_code=dept, handling_class=cls,
            limits={s: limits[s] for s in STEPS}, subclass_name=row.subclass_name or subclass.name,
            value_origin=row.value_origin, source=row.source)
    missing = [s for s in catalogue.subclasses if (s.kind, s.code) not in rules]
    if missing:
        shown = ", ".join(f"{s.kind} {s.code} {s.name}" for s in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise ConfigError(rfile, "(rules)", f"no rule for {len(missing)} subclass(es) of {catalogue.title}: "
                                            f"{shown}{more}")
    return Handbook(edition=edition, version=version, file=fname, _rules=rules)


@functools.lru_cache(maxsize=16)
def _load_handbook_cached(handbook_file: Path, edition: str, calendar_file: Path, catalogue_table: Path | None,
                          departments_file: Path, stamps: tuple[int, ...]) -> Handbook:
    from standards.calendar import load_calendar_file

    return _parse_handbook(handbook_file, edition, load_calendar_file(calendar_file), catalogue_table,
                           departments_file)


def load_handbook(city: CityConfig) -> Handbook:
    """The city's 指挥手册, validated against its catalogue edition, departments and calendar (cached)."""
    hb = Path(city.handbook_file).resolve()
    rules_file = (hb.parent / read_yaml_model(HandbookFile, hb).rules).resolve()
    paths = [hb, city.calendar_file, city.departments_file] + ([rules_file] if rules_file.is_file() else [])
    stamps = tuple(file_stamp(p) for p in paths)
    return _load_handbook_cached(hb, city.edition, Path(city.calendar_file).resolve(), city.catalogue_table,
                                 Path(city.departments_file).resolve(), stamps)

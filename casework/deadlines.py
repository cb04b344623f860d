"""Time limits of each step from the 指挥手册, counted on the city's working calendar.

The case keeps the running clock (step, start, deadline, limit hours and basis); each event that completes a
step copies the deadline that applied and judges it (met, 超时倍数) at that moment, so evaluation reads history
and never re-derives it from today's configuration. Which actions start, complete, stop or extend the 处置 clock is
``casework.workflow.handle_clock_effects`` — the evaluation's 超期未处置 reads the same definition.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from standards.calendar import WorkingCalendar
    from standards.catalogue import Catalogue
    from standards.city import CityConfig
    from standards.departments import Department
    from standards.handbook import Handbook, HandbookRule
    from szcg.settings import Settings


@dataclass(frozen=True)
class Limit:
    """A step's limit as the case records it (hours incl. approved extensions; basis working|natural)."""

    hours: float
    basis: str
    source: str = ""


@dataclass(frozen=True)
class Clock:
    step: str
    started_at: datetime
    deadline_at: datetime | None
    hours: float | None
    basis: str | None


@dataclass(frozen=True)
class Judgement:
    """A completed step against the clock that applied to it (all None when the step had no limit)."""

    deadline_at: datetime | None = None
    met: bool | None = None
    overdue_multiple: float | None = None
    started_at: datetime | None = None
    hours: float | None = None
    basis: str | None = None


@dataclass
class CaseStandards:
    """The city's configuration the case service needs, loaded once at start."""

    city: CityConfig
    handbook: Handbook
    calendar: WorkingCalendar
    catalogue: Catalogue
    departments: list[Department]
    areas: Any  # standards.areas.AreaTree

    def department(self, code: str) -> Department | None:
        return next((d for d in self.departments if d.code == code), None)

    def default_department(self, subclass_code: str, kind: str, district_code: str | None) -> str | None:
        """The handbook's department, or the district's own one that covers that work (两级指挥)."""
        from standards.departments import responsible_department

        rule = self.rule(subclass_code, kind)
        if rule is None or not rule.department_code:
            return None
        try:
            return responsible_department(self.departments, rule.department_code, district_code).code
        except KeyError:
            return None

    # --- limits -----------------------------------------------------------------------------------------------
    def rule(self, subclass_code: str, kind: str) -> HandbookRule | None:
        try:
            return self.handbook.rule_for(subclass_code, kind)
        except (KeyError, LookupError):
            return None

    def limit(self, subclass_code: str, kind: str, step: str) -> Limit | None:
        rule = self.rule(subclass_code, kind)
        found = rule.limits.get(step) if rule is not None else None
        if found is None:
            return None
        return Limit(float(found.hours), str(found.basis), str(getattr(found, "source", "")))

    def start_clock(self, subclass_code: str, kind: str, step: str, at: datetime) -> Clock:
        limit = self.limit(subclass_code, kind, step)
        if limit is None:
            return Clock(step, at, None, None, None)
        return Clock(step, at, self.calendar.deadline(at, limit), limit.hours, limit.basis)  # type: ignore[arg-type]

    def judge(self, started_at: datetime | None, deadline_at: datetime | None, hours: float | None,
              basis: str | None, at: datetime) -> Judgement:
        if started_at is None or deadline_at is None or not hours or basis is None:
            return Judgement(deadline_at, started_at=started_at, hours=hours, basis=basis)
        multiple = self.calendar.overdue_multiple(started_at, at, Limit(hours, basis))  # type: ignore[arg-type]
        return Judgement(deadline_at, at <= deadline_at, round(multiple, 4), started_at, hours, basis)

    def extend(self, deadline_at: datetime, hours: float, basis: str) -> datetime:
        """延期: the deadline moves ``hours`` further on the clock's own basis."""
        return self.calendar.deadline(deadline_at, Limit(hours, basis))  # type: ignore[arg-type]


def load_standards(settings: Settings) -> CaseStandards:
    from standards.areas import load_area_tree
    from standards.calendar import load_calendar
    from standards.catalogue import load_catalogue
    from standards.city import load_city
    from standards.departments import load_departments
    from standards.handbook import load_handbook

    city = load_city(settings)
    return CaseStandards(
        city=city,
        handbook=load_handbook(city),
        calendar=load_calendar(city),
        catalogue=load_catalogue(city.edition, city.catalogue_table),
        departments=load_departments(city),
        areas=load_area_tree(city),
    )

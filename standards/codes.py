"""Validators for the codes of 数字城管: component ids (部件标识码), unit-grid codes (单元网格标识码) and event
(事件/管理事项) subclass codes. Each returns a :class:`CodeCheck` with every reason a code is invalid.

Structures (NOTES §2, §4): component id = 6 admin (GB/T 2260) + subclass (2 major + 2 minor in CJ/T 214-2007 and
GB/T 30428.2-2013, 2 major + 3 minor in GB/T 47678.5-2026) + 6 serial → 16 or 17 digits. Grid code
(GB/T 30428.1) = 6 admin + 3 street + 3 community + 3 serial = 15 digits; the legacy CJ/T 213-2005 code had 14
(2-digit serial).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from standards.catalogue import Catalogue

if TYPE_CHECKING:
    from standards.areas import AreaTree

# First two digits of GB/T 2260 codes (provinces, autonomous regions, municipalities, HK/MO/TW).
PROVINCE_PREFIXES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42",
    "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
})
_FULL_WIDTH = re.compile(r"[\uff10-\uff19]")


@dataclass(frozen=True)
class CodeCheck:
    value: str
    valid: bool
    reasons: list[str] = field(default_factory=list)
    parts: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.value}: valid" if self.valid else f"{self.value}: invalid — {'; '.join(self.reasons)}"


def _characters(value: str) -> list[str]:
    """Reasons a value is not a plain string of ASCII digits."""
    reasons = []
    if value != value.strip():
        reasons.append("leading or trailing whitespace")
    if _FULL_WIDTH.search(value):
        reasons.append("contains full-width digits (０–９); use ASCII digits 0–9")
    other = sorted({c for c in value.strip() if not ("0" <= c <= "9") and not _FULL_WIDTH.match(c)})
    if other:
        reasons.append(f"contains non-digit characters: {' '.join(repr(c) for c in other)}")
    return reasons


def _admin_reasons(admin: str, areas: AreaTree | None, on: date | None) -> list[str]:
    if admin[:2] not in PROVINCE_PREFIXES or admin[2:] == "0000":
        return [f"unknown admin prefix {admin}: not a GB/T 2260 city or district code"]
    if areas is None:
        return []
    if areas.has_admin_prefix(admin, on):
        return []
    when = f" on {on}" if on else ""
    if areas.has_admin_prefix(admin):
        valid = [a for a in areas.versions(admin)]
        span = ", ".join(f"{a.name} {a.valid_from}–{a.valid_to or ''}" for a in valid)
        return [f"admin prefix {admin} was not valid{when} ({span})"]
    return [f"unknown admin prefix {admin}: not the city {areas.city_code} or one of its districts{when}"]


def check_component_id(value: str, catalogue: Catalogue, areas: AreaTree | None = None, *,
                       on: date | None = None) -> CodeCheck:
    """部件标识码: 6 admin + subclass + 6 serial (16 digits for 2007/2013 editions, 17 for 2026)."""
    expected = 6 + catalogue.code_digits + 6
    layout = f"6 admin + 2 major + {catalogue.minor_digits} minor + 6 serial"
    reasons = _characters(value)
    if reasons:
        return CodeCheck(value, False, reasons)
    if len(value) != expected:
        hint = ""
        if len(value) == 17:
            hint = "; a 17-digit id belongs to GB/T 47678.5-2026"
        elif len(value) == 16:
            hint = "; a 16-digit id belongs to CJ/T 214-2007 or GB/T 30428.2-2013"
        return CodeCheck(value, False, [f"wrong length: {len(value)} digits, expected {expected} for "
                                        f"{catalogue.title} ({layout}){hint}"])
    admin, subclass, serial = value[:6], value[6:6 + catalogue.code_digits], value[6 + catalogue.code_digits:]
    parts = {"admin": admin, "major": subclass[:2], "minor": subclass[2:], "subclass": subclass, "serial": serial}
    reasons = _admin_reasons(admin, areas, on)
    found = catalogue.get(subclass, "component")
    if found is None:
        if catalogue.major_name("component", subclass[:2]) is None:
            reasons.append(f"unknown subclass {subclass}: no component major class {subclass[:2]} in "
                           f"{catalogue.title}")
        else:
            reasons.append(f"unknown subclass {subclass}: not a component subclass of {catalogue.title}")
    else:
        parts.update(name=found.name, provenance=found.provenance)
    if serial == "000000":
        reasons.append("serial 000000: serial numbers start at 000001")
    return CodeCheck(value, not reasons, reasons, parts)


def check_grid_code(value: str, areas: AreaTree | None = None, *, allow_legacy_14: bool = False,
                    on: date | None = None) -> CodeCheck:
    """单元网格标识码: 15 digits = 6 admin + 3 street + 3 community + 3 serial (GB/T 30428.1). A 14-digit
    CJ/T 213-2005 code (2-digit serial) is recognised and accepted only with ``allow_legacy_14``."""
    reasons = _characters(value)
    if reasons:
        return CodeCheck(value, False, reasons)
    if len(value) == 14:
        parts = {"admin": value[:6], "street": value[6:9], "community": value[9:12], "serial": value[12:],
                 "format": "CJ/T 213-2005 (legacy 14-digit)"}
        if not allow_legacy_14:
            return CodeCheck(value, False, ["legacy 14-digit CJ/T 213-2005 grid code (6 admin + 3 street + "
                                            "3 community + 2 serial); GB/T 30428.1 grid codes have 15 digits — "
                                            "accepted only with allow_legacy_14"], parts)
    elif len(value) == 15:
        parts = {"admin": value[:6], "street": value[6:9], "community": value[9:12], "serial": value[12:],
                 "format": "GB/T 30428.1 (15-digit)"}
    else:
        return CodeCheck(value, False, [f"wrong length: {len(value)} digits, expected 15 "
                                        "(6 admin + 3 street + 3 community + 3 serial)"])
    reasons = _admin_reasons(parts["admin"], areas, on)
    if areas is not None and not reasons:
        street9 = value[:9]
        district = areas.get(parts["admin"], on)
        district_streets = areas.children(parts["admin"], on) if district is not None else []
        if district_streets and not areas.has_street_prefix(street9, on):
            reasons.append(f"unknown street {parts['street']}: {street9} is not a 街道/乡镇 of "
                           f"{district.name if district else parts['admin']}")
        elif areas.has_communities(street9) and areas.get(value[:12], on) is None:
            reasons.append(f"unknown community {parts['community']}: {value[:12]} is not a 社区/村 of street "
                           f"{street9}")
        street = areas.get(street9, on)
        if street is not None:
            parts["street_name"] = street.name
    return CodeCheck(value, not reasons, reasons, parts)


def check_event_code(value: str, catalogue: Catalogue) -> CodeCheck:
    """事件/管理事项 subclass code: 2 major + minor (4 digits for 2007/2013, 5 for GB/T 47678.5-2026)."""
    reasons = _characters(value)
    if reasons:
        return CodeCheck(value, False, reasons)
    expected = catalogue.code_digits
    if len(value) != expected:
        return CodeCheck(value, False, [f"wrong length: {len(value)} digits, expected {expected} for "
                                        f"{catalogue.title} (2 major + {catalogue.minor_digits} minor)"])
    parts = {"major": value[:2], "minor": value[2:]}
    found = catalogue.get(value, "event")
    if found is None:
        if catalogue.major_name("event", value[:2]) is None:
            return CodeCheck(value, False, [f"unknown subclass {value}: no event major class {value[:2]} in "
                                            f"{catalogue.title}"], parts)
        return CodeCheck(value, False, [f"unknown subclass {value}: not an event subclass of {catalogue.title}"],
                         parts)
    parts.update(name=found.name, major_name=found.major_name, provenance=found.provenance)
    return CodeCheck(value, True, [], parts)

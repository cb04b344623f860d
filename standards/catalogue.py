"""Catalogues of 部件 (components) and 事件/管理事项 (events), one per standard edition, with provenance.

Rows are packaged data (``standards/catalogues/<edition>.csv``); ``editions.yaml`` describes each edition. The
GB/T 30428.2-2013 edition is fragmentary: a city completes it with its own table (see :func:`load_catalogue`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from standards._files import PACKAGE_DIR, file_stamp, read_csv_rows, read_yaml_model
from szcg.configmodel import ConfigModel, validate_row
from szcg.errors import ConfigError
from szcg.vocabulary import CASE_KINDS

CATALOGUE_DIR = PACKAGE_DIR / "catalogues"
EDITIONS_FILE = CATALOGUE_DIR / "editions.yaml"
CROSSWALK_FILE = CATALOGUE_DIR / "crosswalk.csv"
PROVENANCES = ("VERIFIED", "TRANSCRIBED", "RECONSTRUCTED", "CITY")
KINDS = CASE_KINDS
Kind = Literal["component", "event"]


class EditionSpec(ConfigModel):
    """One catalogue edition in ``editions.yaml``."""

    title: str = Field(min_length=1)          # "GB/T 47678.5-2026"
    full_title: str = ""                      # for people: the standard's full name
    minor_digits: int = Field(ge=1, le=4)     # subclass code = 2-digit major + this many minor digits
    complete: bool = True                     # False: only fragments are public (a city table completes it)
    in_force: date | None = None              # for people: since when the edition applies
    majors: dict[Kind, dict[str, str]] = Field(default_factory=dict)  # kind → major code → name


class EditionsFile(ConfigModel):
    editions: dict[str, EditionSpec] = Field(min_length=1)


def _edition_specs() -> dict[str, dict[str, Any]]:
    return {key: spec.model_dump() for key, spec in read_yaml_model(EditionsFile, EDITIONS_FILE).editions.items()}


EDITIONS: dict[str, str] = {key: str(spec["title"]) for key, spec in _edition_specs().items()}


def edition_key(value: str) -> str:
    """Accept an edition key ("gbt47678.5-2026") or its official title ("GB/T 47678.5-2026")."""
    if value in EDITIONS:
        return value
    for key, title in EDITIONS.items():
        if value.replace(" ", "").lower() == title.replace(" ", "").lower():
            return key
    raise ConfigError("standards/catalogues/editions.yaml", value, f"unknown edition; known: {', '.join(EDITIONS)}")


@dataclass(frozen=True)
class Subclass:
    edition: str
    kind: Kind
    major_code: str
    major_name: str
    code: str  # major + minor as used inside ids: "0101" (2007/2013), "01001" (2026)
    name: str
    provenance: str  # VERIFIED / TRANSCRIBED / RECONSTRUCTED / CITY
    derived_from: str = ""  # 2026 code this 2013 row was derived from ("" for rows read from a source)
    source_note: str = ""

    @property
    def minor_code(self) -> str:
        return self.code[2:]


@dataclass
class Catalogue:
    edition: str
    subclasses: list[Subclass]
    title: str = ""
    minor_digits: int = 2
    complete: bool = True
    majors: dict[str, dict[str, str]] = field(default_factory=dict)  # kind -> major code -> name
    _index: dict[tuple[str, str], Subclass] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._index = {(s.kind, s.code): s for s in self.subclasses}

    @property
    def code_digits(self) -> int:
        """Digits of a subclass code: 2 (major) + minor."""
        return 2 + self.minor_digits

    def get(self, code: str, kind: str | None = None) -> Subclass | None:
        """The subclass with this code; without ``kind`` a component wins over an event with the same code
        (GB/T 47678.5-2026 matters 01001… mirror the component codes)."""
        kinds = (kind,) if kind else KINDS
        for k in kinds:
            found = self._index.get((k, code))
            if found is not None:
                return found
        return None

    def components(self) -> list[Subclass]:
        return [s for s in self.subclasses if s.kind == "component"]

    def events(self) -> list[Subclass]:
        return [s for s in self.subclasses if s.kind == "event"]

    def major_name(self, kind: str, major_code: str) -> str | None:
        return self.majors.get(kind, {}).get(major_code)


class SubclassRow(ConfigModel):
    """A row of a catalogue CSV (packaged edition or a city's own table); an unknown column is refused."""

    kind: Kind
    major_code: str | None = None   # default: the code's first two digits
    major_name: str | None = None   # default: editions.yaml's name of the major class
    code: str = Field(pattern=r"^[0-9]+$")
    name: str
    provenance: Literal["VERIFIED", "TRANSCRIBED", "RECONSTRUCTED", "CITY"] | None = None
    derived_from: str = ""
    source_note: str = ""


def _row_to_subclass(edition: str, cells: dict[str, str], file: str, n: int, spec: dict[str, Any],
                     default_provenance: str | None = None) -> Subclass:
    entry = f"row {n} ({cells.get('kind')} {cells.get('code')})"
    row = validate_row(SubclassRow, cells, file, entry)
    code = row.code
    digits = 2 + int(spec["minor_digits"])
    if len(code) != digits:
        raise ConfigError(file, entry, f"code {code!r}: expected {digits} digits (2 major + {digits - 2} minor)")
    major = row.major_code or code[:2]
    if major != code[:2]:
        raise ConfigError(file, entry, f"major_code {major!r} does not match the code's first two digits")
    provenance = row.provenance or default_provenance or ""
    if provenance not in PROVENANCES:
        raise ConfigError(file, entry, f"provenance: missing (required: one of {', '.join(PROVENANCES)})")
    major_name = row.major_name or spec.get("majors", {}).get(row.kind, {}).get(major, "")
    return Subclass(edition, row.kind, major, str(major_name), code, row.name, provenance,  # type: ignore[arg-type]
                    row.derived_from, row.source_note)


@functools.lru_cache(maxsize=16)
def _load(edition: str, city_table: Path | None, stamps: tuple[int, ...]) -> Catalogue:
    spec = _edition_specs()[edition]
    file = CATALOGUE_DIR / f"{edition}.csv"
    rows = read_csv_rows(file, ("kind", "code", "name", "provenance"))
    subclasses = {}
    for n, row in enumerate(rows, 1):
        s = _row_to_subclass(edition, row, str(file), n, spec)
        subclasses[(s.kind, s.code)] = s
    complete = bool(spec.get("complete", True))
    if city_table is not None:
        # The city's own table is authoritative: drop every derived row, keep source fragments it doesn't replace.
        subclasses = {k: s for k, s in subclasses.items() if not s.derived_from}
        seen: set[tuple[str, str]] = set()
        for n, row in enumerate(read_csv_rows(city_table, ("kind", "code", "name")), 1):
            s = _row_to_subclass(edition, {**row, "provenance": row.get("provenance") or "CITY"},
                                 str(city_table), n, spec)
            if (s.kind, s.code) in seen:
                raise ConfigError(str(city_table), f"row {n} ({s.kind} {s.code})", "code listed twice")
            seen.add((s.kind, s.code))
            subclasses[(s.kind, s.code)] = s
        complete = True
    ordered = sorted(subclasses.values(), key=lambda s: (KINDS.index(s.kind), s.code))
    return Catalogue(edition, ordered, title=EDITIONS[edition], minor_digits=int(spec["minor_digits"]),
                     complete=complete, majors={k: dict(v) for k, v in spec.get("majors", {}).items()})


def load_catalogue(edition: str, city_table: Path | None = None) -> Catalogue:
    """The catalogue of ``edition`` (key or official title). ``city_table`` (CSV: kind, major_code, major_name,
    code, name[, provenance, source_note]) completes a fragmentary edition: its rows replace derived rows."""
    key = edition_key(edition)
    table = Path(city_table).resolve() if city_table is not None else None
    stamps = (file_stamp(CATALOGUE_DIR / f"{key}.csv"),) + ((file_stamp(table),) if table else ())
    return _load(key, table, stamps)


# --- crosswalk --------------------------------------------------------------------------------------------------
RELATIONS = ("same", "renamed", "moved", "split", "merged", "probable", "derived", "unknown")
_INVERSE = {"split": "merged", "merged": "split"}


@dataclass(frozen=True)
class CrosswalkEntry:
    from_edition: str
    from_code: str
    to_edition: str
    to_code: str  # "" when relation == "unknown": no equivalent is established, none is guessed
    relation: str
    note: str
    kind: str = "component"
    from_name: str = ""
    to_name: str = ""

    def inverted(self) -> CrosswalkEntry:
        return CrosswalkEntry(self.to_edition, self.to_code, self.from_edition, self.from_code,
                              _INVERSE.get(self.relation, self.relation), self.note, self.kind,
                              self.to_name, self.from_name)


@functools.lru_cache(maxsize=2)
def _load_crosswalk(stamp: int) -> tuple[CrosswalkEntry, ...]:
    file = str(CROSSWALK_FILE)
    out = []
    for n, row in enumerate(read_csv_rows(CROSSWALK_FILE, ("from_edition", "kind", "from_code", "to_edition",
                                                          "to_code", "relation", "note")), 1):
        entry = f"row {n} ({row['from_edition']} {row['from_code']})"
        for col in ("from_edition", "to_edition"):
            if row[col] not in EDITIONS:
                raise ConfigError(file, entry, f"{col} {row[col]!r} is not a known edition")
        if row["relation"] not in RELATIONS:
            raise ConfigError(file, entry, f"relation {row['relation']!r}: expected one of {', '.join(RELATIONS)}")
        if (row["relation"] == "unknown") != (row["to_code"] == ""):
            raise ConfigError(file, entry, "to_code must be empty exactly when relation is unknown")
        out.append(CrosswalkEntry(row["from_edition"], row["from_code"], row["to_edition"], row["to_code"],
                                  row["relation"], row["note"], row["kind"], row.get("from_name", ""),
                                  row.get("to_name", "")))
    return tuple(out)


def load_crosswalk() -> list[CrosswalkEntry]:
    """Every known correspondence between editions (as stored: older → newer). Unknown stays unknown."""
    return list(_load_crosswalk(file_stamp(CROSSWALK_FILE)))


def crosswalk(from_edition: str | None = None, to_edition: str | None = None) -> list[CrosswalkEntry]:
    """Entries from one edition to another, inverting stored entries when asked newer → older
    (unknown entries are not inverted: an unknown old code says nothing about any new code)."""
    fe = edition_key(from_edition) if from_edition else None
    te = edition_key(to_edition) if to_edition else None
    out = []
    for e in load_crosswalk():
        if (fe is None or e.from_edition == fe) and (te is None or e.to_edition == te):
            out.append(e)
        elif fe is not None and te is not None and e.from_edition == te and e.to_edition == fe \
                and e.relation != "unknown":
            out.append(e.inverted())
    return out


def translate(code: str, from_edition: str, to_edition: str, kind: str | None = None) -> list[CrosswalkEntry]:
    """Where ``code`` goes in another edition. An empty list or a single ``unknown`` entry means: not known."""
    return [e for e in crosswalk(from_edition, to_edition)
            if e.from_code == code and (kind is None or e.kind == kind)]

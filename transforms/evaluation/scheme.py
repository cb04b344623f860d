"""Evaluation schemes (评价方案): versioned YAML saying which indicators are scored, how, with which weights, grade
bands and minimum sample sizes. Read through a typed model (:class:`SchemeFile`) at load: a bad scheme — an unknown
key, a wrong type, weights not summing to 100 — raises ConfigError naming file, line, key path and problem."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from szcg.configmodel import ConfigModel, KeyProblem, load_yaml
from szcg.settings import Settings
from transforms.evaluation.indicators import BY_KEY, OBJECTS, REGION_LEVELS

SCHEMES_DIR = Path(__file__).resolve().parent / "schemes"
DEFAULT_SCHEME = SCHEMES_DIR / "default.yaml"
_WEIGHT_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Band:
    max: float | None  # inclusive upper bound; None = unbounded
    score: float


@dataclass(frozen=True)
class Grade:
    grade: str
    min: float
    colour: str
    hex: str


@dataclass(frozen=True)
class ScoredIndicator:
    indicator: str
    method: str
    weight: float
    bands: str | None = None


@dataclass(frozen=True)
class ObjectScheme:
    object: str
    sample: str  # indicator whose value is the sample size
    min_sample: dict[str, int]  # level → minimum
    indicators: tuple[ScoredIndicator, ...]


@dataclass(frozen=True)
class Scheme:
    scheme_id: str
    version: str
    title: str
    file: str
    sha256: str
    public_sources: tuple[str, ...]
    grades: tuple[Grade, ...]  # highest first
    bands: dict[str, tuple[Band, ...]]
    objects: dict[str, ObjectScheme]

    def grade_for(self, score: float | None) -> Grade | None:
        if score is None:
            return None
        return next((g for g in self.grades if score >= g.min), None)


def resolve_scheme_path(settings: Settings, explicit: Path | None = None) -> Path:
    """--scheme FILE, else the city's own ``<city dir>/evaluation/scheme.yaml``, else the packaged default."""
    if explicit is not None:
        return Path(explicit)
    from standards.city import city_dir

    own = city_dir(settings) / "evaluation" / "scheme.yaml"
    return own if own.is_file() else DEFAULT_SCHEME


# --- the file as written -------------------------------------------------------------------------------------------

TIE_BREAK = ["total_desc", "sample_desc", "code_asc"]  # what the engine does (transforms/evaluation/sql)
Percent = Annotated[float, Field(ge=0, le=100)]


class _Rules(ConfigModel):
    # Only what the engine implements is accepted: another value would be silently ignored.
    cutoff: Literal["period_end"] = "period_end"
    no_sample: Literal["redistribute"] = "redistribute"
    public_sources: list[str] = Field(default_factory=lambda: ["public", "hotline"])
    tie_break: list[str] = Field(default_factory=lambda: list(TIE_BREAK))

    @field_validator("tie_break")
    @classmethod
    def _implemented(cls, value: list[str]) -> list[str]:
        if value != TIE_BREAK:
            raise ValueError(f"only {TIE_BREAK} is implemented (higher total, then larger sample, then code)")
        return value


class _GradeRow(ConfigModel):
    grade: str = Field(min_length=1)
    min: Percent
    colour: str = ""
    hex: str = Field("#888888", pattern=r"^#[0-9a-fA-F]{6}$")


class _BandRow(ConfigModel):
    max: float | None  # required: null is the unbounded last band
    score: Percent


class _IndicatorRow(ConfigModel):
    indicator: str
    score: Literal["rate", "inverse_rate", "bands"]
    weight: float = Field(gt=0)  # leave unscored indicators out
    bands: str | None = None

    @model_validator(mode="after")
    def _bands_only_for_bands(self) -> _IndicatorRow:
        if self.score == "bands" and self.bands is None:
            raise KeyProblem("bands", "missing: score: bands needs the name of a band table under bands:")
        if self.score != "bands" and self.bands is not None:
            raise KeyProblem("bands", f"does nothing for score: {self.score} (only score: bands reads a table)")
        return self


class _ObjectSpec(ConfigModel):
    sample: str  # the count indicator whose value is the sample size
    min_sample: Annotated[int, Field(ge=0)] | dict[str, Annotated[int, Field(ge=0)]] = 0  # one, or per level
    indicators: list[_IndicatorRow] = Field(min_length=1)


class SchemeFile(ConfigModel):
    """A scheme YAML as written; rules across entries (weights sum to 100, grades descending…) are checked here."""

    scheme_id: str = Field(min_length=1)
    version: str = Field(min_length=1)
    title: str | None = None
    rules: _Rules = Field(default_factory=_Rules)
    grades: list[_GradeRow] = Field(min_length=1)
    bands: dict[str, list[_BandRow]] = Field(default_factory=dict)
    objects: dict[str, _ObjectSpec] = Field(min_length=1)

    @field_validator("objects", mode="before")
    @classmethod
    def _known_objects(cls, value: object) -> object:
        for obj in value if isinstance(value, dict) else ():
            if obj not in OBJECTS:
                raise KeyProblem((obj,), f"unknown evaluation object; known: {', '.join(OBJECTS)}")
        return value

    @model_validator(mode="after")
    def _grades_descend_to_zero(self) -> SchemeFile:
        for n, row in enumerate(self.grades[1:], 1):
            if row.min >= self.grades[n - 1].min:
                raise KeyProblem(("grades", n, "min"), f"{row.min:g}: grades must be listed from the highest bound"
                                 " down")
        if self.grades[-1].min != 0:
            raise KeyProblem(("grades", len(self.grades) - 1, "min"),
                             "the lowest grade must start at 0 so every score gets one")
        return self

    @model_validator(mode="after")
    def _bands_increase_to_unbounded(self) -> SchemeFile:
        for name, rows in self.bands.items():
            if not rows:
                raise KeyProblem(("bands", name), "expected a non-empty list of {max, score}")
            for n, row in enumerate(rows[1:], 1):
                before = rows[n - 1].max
                if before is None or (row.max is not None and row.max <= before):
                    raise KeyProblem(("bands", name, n, "max"), "bands must be listed with increasing max, unbounded"
                                     " last")
            if rows[-1].max is not None:
                raise KeyProblem(("bands", name), "the last band must have max: null so every count gets a score")
        return self

    @model_validator(mode="after")
    def _objects_score_known_indicators(self) -> SchemeFile:
        for obj, spec in self.objects.items():
            at: tuple[str | int, ...] = ("objects", obj)
            sample = BY_KEY.get((obj, spec.sample))
            if sample is None or sample.kind != "count":
                raise KeyProblem((*at, "sample"), f"{spec.sample!r} is not a count indicator of {obj}")
            levels = REGION_LEVELS if obj == "region" else (obj,)
            if isinstance(spec.min_sample, dict):
                unknown = sorted(set(spec.min_sample) - set(levels))
                if unknown:
                    raise KeyProblem((*at, "min_sample"), f"unknown level(s) {unknown}; expected {', '.join(levels)}")
            seen: set[str] = set()
            for n, item in enumerate(spec.indicators):
                here = (*at, "indicators", n)
                ind = BY_KEY.get((obj, item.indicator))
                if ind is None:
                    known = ", ".join(k for (o, k) in BY_KEY if o == obj)
                    raise KeyProblem(here, f"unknown indicator {item.indicator!r} for {obj}; known: {known}")
                if item.indicator in seen:
                    raise KeyProblem(here, f"indicator {item.indicator!r} listed twice")
                seen.add(item.indicator)
                if item.score in ("rate", "inverse_rate") and ind.kind != "rate":
                    raise KeyProblem((*here, "score"), f"{item.score} needs a rate; {item.indicator} is a {ind.kind}")
                if item.bands is not None and item.bands not in self.bands:
                    raise KeyProblem((*here, "bands"), f"{item.bands!r}: no such band table under bands:")
            total = sum(i.weight for i in spec.indicators)
            if abs(total - 100) > _WEIGHT_TOLERANCE:
                listing = " + ".join(f"{i.indicator} {i.weight:g}" for i in spec.indicators)
                raise KeyProblem((*at, "indicators"), f"weights sum to {total:g} %, expected 100 % ({listing})")
        return self


def load_scheme(path: Path | None = None) -> Scheme:
    """Read and check a scheme (default: the packaged one); a mistake is a ConfigError naming file, line and key."""
    file = Path(path) if path is not None else DEFAULT_SCHEME
    data = load_yaml(SchemeFile, file)
    objects: dict[str, ObjectScheme] = {}
    for obj, spec in data.objects.items():
        levels = REGION_LEVELS if obj == "region" else (obj,)
        given = spec.min_sample
        min_sample = {lv: given.get(lv, 0) for lv in levels} if isinstance(given, dict) else dict.fromkeys(levels,
                                                                                                           given)
        scored = tuple(ScoredIndicator(i.indicator, i.score, i.weight, i.bands) for i in spec.indicators)
        objects[obj] = ObjectScheme(obj, spec.sample, min_sample, scored)
    return Scheme(
        scheme_id=data.scheme_id,
        version=data.version,
        title=data.title or data.scheme_id,
        file=str(file),
        sha256=hashlib.sha256(file.read_bytes()).hexdigest(),
        public_sources=tuple(data.rules.public_sources),
        grades=tuple(Grade(g.grade, g.min, g.colour, g.hex) for g in data.grades),
        bands={name: tuple(Band(r.max, r.score) for r in rows) for name, rows in data.bands.items()},
        objects=objects,
    )

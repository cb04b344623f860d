"""Evaluation schemes (评价方案): versioned YAML saying which indicators are scored, how, with which weights, grade
bands and minimum sample sizes. Validated at load; a bad scheme raises ConfigError naming file, entry, problem."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from szcg.errors import ConfigError
from szcg.settings import Settings
from transforms.evaluation.indicators import BY_KEY, OBJECTS, REGION_LEVELS

SCHEMES_DIR = Path(__file__).resolve().parent / "schemes"
DEFAULT_SCHEME = SCHEMES_DIR / "default.yaml"
METHODS = ("rate", "inverse_rate", "bands")
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


def resolve_scheme_path(settings: Settings | None, explicit: Path | None = None) -> Path:
    """--scheme FILE, else the city's own ``<city dir>/evaluation/scheme.yaml``, else the packaged default."""
    if explicit is not None:
        return Path(explicit)
    if settings is not None:
        from standards.city import city_dir

        own = city_dir(settings) / "evaluation" / "scheme.yaml"
        if own.is_file():
            return own
    return DEFAULT_SCHEME


def load_scheme(path: Path | None = None) -> Scheme:
    file = Path(path) if path is not None else DEFAULT_SCHEME
    fname = str(file)
    if not file.is_file():
        raise ConfigError(fname, "(file)", "file not found")
    raw = file.read_bytes()
    try:
        data = yaml.safe_load(raw.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(fname, "(file)", f"not valid UTF-8 YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(fname, "(file)", "expected a mapping at the top level")
    for key in ("scheme_id", "version", "grades", "objects"):
        if key not in data or data[key] in (None, ""):
            raise ConfigError(fname, key, "missing (required)")
    rules = data.get("rules") or {}
    if not isinstance(rules, dict):
        raise ConfigError(fname, "rules", "expected a mapping")
    if rules.get("cutoff", "period_end") != "period_end":
        raise ConfigError(fname, "rules.cutoff", f"{rules.get('cutoff')!r}: only 'period_end' is supported")
    if rules.get("no_sample", "redistribute") != "redistribute":
        raise ConfigError(fname, "rules.no_sample", f"{rules.get('no_sample')!r}: only 'redistribute' is supported")
    sources = rules.get("public_sources", ["public", "hotline"])
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        raise ConfigError(fname, "rules.public_sources", "expected a list of case sources")
    grades = _grades(fname, data["grades"])
    bands = _bands(fname, data.get("bands") or {})
    objects = _objects(fname, data["objects"], bands)
    return Scheme(
        scheme_id=str(data["scheme_id"]),
        version=str(data["version"]),
        title=str(data.get("title") or data["scheme_id"]),
        file=fname,
        sha256=hashlib.sha256(raw).hexdigest(),
        public_sources=tuple(sources),
        grades=grades,
        bands=bands,
        objects=objects,
    )


def _number(fname: str, entry: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(fname, entry, f"{value!r}: expected a number")
    return float(value)


def _grades(fname: str, raw: Any) -> tuple[Grade, ...]:
    if not isinstance(raw, list) or not raw:
        raise ConfigError(fname, "grades", "expected a list of {grade, min, colour, hex}")
    out: list[Grade] = []
    for n, item in enumerate(raw, 1):
        entry = f"grades[{n}]"
        if not isinstance(item, dict) or not item.get("grade") or "min" not in item:
            raise ConfigError(fname, entry, "expected {grade, min, colour, hex}")
        low = _number(fname, f"{entry}.min", item["min"])
        if not 0 <= low <= 100:
            raise ConfigError(fname, f"{entry}.min", f"{low}: expected 0…100")
        if out and low >= out[-1].min:
            raise ConfigError(fname, f"{entry}.min", f"{low}: grades must be listed from the highest bound down")
        out.append(Grade(str(item["grade"]), low, str(item.get("colour", "")), str(item.get("hex", "#888888"))))
    if out[-1].min != 0:
        raise ConfigError(fname, f"grades[{len(out)}].min", "the lowest grade must start at 0 so every score gets one")
    return tuple(out)


def _bands(fname: str, raw: Any) -> dict[str, tuple[Band, ...]]:
    if not isinstance(raw, dict):
        raise ConfigError(fname, "bands", "expected a mapping of name → list of {max, score}")
    out: dict[str, tuple[Band, ...]] = {}
    for name, rows in raw.items():
        entry = f"bands.{name}"
        if not isinstance(rows, list) or not rows:
            raise ConfigError(fname, entry, "expected a non-empty list of {max, score}")
        bands: list[Band] = []
        for n, row in enumerate(rows, 1):
            e = f"{entry}[{n}]"
            if not isinstance(row, dict) or "max" not in row or "score" not in row:
                raise ConfigError(fname, e, "expected {max, score}")
            score = _number(fname, f"{e}.score", row["score"])
            if not 0 <= score <= 100:
                raise ConfigError(fname, f"{e}.score", f"{score}: expected 0…100")
            top = None if row["max"] is None else _number(fname, f"{e}.max", row["max"])
            if bands and (bands[-1].max is None or (top is not None and top <= bands[-1].max)):
                raise ConfigError(fname, f"{e}.max", "bands must be listed with increasing max, unbounded last")
            bands.append(Band(top, score))
        if bands[-1].max is not None:
            raise ConfigError(fname, entry, "the last band must have max: null so every count gets a score")
        out[str(name)] = tuple(bands)
    return out


def _objects(fname: str, raw: Any, bands: dict[str, tuple[Band, ...]]) -> dict[str, ObjectScheme]:
    if not isinstance(raw, dict) or not raw:
        raise ConfigError(fname, "objects", "expected a mapping of evaluation object → settings")
    out: dict[str, ObjectScheme] = {}
    for obj, spec in raw.items():
        entry = f"objects.{obj}"
        if obj not in OBJECTS:
            raise ConfigError(fname, entry, f"unknown evaluation object; known: {', '.join(OBJECTS)}")
        if not isinstance(spec, dict):
            raise ConfigError(fname, entry, "expected a mapping")
        sample = str(spec.get("sample"))
        if (obj, sample) not in BY_KEY or BY_KEY[(obj, sample)].kind != "count":
            raise ConfigError(fname, f"{entry}.sample", f"{sample!r} is not a count indicator of {obj}")
        levels = REGION_LEVELS if obj == "region" else (obj,)
        raw_min = spec.get("min_sample", 0)
        if isinstance(raw_min, dict):
            unknown = set(raw_min) - set(levels)
            if unknown:
                raise ConfigError(fname, f"{entry}.min_sample", f"unknown level(s) {sorted(unknown)}")
            min_sample = {lv: int(_number(fname, f"{entry}.min_sample.{lv}", raw_min.get(lv, 0))) for lv in levels}
        else:
            value = int(_number(fname, f"{entry}.min_sample", raw_min))
            min_sample = {lv: value for lv in levels}
        if any(v < 0 for v in min_sample.values()):
            raise ConfigError(fname, f"{entry}.min_sample", "must not be negative")
        items = spec.get("indicators")
        if not isinstance(items, list) or not items:
            raise ConfigError(fname, f"{entry}.indicators", "expected a non-empty list")
        scored: list[ScoredIndicator] = []
        for n, item in enumerate(items, 1):
            e = f"{entry}.indicators[{n}]"
            if not isinstance(item, dict):
                raise ConfigError(fname, e, "expected {indicator, score, weight}")
            key = item.get("indicator")
            ind = BY_KEY.get((obj, str(key)))
            if ind is None:
                known = ", ".join(k for (o, k) in BY_KEY if o == obj)
                raise ConfigError(fname, e, f"unknown indicator {key!r} for {obj}; known: {known}")
            if any(s.indicator == key for s in scored):
                raise ConfigError(fname, e, f"indicator {key!r} listed twice")
            method = item.get("score")
            if method not in METHODS:
                raise ConfigError(fname, f"{e}.score", f"{method!r}: expected one of {', '.join(METHODS)}")
            if method in ("rate", "inverse_rate") and ind.kind != "rate":
                raise ConfigError(fname, f"{e}.score", f"{method} needs a rate; {key} is a {ind.kind}")
            band_name = item.get("bands")
            if method == "bands" and band_name not in bands:
                raise ConfigError(fname, f"{e}.bands", f"{band_name!r}: no such band table under bands:")
            weight = _number(fname, f"{e}.weight", item.get("weight"))
            if weight <= 0:
                raise ConfigError(fname, f"{e}.weight", f"{weight}: must be positive (leave unscored ones out)")
            scored.append(ScoredIndicator(str(key), str(method), weight, band_name if method == "bands" else None))
        total = sum(s.weight for s in scored)
        if abs(total - 100) > _WEIGHT_TOLERANCE:
            listing = " + ".join(f"{s.indicator} {s.weight:g}" for s in scored)
            raise ConfigError(fname, f"{entry}.indicators", f"weights sum to {total:g} %, expected 100 % ({listing})")
        out[obj] = ObjectScheme(obj, str(sample), min_sample, tuple(scored))
    return out

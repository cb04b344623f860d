"""The hotline category → catalogue subclass table (``categories.yaml``): which cases a call can be about."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from szcg.errors import ConfigError

CATEGORIES = Path(__file__).with_name("categories.yaml")
_SELECTOR = re.compile(r"^(component|event):(\d+)(?:-(\d+))?$")


@dataclass(frozen=True)
class CategoryTable:
    version: str
    edition: str
    subclasses: dict[str, tuple[str, ...]]  # category → ('<kind>:<code>', …), sorted

    def codes(self, category: str | None) -> list[str]:
        """The subclasses a call of ``category`` can be about; empty = the category says nothing about it."""
        return list(self.subclasses.get(category or "", ()))


def load_categories(path: Path | None = None) -> CategoryTable:
    """Read and check the table: every selector must name subclasses the edition's catalogue has."""
    from standards.catalogue import load_catalogue

    path = Path(path or CATEGORIES)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(str(path), "(file)", "file not found") from None
    if not isinstance(data, dict) or not isinstance(data.get("categories"), dict):
        raise ConfigError(str(path), "categories", "expected a mapping of hotline category → [selectors]")
    for key in ("version", "edition"):
        if not data.get(key):
            raise ConfigError(str(path), key, "missing (required)")
    catalogue = load_catalogue(str(data["edition"]))
    known = {(s.kind, s.code) for s in catalogue.subclasses}
    table: dict[str, tuple[str, ...]] = {}
    for category, selectors in data["categories"].items():
        if not isinstance(selectors, list) or not selectors:
            raise ConfigError(str(path), f"categories.{category}", "expected a non-empty list of selectors")
        found: set[str] = set()
        for selector in selectors:
            match = _SELECTOR.match(str(selector))
            if not match:
                raise ConfigError(str(path), f"categories.{category}", f"selector {selector!r}: expected"
                                  " <component|event>:<code> or <kind>:<from>-<to>")
            kind, lo, hi = match.group(1), match.group(2), match.group(3) or match.group(2)
            if len(lo) != len(hi) or lo > hi:
                raise ConfigError(str(path), f"categories.{category}", f"selector {selector!r}: bad range")
            codes = {f"{kind}:{code}" for k, code in known if k == kind and len(code) == len(lo) and lo <= code <= hi}
            # Range ends must exist: a typo should fail here, not shrink the range silently.
            if (kind, lo) not in known or (kind, hi) not in known:
                raise ConfigError(str(path), f"categories.{category}",
                                  f"selector {selector!r}: {kind} subclass not in catalogue {data['edition']}")
            found |= codes
        table[str(category)] = tuple(sorted(found))
    return CategoryTable(str(data["version"]), str(data["edition"]), table)

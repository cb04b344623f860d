"""The hotline category → catalogue subclass table (``categories.yaml``): which cases a call can be about."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import Field, StringConstraints

from szcg.configmodel import ConfigModel, load_yaml
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


Selector = Annotated[str, StringConstraints(pattern=_SELECTOR.pattern)]


class CategoryFile(ConfigModel):
    """``categories.yaml`` as written: hotline category → selectors ``<kind>:<code>`` or ``<kind>:<from>-<to>``."""

    version: str = Field(min_length=1)
    edition: str = Field(min_length=1)
    categories: dict[str, Annotated[list[Selector], Field(min_length=1)]] = Field(min_length=1)


def load_categories(path: Path | None = None) -> CategoryTable:
    """Read and check the table: every selector must name subclasses the edition's catalogue has."""
    from standards.catalogue import load_catalogue

    path = Path(path or CATEGORIES)
    data = load_yaml(CategoryFile, path)
    catalogue = load_catalogue(data.edition)
    known = {(s.kind, s.code) for s in catalogue.subclasses}
    table: dict[str, tuple[str, ...]] = {}
    for category, selectors in data.categories.items():
        found: set[str] = set()
        for selector in selectors:
            match = _SELECTOR.match(selector)
            assert match is not None  # the model checked the pattern
            kind, lo, hi = match.group(1), match.group(2), match.group(3) or match.group(2)
            if len(lo) != len(hi) or lo > hi:
                raise ConfigError(str(path), f"categories.{category}", f"selector {selector!r}: bad range")
            codes = {f"{kind}:{code}" for k, code in known if k == kind and len(code) == len(lo) and lo <= code <= hi}
            # Range ends must exist: a typo should fail here, not shrink the range silently.
            if (kind, lo) not in known or (kind, hi) not in known:
                raise ConfigError(str(path), f"categories.{category}",
                                  f"selector {selector!r}: {kind} subclass not in catalogue {data.edition}")
            found |= codes
        table[category] = tuple(sorted(found))
    return CategoryTable(data.version, data.edition, table)

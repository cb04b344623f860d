"""The one place that plugs the areas' audits and mart builders into every publish.

The warehouse runs whatever is registered; it does not know the areas above it. This module, at the use-case level,
registers them explicitly — each audit and builder by name, in one list — before any publish (``wire()`` is called
by :mod:`usecases.publish` and by every entry point). An area added to the platform is wired here.
"""

from __future__ import annotations

import importlib

AREA_MODULES: tuple[str, ...] = ("quality.census", "quality.cases", "transforms.evaluation.store", "dashboards.marts")


def wire() -> None:
    for module in AREA_MODULES:
        importlib.import_module(module)

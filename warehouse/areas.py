"""The areas that plug audits and mart builders into every publish.

Importing an area's module registers what it contributes (``register_audit``, ``register_mart_builder``). Every
publish imports all of them first, so no process can publish without a gate, or with a stale summary, just because
it never happened to import the area that defines it. One list for both kinds: an area added here is wired into
both.
"""

from __future__ import annotations

import importlib

AREA_MODULES: tuple[str, ...] = ("quality.census", "quality.cases", "transforms.evaluation.store", "dashboards.marts")


def import_areas() -> None:
    for module in AREA_MODULES:
        importlib.import_module(module)

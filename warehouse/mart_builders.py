"""Mart builders: derived tables refreshed inside the work database before every publish.

Some marts are too expensive to compute at query time over all history (the dashboards' monthly summaries); they
are materialised instead. A builder takes the writer's connection to the work database and rewrites its tables
from core. ``Warehouse.publish`` runs every registered builder first, all in ONE transaction: either every summary
is rebuilt or none is and the publish stops, so the snapshot never carries a summary that disagrees with the core
rows copied with it. Builders must be idempotent (rebuild from scratch: same input, same tables).

The wiring module (``usecases.wiring``) registers the areas' builders with :func:`register_mart_builder`; a publish
before it ran is refused (``warehouse.areas``), so no process can publish a stale summary just because it never
imported the summary's owner.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import duckdb

from szcg.errors import SzcgError
from warehouse.areas import require_wired
from warehouse.transaction import transaction

MartBuilder = Callable[[duckdb.DuckDBPyConnection], None]
_REGISTRY: dict[str, MartBuilder] = {}


class MartBuildFailed(SzcgError):
    """A mart builder failed; nothing it or any other builder wrote is kept, and nothing is published."""

    def __init__(self, name: str, error: BaseException) -> None:
        self.builder = name
        super().__init__(f"mart builder {name!r} failed, publish aborted (previous snapshot stays current): "
                         f"{type(error).__name__}: {error}")


def register_mart_builder(name: str) -> Callable[[MartBuilder], MartBuilder]:
    def decorate(func: MartBuilder) -> MartBuilder:
        _REGISTRY[name] = func
        return func

    return decorate


def registered_mart_builders() -> dict[str, MartBuilder]:
    require_wired()
    return dict(_REGISTRY)


def build_marts(
    con: duckdb.DuckDBPyConnection, builders: Iterable[tuple[str, MartBuilder]] | None = None
) -> dict[str, float]:
    """Run the builders (default: every registered one) in one transaction; returns seconds per builder."""
    chosen = list(builders) if builders is not None else list(registered_mart_builders().items())
    timings: dict[str, float] = {}
    if not chosen:
        return timings
    with transaction(con):
        for name, builder in chosen:
            started = time.perf_counter()
            try:
                builder(con)
            except Exception as exc:
                raise MartBuildFailed(name, exc) from exc
            timings[name] = round(time.perf_counter() - started, 3)
    return timings

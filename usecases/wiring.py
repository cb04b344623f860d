"""The one place that plugs the areas' audits and mart builders into every publish.

The warehouse runs whatever is registered; it does not know the areas above it. This module, at the use-case level,
registers each audit and builder explicitly, by name, in one list; every entry point calls :func:`wire` (the CLI
at start, the use cases before they publish, the test suite at import), and the warehouse refuses to publish
before it has run (``warehouse.areas.NotWired``). An area's new audit or summary is added here.

Each entry imports its area only when it runs, so wiring costs nothing at start-up (``szcg evaluate show`` does
not import pandas and Great Expectations to register audits it will not run).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb


def component_history(con: duckdb.DuckDBPyConnection) -> list[str]:
    """部件 SCD2 history without gaps or overlaps."""
    from quality.census import component_history_problems

    return component_history_problems(con)


def cases_conformed(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Set rules every case source must satisfy."""
    from quality.cases import cases_conformed as check

    return check(con)


def published_scorecards_intact(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Published scorecard versions still hash to what was recorded when they were frozen."""
    from transforms.evaluation.store import published_scorecards_intact as check

    return check(con)


def dashboard_summaries_match_core(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The dashboards' materialised summaries agree with core."""
    from dashboards.marts import summaries_match_core

    return summaries_match_core(con)


def dashboard_summaries(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild the dashboards' monthly summaries before a publish."""
    from dashboards.marts import build_summaries

    build_summaries(con)


AUDITS = (component_history, cases_conformed, published_scorecards_intact, dashboard_summaries_match_core)
MART_BUILDERS = (dashboard_summaries,)


def wire() -> None:
    """Register every area's audits and mart builders (idempotent: the registries are keyed by name)."""
    from warehouse.areas import mark_wired
    from warehouse.audits import register_audit
    from warehouse.mart_builders import register_mart_builder

    for audit in AUDITS:
        register_audit(audit.__name__)(audit)
    for builder in MART_BUILDERS:
        register_mart_builder(builder.__name__)(builder)
    mark_wired()

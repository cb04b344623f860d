"""
### warehouse_quality — nightly re-check of the published warehouse

Runs at 03:30 CST every night, and also as soon as a census batch or a legacy import is published (those bulk
loads are the ones most likely to break references). Reads the **published** snapshot only (never blocks
writers):

* referential integrity — cases, events, components and hotline calls point at grids, departments, subclasses and
  cases that exist;
* grid coverage — every 社区 of the city has grids, every case with coordinates has a grid;
* late data — the case feed, hotline and census loads are not older than their expected cadence.

Writes `reports/quality/<date>.json` and `.md`; the *check* task fails with the full list when anything is wrong.
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import dag, task
from airflow.timetables.assets import AssetOrTimeSchedule
from airflow.timetables.trigger import CronTriggerTimetable

from orchestration.assets import COMPONENTS, DEFAULT_ARGS, LEGACY_CASES, QUALITY_REPORT
from orchestration.names import CST


@dag(
    dag_id="warehouse_quality",
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("30 3 * * *", timezone=CST), assets=(COMPONENTS | LEGACY_CASES)
    ),
    start_date=pendulum.datetime(2026, 1, 1, tz=CST),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["szcg", "quality", "reads-warehouse"],
    doc_md=__doc__,
)
def warehouse_quality() -> None:
    @task(outlets=[QUALITY_REPORT])
    def inspect(**context: Any) -> dict[str, Any]:
        from orchestration import quality_checks
        from orchestration.periods import run_instant
        from szcg.settings import load_settings

        return quality_checks.inspect_published(context["run_id"], run_instant(context), settings=load_settings())

    @task(retries=0)
    def check(found: dict[str, Any]) -> None:
        from orchestration import quality_checks

        quality_checks.fail_on_problems(found)

    check(inspect())


warehouse_quality()

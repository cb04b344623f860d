"""
### casework_sync — the case service's change feed into the warehouse

Every 5 minutes: pull `GET /events?after=<cursor>` from the case service until it is drained, upsert
`core.case` / `core.case_event` and advance `landing.feed_cursor` in the same transaction (a failed pull leaves
the cursor where it was; the next run resumes from it). Publishes a snapshot only when something new arrived.

The case service's address and API client come from `SZCG_CASEWORK_URL` / `SZCG_CASEWORK_CLIENT_*` in the
worker's environment, or `base_url` in the run's conf.
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import Param, dag, task
from airflow.timetables.trigger import CronTriggerTimetable

from orchestration.assets import CASES, DEFAULT_ARGS, WAREHOUSE_WRITER_POOL
from orchestration.names import CST


@dag(
    dag_id="casework_sync",
    schedule=CronTriggerTimetable("*/5 * * * *", timezone=CST),
    start_date=pendulum.datetime(2026, 1, 1, tz=CST),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=pendulum.duration(minutes=30),
    default_args=DEFAULT_ARGS,
    tags=["szcg", "cases", "writes-warehouse"],
    doc_md=__doc__,
    params={"base_url": Param("", type="string", description="case service URL; empty: SZCG_CASEWORK_URL")},
)
def casework_sync() -> None:
    @task(pool=WAREHOUSE_WRITER_POOL)
    def pull(**context: Any) -> dict[str, Any]:
        from orchestration import steps

        return steps.sync_cases(context["params"]["base_url"] or None)

    @task(pool=WAREHOUSE_WRITER_POOL, outlets=[CASES])
    def publish(result: dict[str, Any]) -> dict[str, Any]:
        from orchestration import steps

        return steps.publish_if_loaded(result, reason="case service change feed")

    publish(pull())


casework_sync()

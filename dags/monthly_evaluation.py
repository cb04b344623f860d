"""
### monthly_evaluation — 综合评价 scorecards for the previous month

Runs at 02:00 CST on the 1st of each month and evaluates the **previous calendar month, derived from the run's
logical date** — so `airflow backfill create --dag-id monthly_evaluation --from-date 2026-02-01 --to-date
2026-06-01T02:00` recomputes January–May exactly (one run per 02:00 tick on a 1st in the inclusive range; dates
without an offset are read in the installation's time zone, CST). A manual run (Trigger button, `airflow dags
trigger`) has no logical date: it evaluates the month before the day it runs, or the month named in conf
(`period`: `YYYY-MM`).

compute (scorecards into the work database) → validate (expectations on the results) → **gate** (stop here if
anything failed: readers keep last month's published scorecards) → publish (audited snapshot; `current` switches)
→ report: render the monthly report once, archive and e-mail it (a 更正版 for re-issued months) → refresh the
dashboards (Superset reads `current` read-only). Each step is the job in `usecases/evaluation.py` and
`usecases/report.py` that `szcg evaluate compute` and `szcg report --issue` run too.
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import Param, dag, task
from airflow.timetables.trigger import CronTriggerTimetable

from orchestration.assets import DEFAULT_ARGS, MONTHLY_REPORT, SCORECARDS, WAREHOUSE_WRITER_POOL
from orchestration.names import CST


@dag(
    dag_id="monthly_evaluation",
    schedule=CronTriggerTimetable("0 2 1 * *", timezone=CST),
    start_date=pendulum.datetime(2026, 1, 1, tz=CST),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["szcg", "evaluation", "writes-warehouse"],
    doc_md=__doc__,
    params={"period": Param("", type="string", description="YYYY-MM; empty: the month before the run's date")},
)
def monthly_evaluation() -> None:
    @task
    def period(**context: Any) -> str:
        from orchestration.periods import check_period, previous_month, run_instant

        given = context["params"]["period"]
        return check_period(given) if given else previous_month(run_instant(context))

    @task(pool=WAREHOUSE_WRITER_POOL)
    def compute(month: str) -> dict[str, Any]:
        from orchestration import steps

        return steps.compute_evaluation(month)

    @task(pool=WAREHOUSE_WRITER_POOL)
    def validate(computed: dict[str, Any]) -> dict[str, Any]:
        from orchestration import steps

        return steps.validate_evaluation(computed)

    @task(retries=0)
    def gate(validated: dict[str, Any]) -> dict[str, Any]:
        from orchestration import steps

        return steps.gate(validated)

    @task(pool=WAREHOUSE_WRITER_POOL, outlets=[SCORECARDS])
    def publish(passed: dict[str, Any]) -> dict[str, Any]:
        from orchestration import steps

        return steps.publish_evaluation(passed)

    @task(outlets=[MONTHLY_REPORT])
    def report(published: dict[str, Any]) -> dict[str, Any]:
        from orchestration import steps

        return steps.issue_monthly_report(published["period"])

    @task
    def refresh_dashboards(published: dict[str, Any]) -> dict[str, Any]:
        from orchestration import steps

        return steps.refresh_dashboards(published)

    published = publish(gate(validate(compute(period()))))
    report(published)
    refresh_dashboards(published)


monthly_evaluation()

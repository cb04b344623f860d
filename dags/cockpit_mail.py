"""
### cockpit_mail — the month's 领导驾驶舱 e-mailed to the centre's leaders

Runs at 09:00 CST on the 1st of each month, seven hours after `monthly_evaluation` (02:00) has published the month
and refreshed the dashboards, and mails the **previous calendar month's** cockpit, as a PNG and an A3 PDF printed
from the running Superset, to `SZCG_REPORT_RECIPIENTS` through `SZCG_SMTP_*` (the monthly report's list and server).
A manual run (Trigger button) mails the month before the day it runs, or the month named in conf (`period`).

- No mail host or no recipients configured: the `mail` task is **skipped**, its log says which setting is missing.
- Superset not answering (or a chart failing, or the mail server refusing): the task **fails** with that message;
  start Superset (`szcg dashboards up`) and clear the task. It is not retried by itself, so that a half-delivered
  mail is never sent twice to the leaders.

The task runs the job in `usecases/cockpit.py`.
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import Param, dag, task
from airflow.timetables.trigger import CronTriggerTimetable

from orchestration.assets import DEFAULT_ARGS
from orchestration.names import CST


@dag(
    dag_id="cockpit_mail",
    schedule=CronTriggerTimetable("0 9 1 * *", timezone=CST),
    start_date=pendulum.datetime(2026, 1, 1, tz=CST),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["szcg", "dashboards", "mail"],
    doc_md=__doc__,
    params={"period": Param("", type="string", description="YYYY-MM; empty: the month before the run's date")},
)
def cockpit_mail() -> None:
    @task
    def period(**context: Any) -> str:
        from orchestration.periods import check_period, previous_month, run_instant

        given = context["params"]["period"]
        return check_period(given) if given else previous_month(run_instant(context))

    @task(retries=0)
    def mail(month: str) -> dict[str, Any]:
        from airflow.sdk.exceptions import AirflowSkipException

        from orchestration import steps

        outcome = steps.mail_cockpit(month)
        if outcome["skipped"]:
            raise AirflowSkipException(outcome["skipped"])
        return outcome

    mail(period())


cockpit_mail()

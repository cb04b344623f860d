"""``szcg airflow``: the platform's Airflow (API server and UI, scheduler, DAG processor, triggerer) on loopback."""

from __future__ import annotations

import argparse

from szcg.cliutil import Outcome, add_command, add_group
from szcg.settings import Settings


def _up(args: argparse.Namespace, settings: Settings) -> Outcome:
    from orchestration import airflow_env, airflow_local

    site = airflow_local.local_airflow(settings.data_dir, args.port)
    pids = airflow_local.start(site)
    password_file = site.home / airflow_env.PASSWORDS_FILE
    lines = [
        f"Airflow: {site.url}  (user {airflow_env.ADMIN_USER}; password in {password_file})",
        f"  components: {', '.join(f'{c} pid {p}' for c, p in pids.items())}; logs in {site.run_dir}",
        f"  plain CLI: export AIRFLOW_HOME={site.home}; airflow dags list",
        "  casework_sync reads " + (airflow_local.component_env(site).get("SZCG_CASEWORK_URL")
                                    or "SZCG_CASEWORK_URL: unset (start the case service: `szcg casework up`)"),
        "  DAGs start paused. The UI's Trigger button unpauses the DAG (uncheck that to keep it paused) and runs it;"
        " from then on its schedule runs too. `airflow dags trigger` on a paused DAG queues a run that starts only"
        " after `airflow dags unpause <dag>`.",
    ]
    summary = {"url": site.url, "user": airflow_env.ADMIN_USER, "password_file": str(password_file),
               "airflow_home": str(site.home), "pids": pids}
    return Outcome(summary=summary, text="\n".join(lines))


def _down(args: argparse.Namespace, settings: Settings) -> Outcome:
    from orchestration import airflow_local

    stopped = airflow_local.stop(airflow_local.local_airflow(settings.data_dir))
    text = f"Airflow stopped ({', '.join(stopped)})" if stopped else "Airflow was not running"
    return Outcome(summary={"stopped": stopped}, text=text)


def _status(args: argparse.Namespace, settings: Settings) -> Outcome:
    from orchestration import airflow_local

    site = airflow_local.local_airflow(settings.data_dir)
    pids = {c: airflow_local.running_pid(site, c) for c in airflow_local.COMPONENTS}
    down = airflow_local.unhealthy(airflow_local.health(site))
    text = f"Airflow at {site.url}: " + ("healthy" if not down else f"not healthy ({', '.join(down)})")
    return Outcome(summary={"url": site.url, "pids": pids, "unhealthy": down}, text=text, exit_code=1 if down else 0)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = add_group(subparsers, "airflow", help="the platform's Airflow: UI, scheduler, DAG processor, triggerer")
    up = add_command(group, "up", _up, help="start Airflow on loopback (home $SZCG_DATA_DIR/airflow); prints the URL")
    up.add_argument("--port", type=int, default=None, help="API server and UI port (default: airflow.cfg's, 8080)")
    add_command(group, "down", _down, help="stop the Airflow started by `up`")
    add_command(group, "status", _status, help="is the platform's Airflow running and healthy")

"""``szcg dashboards``: a local Superset over the published warehouse, with the dashboards imported from YAML."""

from __future__ import annotations

import argparse
from pathlib import Path

from szcg.cliutil import Outcome, add_command, add_group
from szcg.settings import Settings


def _up(args: argparse.Namespace, settings: Settings) -> Outcome:
    from dashboards import server
    from dashboards.deploy import import_assets
    from dashboards.site import site_from_settings

    site = site_from_settings(settings)
    created = server.initialize(site)
    pid = server.start(site)
    result = import_assets(site)
    lines = [f"Superset: {site.url}  (pid {pid}; user {site.admin_user})"]
    lines += [f"  {slug}: {site.url}/superset/dashboard/{slug}/" for slug in result.dashboards]
    return Outcome(summary={"url": site.url, "pid": pid, "initialized": created, **result.to_dict()},
                   text="\n".join(lines))


def _down(args: argparse.Namespace, settings: Settings) -> Outcome:
    from dashboards import server
    from dashboards.site import site_from_settings

    stopped = server.stop(site_from_settings(settings))
    return Outcome(summary={"stopped": stopped}, text="Superset stopped" if stopped else "Superset was not running")


def _import(args: argparse.Namespace, settings: Settings) -> Outcome:
    from dashboards.deploy import import_assets
    from dashboards.site import site_from_settings

    site = site_from_settings(settings)
    result = import_assets(site)
    return Outcome(summary=result.to_dict(),
                   text=f"imported {len(result.dashboards)} dashboards into {site.url}; latest months "
                        f"{result.latest_periods}")


def _status(args: argparse.Namespace, settings: Settings) -> Outcome:
    from dashboards import server
    from dashboards.site import site_from_settings

    site = site_from_settings(settings)
    pid = server.running_pid(site)
    healthy = server.healthy(site)
    summary = {"url": site.url, "pid": pid, "healthy": healthy, "home": str(site.home),
               "warehouse": str(site.published_db)}
    text = f"Superset {'running' if healthy else 'not running'} at {site.url} (pid {pid})"
    return Outcome(summary=summary, text=text, exit_code=0 if healthy else 1)


def _screenshot(args: argparse.Namespace, settings: Settings) -> Outcome:
    from dashboards.authoring import DASHBOARDS
    from dashboards.screenshot import browser_page, open_dashboard
    from dashboards.site import site_from_settings

    site = site_from_settings(settings)
    slugs = args.dashboard or [str(d["slug"]) for d in DASHBOARDS.values()]
    out = Path(args.out)
    shots, problems = {}, []
    with browser_page(site.url, site.admin_user, site.admin_password) as page:
        for slug in slugs:
            view = open_dashboard(page, site.url, slug, screenshot=out / f"{slug}.png")
            shots[slug] = str(view.screenshot)
            problems += view.problems
    text = "\n".join([*(f"{k}: {v}" for k, v in shots.items()), *problems])
    return Outcome(summary={"screenshots": shots, "problems": problems}, text=text, exit_code=1 if problems else 0)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = add_group(subparsers, "dashboards", help="Superset dashboards over the published warehouse")
    add_command(group, "up", _up, help="set up and start a local Superset on loopback, import the dashboards")
    add_command(group, "down", _down, help="stop the local Superset started by `up`")
    add_command(group, "import", _import,
                help="(re-)import the dashboards' YAML assets, filters and district security (idempotent)")
    add_command(group, "status", _status, help="is the local Superset running and healthy")
    shot = add_command(group, "screenshot", _screenshot, help="open dashboards in Chromium and save screenshots")
    shot.add_argument("--out", default="dashboard-screenshots", help="folder for the PNG files")
    shot.add_argument("--dashboard", action="append", help="slug (cockpit, evaluation, census, hotline); repeatable")

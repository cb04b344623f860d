"""``szcg serve portal`` (the web portal in the foreground) and ``szcg portal up|down|status`` (in the
background, as the demo leaves it). The portal runs beside the case service on the same case database.

Only argparse at module level; FastAPI and uvicorn are imported inside the handler.
"""

from __future__ import annotations

import argparse

from szcg.cliutil import Outcome, add_command, add_group
from szcg.settings import Settings


def _serve(args: argparse.Namespace, settings: Settings) -> Outcome:
    import uvicorn

    from casework.cli import _check_database
    from portal.app import create_portal

    _check_database(settings.casework_db_url)
    app = create_portal(settings)
    # as the case service: X-Forwarded-For is believed only from FORWARDED_ALLOW_IPS (uvicorn; default 127.0.0.1),
    # so that behind a TLS proxy the per-address login lockout sees the client, not the proxy
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=False)
    return Outcome({"served": True}, "")


def _up(args: argparse.Namespace, settings: Settings) -> Outcome:
    from portal import local

    portal = local.local_portal(settings)
    pid, started = local.start(settings, portal)
    lines = [f"portal: {portal.url}  ({'started, ' if started else 'already running, '}pid {pid}, log "
             f"{portal.log_file}; `szcg portal down` stops it)"]
    return Outcome({"url": portal.url, "pid": pid, "started": started}, "\n".join(lines))


def _down(args: argparse.Namespace, settings: Settings) -> Outcome:
    from portal import local

    stopped = local.stop(local.local_portal(settings))
    return Outcome({"stopped": stopped}, "portal stopped" if stopped else "portal was not running")


def _status(args: argparse.Namespace, settings: Settings) -> Outcome:
    from portal import local
    from szcg.cliutil import EXIT_REJECTED
    from szcg.pidfile import running_pid

    portal = local.local_portal(settings)
    pid, ok = running_pid(portal.pid_file), local.healthy(portal)
    text = f"portal: {portal.url} {'answering' if ok else 'not answering'} (pid {pid or '—'})"
    return Outcome({"url": portal.url, "pid": pid, "healthy": ok}, text, 0 if ok else EXIT_REJECTED)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from casework.cli import _serve_group

    p = add_command(_serve_group(subparsers), "portal", _serve, json_flag=False,
                    help="serve the web portal (门户) for survey teams, the evaluation office, case staff, leaders")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8710, help="port (default 8710)")
    p.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"))
    group = add_group(subparsers, "portal", help="the web portal in the background: up, down, status")
    add_command(group, "up", _up, help="start the portal on loopback (SZCG_PORTAL_PORT, default 8710) unless it runs")
    add_command(group, "down", _down, help="stop the portal started by `szcg portal up`")
    add_command(group, "status", _status, help="is the portal answering (exit 1 when not)")

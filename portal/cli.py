"""``szcg serve portal``: the web portal on its own port, beside the case service (same case database).

Only argparse at module level; FastAPI and uvicorn are imported inside the handler.
"""

from __future__ import annotations

import argparse

from szcg.cliutil import Outcome, add_command
from szcg.settings import Settings


def _serve(args: argparse.Namespace, settings: Settings) -> Outcome:
    import uvicorn

    from casework.cli import _check_database
    from portal.app import create_portal

    _check_database(settings.casework_db_url)
    app = create_portal(settings)
    # proxy_headers off: the client address counts failed logins, and a forged X-Forwarded-For must not move it
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=False,
                proxy_headers=False)
    return Outcome({"served": True}, "")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from casework.cli import _serve_group

    p = add_command(_serve_group(subparsers), "portal", _serve, json_flag=False,
                    help="serve the web portal (门户) for survey teams, the evaluation office, case staff, leaders")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8710, help="port (default 8710)")
    p.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"))

"""``szcg casework …`` (users, API clients, migrations, serving) and ``szcg serve casework``.

Only argparse at module level; SQLAlchemy, FastAPI and uvicorn are imported inside handlers.
"""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path
from typing import Any

from szcg.cliutil import Outcome, add_command, add_group
from szcg.settings import Settings
from szcg.vocabulary import CLIENT_SOURCES

ROLES = ("supervisor", "operator", "shift_leader", "dispatcher", "department", "evaluator", "admin", "survey_team")
DEMO_PASSWORD = "szcg-demo-2026"


def _check_database(url: str) -> None:
    """A SQLite database path that is a directory, or whose folder cannot be made, is a clear refusal (exit 1)."""
    from sqlalchemy.engine import make_url

    from szcg.errors import InputRejected

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return
    path = Path(parsed.database).expanduser()
    if path.is_dir():
        raise InputRejected(f"SZCG_CASEWORK_DB_URL: {path} is a directory, expected a database file")
    folder = next((p for p in path.parents if p.exists()), None)
    if folder is not None and not folder.is_dir():
        raise InputRejected(f"SZCG_CASEWORK_DB_URL: {folder} is a file, so {path} cannot be created")


def _database(settings: Settings) -> Any:
    from casework.db import Database, upgrade

    _check_database(settings.casework_db_url)
    upgrade(settings.casework_db_url)
    return Database(settings.casework_db_url)


def _migrate(args: argparse.Namespace, settings: Settings) -> Outcome:
    from casework.db import current_revision, upgrade

    _check_database(settings.casework_db_url)
    upgrade(settings.casework_db_url)
    revision = current_revision(settings.casework_db_url)
    return Outcome({"database": _safe_url(settings.casework_db_url), "revision": revision},
                   f"casework database at revision {revision}")


def _create_user(args: argparse.Namespace, settings: Settings) -> Outcome:
    from casework.accounts import create_user
    from casework.service import ServiceError, now_cst
    from szcg.errors import InputRejected

    db = _database(settings)
    try:
        user = create_user(db, args.username, args.password, args.role, at=now_cst(),
                           display_name=args.display_name, district_codes=args.district or [],
                           department_code=args.department, grid_codes=args.grid or [])
    except ServiceError as exc:
        raise InputRejected(f"user {args.username!r} not created: {exc}") from None
    finally:
        db.dispose()
    return Outcome({"created": 1, "username": user.username, "role": user.role},
                   f"created {user.role} {user.username}")


def _seed_demo_users(args: argparse.Namespace, settings: Settings) -> Outcome:
    created, skipped, key = seed_demo_users(settings, args.password)
    text = f"created {len(created)} users (password {args.password!r}), {skipped} existed already"
    if key:
        text += f"\nOpen311 api_key for demo-hotline: {key}"
    return Outcome({"created": len(created), "skipped": skipped, "users": created, "api_key": key}, text)


def two_district_surveyor(first: str, second: str) -> str:
    """The demo's survey team of two districts (``surveyor-<区县代码>-<区县代码>``)."""
    return f"surveyor-{first}-{second}"


def seed_demo_users(settings: Settings, password: str = DEMO_PASSWORD) -> tuple[list[str], int, str | None]:
    """One user per role, a dispatcher, a 监督员 and a survey team per district and a user per department of the
    city (skips existing); the demo's Open311 client. → (usernames created, users skipped, new api key or None)."""
    from casework.accounts import create_api_client, create_user
    from casework.deadlines import load_standards
    from casework.service import Conflict, now_cst

    st = load_standards(settings)
    db = _database(settings)
    at = now_cst()
    plan: list[tuple[str, str, dict[str, Any]]] = [
        ("admin", "admin", {}), ("operator", "operator", {}), ("leader", "shift_leader", {}),
        ("dispatcher", "dispatcher", {}), ("evaluator", "evaluator", {}),
    ]
    for d in st.areas.districts():
        plan.append((f"dispatcher-{d.code}", "dispatcher", {"district_code": d.code}))
        plan.append((f"supervisor-{d.code}", "supervisor", {"district_code": d.code}))
        # the district's 普查作业单位 (portal: census uploads of that district only)
        plan.append((f"surveyor-{d.code}", "survey_team", {"district_code": d.code,
                                                          "display_name": f"{d.name}普查作业单位"}))
    # a 普查作业单位 contracted for two districts: one form, both districts' batches
    for first, second in zip(st.areas.districts()[:1], st.areas.districts()[1:2], strict=False):
        plan.append((two_district_surveyor(first.code, second.code), "survey_team", {
            "district_codes": [first.code, second.code], "display_name": f"{first.name}、{second.name}普查作业单位"}))
    for dept in st.departments:
        plan.append((f"dept-{dept.code}", "department", {"department_code": dept.code}))
    created, skipped = [], 0
    try:
        for username, role, extra in plan:
            try:
                create_user(db, username, password, role, at=at, **extra)
                created.append(username)
            except Conflict:
                skipped += 1
        key = None
        with contextlib.suppress(Conflict):  # an existing demo client keeps its key
            key = create_api_client(db, "demo-hotline", "hotline", at=at)
    finally:
        db.dispose()
    return created, skipped, key


def _create_api_client(args: argparse.Namespace, settings: Settings) -> Outcome:
    from casework.accounts import create_api_client
    from casework.service import ServiceError, now_cst
    from szcg.errors import InputRejected

    db = _database(settings)
    try:
        key = create_api_client(db, args.name, args.source, at=now_cst())
    except ServiceError as exc:
        raise InputRejected(f"API client {args.name!r} not created: {exc}") from None
    finally:
        db.dispose()
    return Outcome({"name": args.name, "source": args.source, "api_key": key},
                   f"api_key for {args.name} (shown once): {key}")


def _serve(args: argparse.Namespace, settings: Settings) -> Outcome:
    import uvicorn

    from casework.app import create_app

    _check_database(settings.casework_db_url)
    app = create_app(settings)  # migrates once, before any worker starts
    if args.workers > 1:  # worker processes build their own app from the same settings (environment)
        import os

        app.state.service.db.dispose()
        os.environ["SZCG_CASEWORK_DB_URL"] = settings.casework_db_url
        os.environ["SZCG_DATA_DIR"] = str(settings.data_dir)
        uvicorn.run("casework.app:app_from_environment", factory=True, workers=args.workers, host=args.host,
                    port=args.port, log_level=args.log_level, access_log=False)
    else:
        uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=False)
    return Outcome({"served": True}, "")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _add_serve_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8700, help="port (default 8700)")
    parser.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"))
    parser.add_argument("--workers", type=int, default=1,
                        help="worker processes (default 1; 2 on a 2-core machine doubles the throughput)")


# The case service the demo leaves running: its files under <data_dir>/casework, found by `szcg airflow up`.
LOCAL_NAME = "service"


def local_case_service(settings: Settings, port: int) -> Any:
    from szcg.localserver import LocalServer

    return LocalServer(LOCAL_NAME, "casework", settings.data_dir / "casework", port)


def running_case_service(settings: Settings) -> str | None:
    """The URL of the case service ``szcg casework up`` (or the demo) left running on this data directory."""
    from szcg.localserver import running_url

    return running_url(settings.data_dir / "casework", LOCAL_NAME)


def case_service_up(settings: Settings, port: int | None = None) -> tuple[str, int, bool]:
    """The case service in the background (on a free loopback port unless given); → (url, pid, started now)."""
    import os
    import socket

    from szcg import localserver

    url = running_case_service(settings)
    if url is not None:
        port = int(url.rsplit(":", 1)[1])
    elif port is None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
    server = local_case_service(settings, port)
    env = {**os.environ, "SZCG_DATA_DIR": str(settings.data_dir), "SZCG_CASEWORK_DB_URL": settings.casework_db_url}
    pid, started = localserver.start(server, env)
    return server.url, pid, started


def _up(args: argparse.Namespace, settings: Settings) -> Outcome:
    url, pid, started = case_service_up(settings, args.port)
    text = (f"case service: {url}  ({'started' if started else 'already running'}, pid {pid}, database"
            f" {_safe_url(settings.casework_db_url)}; `szcg casework down` stops it)")
    return Outcome({"url": url, "pid": pid, "started": started}, text)


def _down(args: argparse.Namespace, settings: Settings) -> Outcome:
    from szcg import localserver

    url = running_case_service(settings)
    port = int(url.rsplit(":", 1)[1]) if url else 0
    stopped = localserver.stop(local_case_service(settings, port))
    return Outcome({"stopped": stopped}, "case service stopped" if stopped else "case service was not running")


def _serve_group(subparsers: argparse._SubParsersAction) -> argparse._SubParsersAction:  # type: ignore[type-arg]
    """The shared ``serve`` group: reuse it when another area created it first."""
    existing = subparsers.choices.get("serve")
    if existing is not None:
        for action in existing._actions:
            if isinstance(action, argparse._SubParsersAction):
                return action
    return add_group(subparsers, "serve", help="run a service (casework: the case-workflow HTTP API)")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = add_group(subparsers, "casework", help="case workflow service: users, API clients, migrations, serve")
    add_command(group, "migrate", _migrate, help="create or upgrade the case database (settings.casework_db_url)")
    p = add_command(group, "create-user", _create_user, help="create a user of the case service")
    p.add_argument("username")
    p.add_argument("--password", required=True)
    p.add_argument("--role", required=True, choices=ROLES)
    p.add_argument("--display-name", default="")
    p.add_argument("--district", action="append",
                   help="6-digit district code (district dispatcher, supervisor or survey team); a survey team may "
                        "repeat it for each of its districts")
    p.add_argument("--department", help="department code (department users)")
    p.add_argument("--grid", action="append", help="a supervisor's grid code (repeatable)")
    p = add_command(group, "seed-demo-users", _seed_demo_users,
                    help="create demo users for every role, district and department")
    p.add_argument("--password", default=DEMO_PASSWORD, help=f"password for all of them (default {DEMO_PASSWORD})")
    p = add_command(group, "create-api-client", _create_api_client,
                    help="register an Open311 client (hotline system, public app) and print its api_key")
    p.add_argument("name")
    p.add_argument("--source", default="public", choices=CLIENT_SOURCES)
    _add_serve_args(add_command(group, "serve", _serve, help="serve the case API with uvicorn", json_flag=False))
    p = add_command(group, "up", _up, help="start the case service in the background on loopback unless it runs")
    p.add_argument("--port", type=int, default=None, help="port (default: a free one; its URL is printed)")
    add_command(group, "down", _down, help="stop the case service started by `szcg casework up` or the demo")
    _add_serve_args(add_command(_serve_group(subparsers), "casework", _serve, help="serve the case API",
                                json_flag=False))

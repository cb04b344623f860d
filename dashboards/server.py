"""Start, stop and check a local Superset: subprocesses of the Superset virtualenv, gunicorn on loopback."""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from pathlib import Path
from string import Template

import httpx

from dashboards.site import SupersetSite
from szcg.errors import SzcgError
from szcg.pidfile import running_pid as pid_from_file
from szcg.pidfile import stop_process_group

TEMPLATE = Path(__file__).resolve().parent / "superset_config.py.tmpl"


class SupersetError(SzcgError):
    """Superset could not be set up, started or reached."""


def render_config(site: SupersetSite) -> Path:
    """Write superset_config.py from the template; the secret key is generated once and kept."""
    site.home.mkdir(parents=True, exist_ok=True)
    if not site.secret_file.exists():
        site.secret_file.write_text(secrets.token_urlsafe(42), encoding="utf-8")
        site.secret_file.chmod(0o600)
    text = Template(TEMPLATE.read_text(encoding="utf-8")).substitute(
        secret_key=site.secret_file.read_text(encoding="utf-8").strip(),
        metadata_db=site.metadata_db,
        home=site.home,
    )
    site.config_path.write_text(text, encoding="utf-8")
    return site.config_path


def superset_env(site: SupersetSite) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHONPATH"))}
    env.update(
        SUPERSET_CONFIG_PATH=str(site.config_path),
        FLASK_APP="superset.app:create_app()",
        PATH=f"{site.venv / 'bin'}:{env.get('PATH', '')}",
        SUPERSET_HOME=str(site.home),
    )
    return env


def _run(site: SupersetSite, args: list[str], what: str) -> None:
    if not site.bin("superset").exists():
        raise SupersetError(f"{site.bin('superset')} not found: run `make superset-env` first")
    with site.log_file.open("a", encoding="utf-8") as log:
        log.write(f"\n== {what}: {' '.join(args)}\n")
        log.flush()
        done = subprocess.run(
            [str(site.bin("superset")), *args], env=superset_env(site), stdout=log, stderr=subprocess.STDOUT,
            cwd=site.home, check=False,
        )
    if done.returncode != 0:
        raise SupersetError(f"superset {what} failed (exit {done.returncode}); see {site.log_file}")


def initialize(site: SupersetSite) -> bool:
    """Create the metadata database and the admin once; returns False when already done."""
    render_config(site)
    if site.initialized_marker.exists():
        return False
    _run(site, ["db", "upgrade"], "db upgrade")
    _run(
        site,
        ["fab", "create-admin", "--username", site.admin_user, "--firstname", "szcg", "--lastname", "admin",
         "--email", f"{site.admin_user}@localhost", "--password", site.admin_password],
        "create-admin",
    )
    _run(site, ["init"], "init")
    site.initialized_marker.write_text("ok\n", encoding="utf-8")
    return True


def running_pid(site: SupersetSite) -> int | None:
    return pid_from_file(site.pid_file)


def healthy(site: SupersetSite, timeout: float = 2.0) -> bool:
    try:
        return httpx.get(f"{site.url}/health", timeout=timeout).text.strip() == "OK"
    except httpx.HTTPError:
        return False


def start(site: SupersetSite, *, wait_s: float = 180.0) -> int:
    """Start gunicorn (its own process group, pid file) and wait until /health answers; returns the pid."""
    pid = running_pid(site)
    if pid is not None:
        if healthy(site):
            return pid
        raise SupersetError(f"a Superset (pid {pid}) is registered in {site.pid_file} but not healthy")
    if healthy(site):
        raise SupersetError(f"port {site.port} already serves another Superset; set SZCG_SUPERSET_PORT")
    render_config(site)
    log = site.log_file.open("a", encoding="utf-8")
    proc = subprocess.Popen(
        [str(site.bin("gunicorn")), "--bind", f"{site.host}:{site.port}", "--workers", str(site.workers),
         "--worker-class", "gthread", "--threads", "4", "--timeout", "120", "--limit-request-line", "0",
         "--limit-request-field_size", "0", "superset.app:create_app()"],
        env=superset_env(site), stdout=log, stderr=subprocess.STDOUT, cwd=site.home, start_new_session=True,
    )
    log.close()
    site.pid_file.write_text(f"{proc.pid}\n", encoding="utf-8")
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            site.pid_file.unlink(missing_ok=True)
            raise SupersetError(f"Superset exited at start (exit {proc.returncode}); see {site.log_file}")
        if healthy(site):
            return proc.pid
        time.sleep(0.5)
    stop(site)
    raise SupersetError(f"Superset did not answer on {site.url}/health within {wait_s:.0f} s; see {site.log_file}")


def stop(site: SupersetSite, *, wait_s: float = 20.0) -> bool:
    """Stop the gunicorn started by :func:`start` (its process group); returns False when none was running."""
    pid = running_pid(site)
    if pid is None:
        site.pid_file.unlink(missing_ok=True)
        return False
    stop_process_group(pid, wait_s=wait_s)
    site.pid_file.unlink(missing_ok=True)
    return True

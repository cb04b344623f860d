"""A platform server left running in the background on loopback (the web portal, the case service): ``szcg serve
<what>`` detached in its own process group, its pid and its URL in files under its folder of the data directory,
its log beside them. The demo starts them so that what it prints still answers after it has finished, and other
tools (``szcg airflow up``) find a running one by its files."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from szcg.errors import SzcgError
from szcg.pidfile import running_pid, stop_process_group


class LocalServerError(SzcgError):
    """A local server could not be started or stopped."""


@dataclass(frozen=True)
class LocalServer:
    """``szcg serve <command>`` on ``host:port``, kept in ``folder`` (``<name>.pid``, ``.url``, ``.log``)."""

    name: str
    command: str
    folder: Path
    port: int
    host: str = "127.0.0.1"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.folder / f"{self.name}.pid"

    @property
    def url_file(self) -> Path:
        return self.folder / f"{self.name}.url"

    @property
    def log_file(self) -> Path:
        return self.folder / f"{self.name}.log"


def healthy(server: LocalServer, timeout: float = 2.0) -> bool:
    """``GET /health`` answers 200 (both servers have one that needs no login)."""
    try:
        return httpx.get(f"{server.url}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def running_url(folder: Path, name: str) -> str | None:
    """The URL of the server ``name`` kept in ``folder`` when its process is alive, else None."""
    url_file = folder / f"{name}.url"
    if running_pid(folder / f"{name}.pid") is None or not url_file.is_file():
        return None
    return url_file.read_text(encoding="utf-8").strip() or None


def start(server: LocalServer, env: Mapping[str, str], *, wait_s: float = 90.0) -> tuple[int, bool]:
    """Start the server unless it runs already; → (pid, whether it was started now)."""
    pid = running_pid(server.pid_file)
    if pid is not None and healthy(server):
        return pid, False
    if healthy(server):
        raise LocalServerError(f"port {server.port} already serves another {server.name}; choose another port")
    server.folder.mkdir(parents=True, exist_ok=True)
    with server.log_file.open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "szcg.cli", "serve", server.command, "--host", server.host, "--port",
             str(server.port), "--log-level", "warning"],
            env=dict(env), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server.pid_file.write_text(f"{proc.pid}\n", encoding="utf-8")
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            server.pid_file.unlink(missing_ok=True)
            raise LocalServerError(f"the {server.name} exited at start (exit {proc.returncode}); see {server.log_file}")
        if healthy(server):
            server.url_file.write_text(f"{server.url}\n", encoding="utf-8")
            return proc.pid, True
        time.sleep(0.3)
    stop(server)
    raise LocalServerError(f"the {server.name} did not answer on {server.url} within {wait_s:.0f} s;"
                           f" see {server.log_file}")


def stop(server: LocalServer, *, wait_s: float = 20.0) -> bool:
    """Stop the server started by :func:`start`; False when none was running."""
    pid = running_pid(server.pid_file)
    server.pid_file.unlink(missing_ok=True)
    server.url_file.unlink(missing_ok=True)
    if pid is None:
        return False
    stop_process_group(pid, wait_s=wait_s)
    return True

"""The pid recorded in a pid file, if that process is still running, and stopping such a server (for the local
Superset, Airflow and portal stacks)."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path


def running_pid(pid_file: Path) -> int | None:
    """The pid in ``pid_file`` when a process with it exists (one of another user's counts), else None."""
    try:
        pid = int(pid_file.read_text(encoding="utf-8").strip())
    except (FileNotFoundError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


def stop_process_group(pid: int, *, wait_s: float = 20.0) -> None:
    """SIGTERM the process group led by ``pid`` (a server started with ``start_new_session``), wait up to
    ``wait_s`` for its leader to end — reaping it when it is our own child, else a zombie would look alive — and
    SIGKILL the group if it has not."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
        except ChildProcessError:
            pass
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)

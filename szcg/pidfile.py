"""The pid recorded in a pid file, if that process is still running (for the local Superset and Airflow stacks)."""

from __future__ import annotations

import os
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

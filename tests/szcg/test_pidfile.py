"""A local stack (Superset, Airflow) is 'running' only while the process its pid file names exists."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from szcg.pidfile import running_pid


def test_a_live_process_is_found_and_a_finished_or_missing_one_is_not(tmp_path: Path) -> None:
    pid_file = tmp_path / "x.pid"
    assert running_pid(pid_file) is None  # never started
    pid_file.write_text(f"{os.getpid()}\n", encoding="utf-8")
    assert running_pid(pid_file) == os.getpid()
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    pid_file.write_text(done.stdout, encoding="utf-8")
    assert running_pid(pid_file) is None  # it has exited
    pid_file.write_text("not a pid", encoding="utf-8")
    assert running_pid(pid_file) is None

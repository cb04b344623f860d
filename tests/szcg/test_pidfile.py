"""A local stack (Superset, Airflow) is 'running' only while the process its pid file names exists."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from szcg.pidfile import running_pid, stop_process_group


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


def test_stopping_our_own_server_child_ends_it_at_once_and_reaps_it() -> None:
    """A server we started is our child: once it exits it is a zombie that ``kill(pid, 0)`` still finds, so the
    stop must reap it rather than wait out its whole grace period."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    began = time.monotonic()
    stop_process_group(proc.pid, wait_s=20.0)
    assert time.monotonic() - began < 10.0
    assert proc.poll() is not None  # ended and reaped: no zombie left behind


def test_a_server_that_ignores_sigterm_is_killed_after_the_grace_period() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN);"
         " print(1, flush=True); time.sleep(60)"], start_new_session=True, stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline()  # the handler is in place
    stop_process_group(proc.pid, wait_s=1.0)
    assert proc.wait(timeout=10) == -9

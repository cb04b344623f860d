"""One writer at a time: an advisory file lock around every write to the work database and every publish.

DuckDB allows one read-write process per file; two pipeline runs (two DAGs, a CLI and a DAG) must queue rather than
fail or corrupt. The lock is released by the kernel if the holder dies.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from szcg.errors import SzcgError


class WarehouseBusy(SzcgError):
    """Another process kept the writer lock longer than we were willing to wait."""


@contextmanager
def writer_lock(lock_path: Path, timeout_s: float = 3600.0, poll_s: float = 0.1) -> Iterator[None]:
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(
                        f"warehouse writer lock {lock_path} still held after {timeout_s:.0f}s by another run"
                    ) from None
                time.sleep(poll_s)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

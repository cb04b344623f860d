"""SQLite writers queue in the WriteGate (thread lock + flock shared by every process on the file) instead of
SQLite's sleeping busy handler. Two Database objects stand for two uvicorn workers: separate locks, separate
file descriptions, one flock."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import text

from casework.db import Checkpointer, Database, upgrade


def test_a_second_process_writer_waits_for_the_first_and_then_writes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'casework.sqlite'}"
    upgrade(url)
    first, second = Database(url), Database(url)
    order: list[str] = []
    try:
        def other_worker() -> None:
            with second.write() as conn:
                order.append("second")
                conn.execute(text("UPDATE feed_cursor SET last_id = last_id + 10"))

        assert first.gate is not None
        with first.gate.hold():  # the gate alone (no SQLite lock yet): the other worker must still queue
            waiter = threading.Thread(target=other_worker)
            waiter.start()
            time.sleep(0.3)
            assert order == [] and waiter.is_alive()  # queued on the flock, not in SQLite's busy handler
            with first.write_engine.begin() as conn:
                conn.execute(text("UPDATE feed_cursor SET last_id = last_id + 1"))
            order.append("first")
        waiter.join(timeout=10)
        assert order == ["first", "second"]
        with first.read() as conn:
            assert conn.execute(text("SELECT last_id FROM feed_cursor")).scalar_one() == 11
        assert (tmp_path / "casework.sqlite.writelock").is_file()
    finally:
        first.dispose()
        second.dispose()


def test_writers_leave_wal_checkpoints_to_the_background_thread(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'casework.sqlite'}"
    upgrade(url)
    db = Database(url)
    main = tmp_path / "casework.sqlite"
    try:
        assert db.checkpointer is not None
        db.checkpointer.close()  # paused, so that only the writers could have checkpointed below
        with db.write() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == 0
            conn.execute(text("CREATE TABLE filler (x BLOB)"))
        before = main.stat().st_size
        for _ in range(5):  # 5 commits of 800 kB: far past the default 1000-page autocheckpoint
            with db.write() as conn:
                for _ in range(200):
                    conn.execute(text("INSERT INTO filler VALUES (randomblob(4000))"))
        assert main.stat().st_size - before < 100_000  # the commits stayed in the WAL
        db.checkpointer = Checkpointer(main, interval=0.1)
        deadline = time.monotonic() + 10
        while main.stat().st_size - before < 3_000_000 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert main.stat().st_size - before > 3_000_000  # the background thread copied them back
    finally:
        db.dispose()

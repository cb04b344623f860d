"""Engine, sessions and migrations. The same code runs on SQLite (a file, the default) and PostgreSQL
(``postgresql+psycopg://``); dialect details stay in this module.

SQLite: WAL journal (readers never block the writer) and writing transactions start with ``BEGIN IMMEDIATE``,
so two writers never fail with "database is locked" when one upgrades a read lock. Writers of this process (and
of every process serving the same file) queue in :class:`WriteGate` before they begin: SQLite's own busy
handler polls with sleeps of up to 100 ms and lets a late writer overtake one that has waited, which under
load made the p99 latency seconds long. Reads use a second engine with plain deferred transactions (one
snapshot for all statements of a request); WAL checkpoints run in a background thread (:class:`Checkpointer`).
PostgreSQL reads run in autocommit (see :class:`Database`).

Hot paths use :meth:`Database.read` / :meth:`Database.write` (a Core connection: no ORM session or identity
map per request); :meth:`Database.reading` / :meth:`Database.writing` give ORM sessions for the rest.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _ensure_sqlite_dir(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _sqlite_path(url: str) -> Path | None:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser().resolve()


class WriteGate:
    """One SQLite writer at a time, queued in the kernel instead of in SQLite's sleeping busy handler.

    A thread lock orders this process's writers; an ``flock`` on ``<database>.writelock`` orders the processes
    (uvicorn workers) serving the same file. Both wait without polling and wake the next writer on release.
    Other programs writing the file without the gate are still safe: SQLite's own locking remains underneath.
    """

    def __init__(self, path: Path | None) -> None:
        self._lock = threading.Lock()
        self._path = path.with_name(path.name + ".writelock") if path is not None else None
        self._fd: int | None = None
        self._pid = 0

    def _file(self) -> int | None:
        if self._path is None:
            return None
        if self._fd is None or self._pid != os.getpid():  # a forked child opens its own description
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    @contextmanager
    def hold(self) -> Iterator[None]:
        with self._lock:
            fd = self._file()
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                if fd is not None:
                    fcntl.flock(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        with self._lock:
            if self._fd is not None and self._pid == os.getpid():
                os.close(self._fd)
            self._fd = None


class Checkpointer:
    """Copies SQLite's write-ahead log back into the database file from a background thread.

    By default the committing writer does that every 1000 pages, inside its request, with an fsync: a request
    that happens to trigger it takes tens of milliseconds more (the p99). Here request connections never
    checkpoint (``wal_autocheckpoint=0``); this thread runs a PASSIVE checkpoint (waits for no reader or
    writer) every ``interval`` seconds on its own connection.
    """

    def __init__(self, path: Path, interval: float = 0.5) -> None:
        self._path, self._interval = path, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"checkpoint {path.name}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        conn = sqlite3.connect(self._path, timeout=5, check_same_thread=False)
        try:
            while not self._stop.wait(self._interval):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error:  # busy or locked this time: the next round catches up
                    continue
        finally:
            conn.close()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=10)


def make_engine(url: str, *, immediate: bool = False, pool_size: int = 10, autocheckpoint: bool = True,
                autocommit: bool = False) -> Engine:
    """An engine for ``url``; ``immediate`` makes SQLite transactions take the write lock at BEGIN;
    ``autocheckpoint=False`` leaves WAL checkpoints to a :class:`Checkpointer`; ``autocommit`` (PostgreSQL
    reads) sends no BEGIN/ROLLBACK around the statements.

    Pool sizes: the request thread pool runs at most 40 handlers at once; PostgreSQL connections beyond the
    cores' worth only add contention, so 10 plus 30 overflow (never a wait for a connection under a burst).
    """
    if not _is_sqlite(url):
        return create_engine(url, pool_size=pool_size, max_overflow=30, pool_pre_ping=False,
                             **({"isolation_level": "AUTOCOMMIT"} if autocommit else {}))
    _ensure_sqlite_dir(url)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                           pool_size=pool_size, max_overflow=30)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let SQLAlchemy's "begin" hook below emit BEGIN
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA cache_size=-32000")  # 32 MB page cache per connection (default 2 MB)
        cur.execute("PRAGMA temp_store=MEMORY")
        cur.execute("PRAGMA mmap_size=268435456")  # reads straight from the page cache, no read() copies
        if not autocheckpoint:
            cur.execute("PRAGMA wal_autocheckpoint=0")
        cur.close()

    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.connection.driver_connection.execute(begin)  # straight to sqlite3: no statement machinery

    return engine


class Database:
    """Read and write session factories over one database URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.dialect = make_url(url).get_backend_name()
        sqlite = self.dialect == "sqlite"
        path = _sqlite_path(url) if sqlite else None
        self.write_engine = make_engine(url, immediate=True, pool_size=2 if sqlite else 10,
                                        autocheckpoint=path is None)
        # PostgreSQL reads run in autocommit: under READ COMMITTED every statement takes its own snapshot even
        # inside a transaction, so BEGIN and ROLLBACK would be two round trips that change nothing.
        self.read_engine = make_engine(url, autocommit=not sqlite)
        self.gate = WriteGate(path) if sqlite else None
        self.checkpointer = Checkpointer(path) if path is not None else None
        self._write = sessionmaker(self.write_engine, expire_on_commit=False)
        self._read = sessionmaker(self.read_engine, expire_on_commit=False)

    @contextmanager
    def _gate(self) -> Iterator[None]:
        if self.gate is None:  # PostgreSQL: row locks queue writers where they actually conflict
            yield
        else:
            with self.gate.hold():
                yield

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A transaction that commits on success and rolls back on any exception."""
        with self._gate(), self._write.begin() as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self._read() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """Like :meth:`writing` on a Core connection."""
        with self._gate(), self.write_engine.begin() as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A Core connection; its statements share one (read) transaction, rolled back at the end."""
        with self.read_engine.connect() as conn:
            yield conn

    def dispose(self) -> None:
        self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            self.read_engine.dispose()
        if self.gate is not None:
            self.gate.close()
        if self.checkpointer is not None:
            self.checkpointer.close()


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision`` (Alembic, run in-process at service start)."""
    from alembic import command
    from alembic.config import Config

    if _is_sqlite(url):
        _ensure_sqlite_dir(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    engine = create_engine(url)
    gate = WriteGate(_sqlite_path(url)) if _is_sqlite(url) else None
    try:
        # uvicorn --workers N starts N processes that all migrate at start: one at a time.
        with gate.hold() if gate is not None else nullcontext(), engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(7240611)"))  # released at commit
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    finally:
        engine.dispose()
        if gate is not None:
            gate.close()


def current_revision(url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()

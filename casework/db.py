"""Engine, sessions and migrations. The same code runs on SQLite (a file, the default) and PostgreSQL
(``postgresql+psycopg://``); dialect details stay in this module.

SQLite: WAL journal (readers never block the writer) and writing transactions start with ``BEGIN IMMEDIATE``,
so two writers queue on the busy timeout instead of one failing with "database is locked" when it upgrades a
read lock. Reads use a second engine with plain deferred transactions.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _ensure_sqlite_dir(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def make_engine(url: str, *, immediate: bool = False, pool_size: int = 20) -> Engine:
    """An engine for ``url``; ``immediate`` makes SQLite transactions take the write lock at BEGIN."""
    if not _is_sqlite(url):
        return create_engine(url, pool_size=pool_size, max_overflow=20, pool_pre_ping=False)
    _ensure_sqlite_dir(url)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                           pool_size=pool_size, max_overflow=20)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let SQLAlchemy's "begin" hook below emit BEGIN
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Database:
    """Read and write session factories over one database URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.dialect = make_url(url).get_backend_name()
        self.write_engine = make_engine(url, immediate=True)
        self.read_engine = make_engine(url) if self.dialect == "sqlite" else self.write_engine
        self._write = sessionmaker(self.write_engine, expire_on_commit=False)
        self._read = sessionmaker(self.read_engine, expire_on_commit=False)

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A transaction that commits on success and rolls back on any exception."""
        with self._write.begin() as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self._read() as session:
            yield session

    def dispose(self) -> None:
        self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            self.read_engine.dispose()


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
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()

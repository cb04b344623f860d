"""The warehouse as the rest of the platform sees it: write (locked, migrated), land, publish, read.

wh = Warehouse(settings)
with wh.writer() as con:           # exclusive; schema migrated; the work database
    landed = wh.land(con, path, kind="census")
    ...                            # load inside a transaction, record accounting
wh.publish(reason="census batch X")  # rebuild derived marts, audit a copy, switch readers atomically
with wh.reader() as con: ...       # read-only connection to the published snapshot
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from szcg.errors import SzcgError
from szcg.settings import Settings
from warehouse.audits import Audit
from warehouse.duckdb_ext import load_spatial
from warehouse.fingerprint import database_fingerprint
from warehouse.landing import LandedFile, land_file
from warehouse.lock import writer_lock
from warehouse.mart_builders import MartBuilder, build_marts
from warehouse.migrate import migrate
from warehouse.snapshots import Snapshot, build_and_publish, current_target, list_snapshots

log = logging.getLogger(__name__)


class NothingPublished(SzcgError):
    """Readers asked for the published warehouse before anything was published."""


class Warehouse:
    def __init__(self, settings: Settings, *, lock_timeout_s: float = 3600.0) -> None:
        self.settings = settings
        self.lock_timeout_s = lock_timeout_s

    @property
    def lock_path(self) -> Path:
        return self.settings.warehouse_dir / ".writer.lock"

    @contextmanager
    def _locked_work_connection(self, spatial: bool) -> Iterator[duckdb.DuckDBPyConnection]:
        self.settings.work_db_path.parent.mkdir(parents=True, exist_ok=True)
        config: dict[str, str | bool | int | float | list[str]] = {} if self.settings.work_db_path.exists() else {
            "storage_compatibility_version": self.settings.warehouse_storage_version}
        con = duckdb.connect(str(self.settings.work_db_path), config=config)
        try:
            if spatial:
                load_spatial(con)
            migrate(con)
            yield con
            con.execute("CHECKPOINT")
        finally:
            con.close()

    @contextmanager
    def writer(self, *, spatial: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """The one read-write connection (to the work database, never the published one)."""
        with writer_lock(self.lock_path, self.lock_timeout_s), self._locked_work_connection(spatial) as con:
            yield con

    def land(self, con: duckdb.DuckDBPyConnection, source: Path, kind: str) -> LandedFile:
        return land_file(con, self.settings.landing_dir, source, kind)

    def publish(
        self,
        reason: str,
        *,
        audits: Iterable[tuple[str, Audit]] | None = None,
        before_switch: Callable[[Path], None] | None = None,
        mart_builders: Iterable[tuple[str, MartBuilder]] | None = None,
    ) -> Snapshot:
        """Rebuild the derived marts, audit a copy of the work database and switch readers to it
        (write–audit–publish). ``mart_builders`` None = every registered builder (warehouse.mart_builders)."""
        with writer_lock(self.lock_path, self.lock_timeout_s):
            # The work database exists, is migrated, its derived marts are rebuilt (one transaction; a failure
            # stops the publish here) and it is checkpointed before the copy.
            with self._locked_work_connection(spatial=False) as con:
                build_marts(con, mart_builders)
            return build_and_publish(
                self.settings.work_db_path,
                self.settings.snapshots_dir,
                self.settings.current_snapshot_link,
                reason=reason,
                keep=self.settings.warehouse_keep_snapshots,
                audits=audits,
                before_switch=before_switch,
            )

    def unpublished_tables(self, con: duckdb.DuckDBPyConnection) -> list[str]:
        """The tables whose content in the work database (``con``, the writer's connection) differs from the
        published snapshot's — every table before the first publish. Loaders publish when this is not empty: a
        re-run finishes the publish a killed run left undone, and a re-run that changed nothing (the same rejected
        file again) publishes no new snapshot that would push good ones out."""
        started = time.perf_counter()
        current = next((s for s in self.snapshots() if s.current), None)
        published = {t: (int(v["rows"]), str(v["fingerprint"])) for t, v in current.tables.items()} if current else {}
        work = database_fingerprint(con)
        changed = sorted(t for t in work.keys() | published.keys() if work.get(t) != published.get(t))
        log.info("work database against snapshot %s: %d of %d tables differ (%.2f s)",
                 current.snapshot_id if current else "(none)", len(changed), len(work), time.perf_counter() - started)
        return changed

    def publish_if_changed(self, reason: str) -> Snapshot | None:
        """Publish when the work database holds anything readers do not see (:meth:`unpublished_tables`), else
        nothing: what loaders call after their loads, whether or not this run loaded anything itself."""
        with self.writer() as con:
            changed = self.unpublished_tables(con)
        return self.publish(reason=reason) if changed else None

    def published_path(self) -> Path:
        target = current_target(self.settings.current_snapshot_link)
        if target is None:
            raise NothingPublished(
                f"no published snapshot under {self.settings.snapshots_dir}; run a load and `szcg warehouse publish`"
            )
        return target / "warehouse.duckdb"

    @contextmanager
    def reader(self, *, spatial: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """Read-only connection pinned to the snapshot that is current now, for the connection's lifetime."""
        con = duckdb.connect(str(self.published_path()), read_only=True)
        try:
            if spatial:
                load_spatial(con)
            yield con
        finally:
            con.close()

    def snapshots(self) -> list[Snapshot]:
        return list_snapshots(self.settings.snapshots_dir, self.settings.current_snapshot_link)

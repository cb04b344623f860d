"""案件 into the warehouse: a legacy system's export, a Parquet history, the case service's change feed.

Each job loads, then publishes if the work database changed (:mod:`usecases.publish`); ``publish=False`` leaves the
publish to the caller (the DAGs publish in a task of their own).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from szcg.errors import InputRejected
from szcg.logs import get_logger, job
from szcg.settings import Settings
from usecases.files import need_path
from usecases.publish import publish_if_changed

log = get_logger(__name__)


@dataclass
class CasesOutcome:
    """What a case load did (``result``: the area's own result, counts in / loaded / quarantined) and the
    snapshot it published, if any."""

    kind: str  # legacy | parquet | sync
    result: Any
    changed_warehouse: bool
    snapshot: str | None

    def to_dict(self) -> dict[str, Any]:
        return {**self.result.to_dict(), "snapshot": self.snapshot}


def _publish(settings: Settings, running: Any, reason: str, publish: bool) -> str | None:
    if not publish:
        return None
    with running.step("publish") as step:
        snapshot = publish_if_changed(settings, reason).snapshot_id
        step.count(snapshot_id=snapshot)
    return snapshot


def import_legacy_export(settings: Settings, path: Path, mapping: Path, *, as_of: datetime | None = None,
                         publish: bool = True) -> CasesOutcome:
    """A previous 数字城管 system's CSV export with its column mapping: cases and events conformed, defects kept as
    flags, unmappable rows quarantined. Open cases are judged as of ``as_of`` (else the mapping's)."""
    from transforms.cases.legacy_import import import_legacy
    from transforms.cases.mapping import load_mapping
    from warehouse.store import Warehouse

    need_path(path)
    need_path(mapping)
    with job("legacy case import", log) as running:
        with running.step("import") as step:
            stamp = None
            if as_of is not None:
                import pandas as pd

                stamp = pd.Timestamp(as_of)
            result = import_legacy(Warehouse(settings), path, load_mapping(mapping), as_of=stamp)
            step.count(batch_id=result.batch_id, rows_in=result.rows_in, rows_loaded=result.rows_loaded,
                       rows_quarantined=result.rows_quarantined, events_loaded=result.events_loaded,
                       quarantine_rules=result.quarantine_rules)
        snapshot = _publish(settings, running, f"legacy cases {result.batch_id}", publish)
        running.done(rows_in=result.rows_in, rows_loaded=result.rows_loaded, snapshot_id=snapshot)
    return CasesOutcome("legacy", result, result.rows_in > 0, snapshot)


def import_parquet_history(settings: Settings, directory: Path, *, origin_system: str = "synth",
                           publish: bool = True) -> CasesOutcome:
    """``cases.parquet`` + ``case_events.parquet`` (a folder, or a folder with ``cases/``): the synthetic city's
    history, or any export in that shape."""
    from transforms.cases.parquet_import import import_parquet
    from warehouse.store import Warehouse

    need_path(directory, directory=True)
    with job("parquet case import", log, source=origin_system) as running:
        with running.step("import") as step:
            result = import_parquet(Warehouse(settings), directory, origin_system=origin_system)
            step.count(cases_in=result.cases_in, cases_loaded=result.cases_loaded,
                       cases_quarantined=result.cases_quarantined, events_in=result.events_in,
                       events_loaded=result.events_loaded, events_quarantined=result.events_quarantined)
        snapshot = _publish(settings, running, f"parquet cases {result.cases_batch}", publish)
        running.done(cases_loaded=result.cases_loaded, events_loaded=result.events_loaded, snapshot_id=snapshot)
    return CasesOutcome("parquet", result, result.cases_in + result.events_in > 0, snapshot)


def import_case_export(settings: Settings, path: Path, mapping: Path | None, *,
                       publish: bool = True) -> CasesOutcome:
    """What the ``legacy_case_import`` DAG is given: a Parquet folder (or file), else a CSV with its mapping."""
    if path.is_dir() or path.suffix == ".parquet":
        return import_parquet_history(settings, path if path.is_dir() else path.parent, publish=publish)
    if mapping is None:
        raise InputRejected(f"{path}: a CSV export needs its column mapping (conf `mapping`)")
    return import_legacy_export(settings, path, mapping, publish=publish)


def sync_from_case_service(settings: Settings, base_url: str | None = None, *, token: str | None = None,
                           page_size: int = 1000, publish: bool = True) -> CasesOutcome:
    """Drain the case service's change feed from the stored cursor (one committed transaction per page), as
    ``token``'s account, else ``SZCG_CASEWORK_TOKEN``, else a login with ``SZCG_CASEWORK_USER``/``_PASSWORD``."""
    from transforms.cases.feed_pull import HttpFeedClient, pull_feed
    from warehouse.store import Warehouse

    url = base_url or settings.casework_url
    if not url:
        raise InputRejected("no case service address: pass --url (conf base_url) or set SZCG_CASEWORK_URL")
    with job("case service sync", log) as running:
        with running.step("pull") as step:
            client = HttpFeedClient(url, token or settings.casework_token, user=settings.casework_user,
                                    password=settings.casework_password)
            result = pull_feed(Warehouse(settings), client, page_size=page_size)
            step.count(pages=result.pages, events_seen=result.events_seen, events_loaded=result.events_loaded,
                       events_already_present=result.events_already_present,
                       events_quarantined=result.events_quarantined, cursor_after=result.cursor_after)
        snapshot = _publish(settings, running, f"case feed to {result.cursor_after}", publish)
        running.done(events_loaded=result.events_loaded, snapshot_id=snapshot)
    return CasesOutcome("sync", result, result.events_seen > 0, snapshot)

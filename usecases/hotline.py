"""12319 热线: ingest a hotline log (CSV GBK/UTF-8 or XLSX) and publish what it changed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from szcg.logs import get_logger, job
from szcg.settings import Settings
from usecases.files import need_path
from usecases.publish import publish_if_changed

log = get_logger(__name__)


@dataclass
class HotlineOutcome:
    result: Any  # transforms.hotline.ingest.HotlineResult: calls in / loaded / quarantined, links, repeats
    snapshot: str | None  # published by this job (None: nothing new, or not asked to publish)

    @property
    def changed_warehouse(self) -> bool:
        return bool(self.result.rows_in > 0)

    def to_dict(self) -> dict[str, Any]:
        return {**self.result.to_dict(), "snapshot": self.snapshot}


def ingest_hotline(settings: Settings, path: Path, mapping: Path | None = None, *,
                   publish: bool = True) -> HotlineOutcome:
    """Ingest one hotline log: calls linked to cases by number or matched by place and time, repeats marked,
    callers' numbers kept only as keyed hashes; bad rows quarantined. Then publish if anything changed."""
    from transforms.hotline.ingest import ingest_hotline as ingest
    from warehouse.store import Warehouse

    need_path(path)
    with job("hotline ingest", log) as running:
        with running.step("ingest") as step:
            result = ingest(Warehouse(settings), path, settings, mapping_path=mapping)
            step.count(batch_id=result.batch_id, rows_in=result.rows_in, rows_loaded=result.rows_loaded,
                       rows_quarantined=result.rows_quarantined, linked_logged=result.linked_logged,
                       linked_matched=result.linked_matched, repeats=result.repeats)
        snapshot = None
        if publish:
            with running.step("publish") as step:
                snapshot = publish_if_changed(settings, f"hotline {result.batch_id}").snapshot_id
                step.count(snapshot_id=snapshot)
        running.done(batch_id=result.batch_id, rows_in=result.rows_in, rows_loaded=result.rows_loaded,
                     rows_quarantined=result.rows_quarantined, snapshot_id=snapshot)
    return HotlineOutcome(result, snapshot)

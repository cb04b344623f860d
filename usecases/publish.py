"""Publishing: one rule for every job — publish when the work database holds anything readers do not see.

That covers this run's load and a load a killed run committed but never published; a run that changed nothing
(the same file again, a month already published) publishes no new snapshot that would push good ones out.
Every publish goes through here, so the audits and mart builders are wired first (:mod:`usecases.wiring`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from szcg.logs import get_logger, job
from szcg.settings import Settings
from usecases.wiring import wire

log = get_logger(__name__)


@dataclass(frozen=True)
class PublishOutcome:
    """``snapshot_id`` None: nothing was new, readers keep the snapshot they had."""

    published: bool
    snapshot_id: str | None
    reason: str
    snapshot: Any = field(default=None, compare=False)  # warehouse.snapshots.Snapshot: tables, rows, path

    def to_dict(self) -> dict[str, Any]:
        return {"published": self.published, "snapshot_id": self.snapshot_id, "reason": self.reason}


def publish_if_changed(settings: Settings, reason: str) -> PublishOutcome:
    """Publish a new audited snapshot if the work database differs from the published one; else nothing."""
    from warehouse.store import Warehouse

    wire()
    with job("publish", log, reason=reason) as running:
        snap = Warehouse(settings).publish_if_changed(reason=reason)
        outcome = PublishOutcome(snap is not None, snap.snapshot_id if snap else None, reason, snap)
        running.done(published=outcome.published, snapshot_id=outcome.snapshot_id)
    return outcome


def publish(settings: Settings, reason: str) -> PublishOutcome:
    """Publish a new audited snapshot whether or not anything changed (``szcg warehouse publish``: an operator's
    explicit request, e.g. after a migration)."""
    from warehouse.store import Warehouse

    wire()
    with job("publish", log, reason=reason, forced=True) as running:
        snap = Warehouse(settings).publish(reason=reason)
        running.done(published=True, snapshot_id=snap.snapshot_id)
    return PublishOutcome(True, snap.snapshot_id, reason, snap)

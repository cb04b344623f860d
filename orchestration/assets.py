"""The warehouse's published tables as Airflow Assets: producers list them as outlets, consumers schedule on them.

Import cost is only ``airflow.sdk`` (already loaded by any DAG file). URIs name the published table family, not a
file path, so they stay the same whatever ``SZCG_DATA_DIR`` is.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import Asset

from orchestration.names import WAREHOUSE_WRITER_POOL

__all__ = ["WAREHOUSE_WRITER_POOL"]

GRIDS = Asset(name="core.grid", uri="szcg://warehouse/core/grid", group="warehouse")
COMPONENTS = Asset(name="core.component", uri="szcg://warehouse/core/component", group="warehouse")
CASES = Asset(name="core.case", uri="szcg://warehouse/core/case", group="warehouse")
LEGACY_CASES = Asset(name="core.case.legacy", uri="szcg://warehouse/core/case/legacy", group="warehouse")
HOTLINE_CALLS = Asset(name="core.hotline_call", uri="szcg://warehouse/core/hotline_call", group="warehouse")
SCORECARDS = Asset(name="marts.scorecard", uri="szcg://warehouse/marts/scorecard", group="warehouse")
MONTHLY_REPORT = Asset(name="report.monthly", uri="szcg://reports/monthly", group="reports")
QUALITY_REPORT = Asset(name="report.quality", uri="szcg://reports/quality", group="reports")

DEFAULT_ARGS = {
    "owner": "szcg-data",
    "retries": 2,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": True,
}
"""Shared task defaults. Loads are idempotent (a batch's rows are replaced), so a retry is always safe."""

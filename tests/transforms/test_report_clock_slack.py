"""The Parquet import and the evaluation must agree on how far an event may precede its case's reported_at: the
evaluation trusts reported_at to bound the events of every case the import did not flag. One constant serves both."""

from __future__ import annotations

from datetime import datetime

import duckdb

from szcg.clock import REPORT_CLOCK_SLACK
from transforms.cases import parquet_import
from transforms.evaluation import engine


def test_the_import_flags_beyond_the_slack_the_evaluation_trusts() -> None:
    assert engine.REPORT_CLOCK_SLACK is REPORT_CLOCK_SLACK
    row = duckdb.connect().execute(
        f"SELECT TIMESTAMP '2026-10-02 00:00:00' - {parquet_import.EARLY_EVENT_SLACK}").fetchone()
    assert row is not None and row[0] == datetime(2026, 10, 2) - REPORT_CLOCK_SLACK

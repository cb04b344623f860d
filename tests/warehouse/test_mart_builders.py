"""Mart builders run inside the work database before every publish: all or nothing, and a failure publishes nothing."""

from __future__ import annotations

import duckdb
import pytest

from szcg.settings import Settings
from warehouse.audits import registered_audits
from warehouse.fingerprint import database_fingerprint
from warehouse.mart_builders import MartBuildFailed, registered_mart_builders
from warehouse.store import Warehouse


def _set_marker(wh: Warehouse, n: int) -> None:
    with wh.writer() as con:
        con.execute("CREATE TABLE IF NOT EXISTS marts.demo_input (n INTEGER)")
        con.execute("CREATE TABLE IF NOT EXISTS marts.demo_derived (n INTEGER)")
        con.execute("DELETE FROM marts.demo_input")
        con.execute("INSERT INTO marts.demo_input VALUES (?)", [n])


def _derive(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DELETE FROM marts.demo_derived")
    con.execute("INSERT INTO marts.demo_derived SELECT n * 10 FROM marts.demo_input")


def _fail(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("INSERT INTO marts.demo_derived VALUES (-1)")  # a partial write, which must not survive
    raise RuntimeError("simulated builder bug")


def test_builders_run_in_the_work_database_before_the_copy(settings: Settings) -> None:
    wh = Warehouse(settings)
    _set_marker(wh, 4)
    snap = wh.publish(reason="derived", mart_builders=[("derive", _derive)], audits=[])
    with wh.reader() as con:
        assert con.execute("SELECT n FROM marts.demo_derived").fetchall() == [(40,)]
    assert (snap.path / "parquet" / "marts.demo_derived.parquet").is_file()
    with wh.writer() as con:  # idempotent: the work database holds one derived row, not one per publish
        assert con.execute("SELECT n FROM marts.demo_derived").fetchall() == [(40,)]
    wh.publish(reason="again", mart_builders=[("derive", _derive)], audits=[])
    with wh.reader() as con:
        assert con.execute("SELECT n FROM marts.demo_derived").fetchall() == [(40,)]


def test_a_failing_builder_aborts_the_publish_and_keeps_current(settings: Settings) -> None:
    wh = Warehouse(settings)
    _set_marker(wh, 1)
    first = wh.publish(reason="good", mart_builders=[("derive", _derive)], audits=[])
    with wh.reader() as con:
        before = database_fingerprint(con)
    _set_marker(wh, 2)
    with pytest.raises(MartBuildFailed, match=r"'broken'.*simulated builder bug"):
        wh.publish(reason="bad", mart_builders=[("derive", _derive), ("broken", _fail)], audits=[])
    assert [s.snapshot_id for s in wh.snapshots()] == [first.snapshot_id]
    assert settings.current_snapshot_link.resolve() == first.path.resolve()
    with wh.reader() as con:
        assert database_fingerprint(con) == before
        assert con.execute("SELECT n FROM marts.demo_derived").fetchall() == [(10,)]
    # One transaction for all builders: the first builder's rewrite and the partial write are both rolled back.
    with wh.writer() as con:
        assert con.execute("SELECT n FROM marts.demo_derived").fetchall() == [(10,)]
    wh.publish(reason="fixed", mart_builders=[("derive", _derive)], audits=[])
    with wh.reader() as con:
        assert con.execute("SELECT n FROM marts.demo_derived").fetchall() == [(20,)]


def test_every_publish_runs_the_registered_builders_and_their_audit_passes(settings: Settings) -> None:
    assert "dashboard_summaries" in registered_mart_builders()
    audit = registered_audits()["dashboard_summaries_match_core"]  # in every publish's default audits
    wh = Warehouse(settings)
    with wh.writer() as con:
        con.execute("""INSERT INTO core."case" (case_id, origin_system, origin_case_id, source, reported_at,
                       district_code, status, batch_id)
                       SELECT 'x:' || i, 'x', 'X' || i, 'public', TIMESTAMP '2026-10-05 08:00', '140602', 'closed',
                              'b' FROM range(3) t(i)""")
    wh.publish(reason="default builders", audits=[("dashboard_summaries_match_core", audit)])
    with wh.reader() as con:
        assert con.execute("SELECT sum(reported), sum(closed) FROM marts.summary_case_month").fetchone() == (3, 3)

"""Readers only ever see a complete, published snapshot — even when a publish dies halfway."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from szcg.settings import Settings
from warehouse.fingerprint import database_fingerprint
from warehouse.snapshots import AuditFailed
from warehouse.store import NothingPublished, Warehouse


def _write_cases(wh: Warehouse, n: int) -> None:
    with wh.writer() as con:
        con.execute("CREATE TABLE IF NOT EXISTS marts.demo_count (label VARCHAR, n INTEGER)")
        con.execute("DELETE FROM marts.demo_count")
        con.execute("INSERT INTO marts.demo_count SELECT 'row ' || i, i FROM range(?) t(i)", [n])


def _published_rows(wh: Warehouse) -> int:
    with wh.reader() as con:
        row = con.execute("SELECT count(*) FROM marts.demo_count").fetchone()
        assert row is not None
        return int(row[0])


def test_reader_before_any_publish_gets_a_clear_error(settings: Settings) -> None:
    with pytest.raises(NothingPublished, match="no published snapshot"), Warehouse(settings).reader():
        pass


def test_publish_switches_readers_and_exports_marts_as_parquet(settings: Settings) -> None:
    wh = Warehouse(settings)
    _write_cases(wh, 10)
    snap = wh.publish(reason="first")
    assert _published_rows(wh) == 10
    assert (snap.path / "parquet" / "marts.demo_count.parquet").is_file()
    assert duckdb.sql(f"SELECT count(*) FROM '{snap.path / 'parquet' / 'marts.demo_count.parquet'}'").fetchone() == (
        10,
    )
    assert [s.current for s in wh.snapshots()] == [True]


def test_exception_after_snapshot_written_before_switch_keeps_previous_snapshot(settings: Settings) -> None:
    wh = Warehouse(settings)
    _write_cases(wh, 10)
    wh.publish(reason="good")
    with wh.reader() as con:
        before = database_fingerprint(con)

    _write_cases(wh, 99)

    def die(_: Path) -> None:
        raise RuntimeError("simulated crash between writing the snapshot and switching readers")

    with pytest.raises(RuntimeError, match="simulated crash"):
        wh.publish(reason="dies", before_switch=die)

    assert _published_rows(wh) == 10
    with wh.reader() as con:
        assert database_fingerprint(con) == before
    # The next publish goes through and readers see the new data.
    wh.publish(reason="retry")
    assert _published_rows(wh) == 99


def test_process_killed_mid_publish_leaves_readers_on_previous_snapshot(settings: Settings, tmp_path: Path) -> None:
    wh = Warehouse(settings)
    _write_cases(wh, 5)
    wh.publish(reason="good")
    _write_cases(wh, 50)
    marker = tmp_path / "snapshot-written"
    script = textwrap.dedent(
        f"""
        import time
        from pathlib import Path
        from szcg.settings import load_settings
        from usecases.wiring import wire
        from warehouse.store import Warehouse
        wire()  # a process of its own is an entry point: it wires the areas' audits like any other
        def pause(path):
            Path({str(marker)!r}).write_text(str(path))
            time.sleep(60)
        Warehouse(load_settings()).publish(reason="killed", before_switch=pause)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], env={**os.environ, "SZCG_DATA_DIR": str(settings.data_dir)})
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None, "publisher exited before reaching the switch"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert _published_rows(wh) == 5  # readers: previous snapshot, complete
    wh.publish(reason="after crash")  # the writer lock died with the process; work continues
    assert _published_rows(wh) == 50


def test_reader_holding_snapshot_open_while_new_one_is_built_and_published(settings: Settings) -> None:
    wh = Warehouse(settings)
    _write_cases(wh, 3)
    wh.publish(reason="v1")
    with wh.reader() as old_reader:
        assert old_reader.execute("SELECT count(*) FROM marts.demo_count").fetchone() == (3,)
        for n in (30, 300, 3000, 30000):  # more publishes than snapshots kept: the open one may be pruned
            _write_cases(wh, n)
            wh.publish(reason=f"v{n}")
            assert old_reader.execute("SELECT count(*), sum(n) FROM marts.demo_count").fetchone() == (3, 3)
        assert _published_rows(wh) == 30000
    assert len(wh.snapshots()) == settings.warehouse_keep_snapshots


def test_failed_audit_publishes_nothing(settings: Settings) -> None:
    wh = Warehouse(settings)
    _write_cases(wh, 1)
    wh.publish(reason="good")
    _write_cases(wh, 2)
    with pytest.raises(AuditFailed, match="empty_marts"):
        wh.publish(reason="bad", audits=[("empty_marts", lambda con: ["marts.demo_count has rows"])])
    assert _published_rows(wh) == 1
    assert len(wh.snapshots()) == 1


def test_a_data_directory_with_a_quote_in_its_path_publishes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A city's share may be named like ``/srv/O'Brien``; the snapshot's Parquet export must not break on it."""
    data_dir = tmp_path / "city's share" / "var"
    monkeypatch.setenv("SZCG_DATA_DIR", str(data_dir))
    quoted = Settings(data_dir=data_dir, hash_key=os.environ["SZCG_HASH_KEY"]).with_data_dir(data_dir)
    wh = Warehouse(quoted)
    _write_cases(wh, 4)
    snap = wh.publish(reason="quoted path")
    assert _published_rows(wh) == 4
    assert (snap.path / "parquet" / "marts.demo_count.parquet").is_file()

"""A re-run finishes what a killed run left, and a re-run that changes nothing publishes nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from cityfiles import census_rows, write_csv, write_grids

from szcg.cli import main
from szcg.settings import Settings
from warehouse.store import Warehouse


def _published_batches(wh: Warehouse) -> set[str]:
    with wh.reader() as con:
        return {str(b) for (b,) in con.execute("SELECT DISTINCT change_source FROM core.component").fetchall()}


def test_an_ingest_killed_between_its_load_and_its_publish_is_published_by_the_rerun(settings: Settings,
                                                                                    tmp_path: Path, capsys) -> None:
    assert main(["grids", "load", str(write_grids(tmp_path / "grids.geojson")), "--valid-from", "2026-01-01"]) == 0
    batch = write_csv(tmp_path / "第一批.csv", census_rows(6))
    marker = tmp_path / "loaded"
    # The real CLI in a process of its own, killed (SIGKILL) once its load has committed, when it would publish.
    script = textwrap.dedent(f"""
        import time
        from pathlib import Path
        import warehouse.store
        def publish(self, *args, **kwargs):
            Path({str(marker)!r}).write_text("loaded")
            time.sleep(60)
        warehouse.store.Warehouse.publish = publish
        from szcg.cli import main
        main(["census", "ingest", {str(batch)!r}, "--district", "140602"])
        """)
    proc = subprocess.Popen([sys.executable, "-c", script], env={**os.environ, "SZCG_DATA_DIR": str(settings.data_dir)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert proc.poll() is None, "the ingest exited before its publish"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    wh = Warehouse(settings)
    with wh.writer() as con:
        (batch_id,) = con.execute("SELECT batch_id FROM landing.load WHERE target = 'core.component'").fetchone()
    assert batch_id not in _published_batches(wh), "killed before its publish"

    capsys.readouterr()
    assert main(["census", "ingest", str(batch), "--district", "140602", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["batches"][0]["already_loaded"] and out["published"], "the re-run publishes what was left"
    assert batch_id in _published_batches(wh)
    with wh.reader() as con:
        assert con.execute("SELECT count(*) FROM core.component").fetchone()[0] == 6


def test_resubmitting_a_rejected_file_publishes_no_new_snapshot(settings: Settings, tmp_path: Path, capsys) -> None:
    assert main(["grids", "load", str(write_grids(tmp_path / "grids.geojson")), "--valid-from", "2026-01-01"]) == 0
    good = write_csv(tmp_path / "good.csv", census_rows(4))
    assert main(["census", "ingest", str(good), "--district", "140602"]) == 0
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"OBJCODE,OBJNAME\n\"open quote,x\n1,2,3,4\n")
    wh = Warehouse(settings)
    assert main(["census", "ingest", str(broken), "--district", "140602"]) == 1
    after_first_rejection = [s.snapshot_id for s in wh.snapshots()]
    capsys.readouterr()
    for _ in range(3):
        assert main(["census", "ingest", str(broken), "--district", "140602", "--json"]) == 1
        assert json.loads(capsys.readouterr().out)["published"] is None
    assert [s.snapshot_id for s in wh.snapshots()] == after_first_rejection, "the good snapshots are kept"


def test_a_grid_file_loaded_but_not_published_is_published_by_its_rerun(settings: Settings, tmp_path: Path,
                                                                        capsys) -> None:
    grids = write_grids(tmp_path / "grids.geojson")
    assert main(["grids", "load", str(grids), "--valid-from", "2026-01-01", "--no-publish"]) == 0
    assert Warehouse(settings).snapshots() == []
    capsys.readouterr()
    assert main(["grids", "load", str(grids), "--valid-from", "2026-01-01", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["already_loaded"] and out["published"]
    with Warehouse(settings).reader() as con:
        assert con.execute("SELECT count(*) FROM core.grid").fetchone()[0] == 48

"""Two DAG runs that write the warehouse, started at the same moment in two processes, both succeed — one after
the other, queued on the warehouse's writer lock — while a reader keeps reading the published snapshot and never
sees a half-loaded batch."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from szcg.settings import Settings

pytestmark = pytest.mark.slow

RUN_ONE = r"""
import sys
from airflow.dag_processing.dagbag import DagBag
from orchestration.airflow_env import DAGS_FOLDER
bag = DagBag(dag_folder=str(DAGS_FOLDER / "hotline_ingest.py"), safe_mode=False)
run = bag.dags["hotline_ingest"].test(run_conf={"path": sys.argv[1]})
print("STATE", str(run.state).rsplit(".", 1)[-1])
"""


def consistent(con: Any) -> None:
    """Every hotline batch the snapshot knows about is there completely (ledger = rows), or not at all."""
    rows = con.execute(
        "SELECT l.batch_id, l.rows_loaded, (SELECT count(*) FROM core.hotline_call h WHERE h.batch_id = l.batch_id)"
        " FROM landing.load l WHERE l.target = 'core.hotline_call'"
    ).fetchall()
    for batch, ledger, present in rows:
        assert ledger == present, f"snapshot shows batch {batch} half loaded: {present} of {ledger} rows"
    orphans = con.execute(
        "SELECT count(*) FROM core.hotline_call WHERE batch_id NOT IN (SELECT batch_id FROM landing.load)"
    ).fetchone()[0]
    assert orphans == 0


def test_two_writing_runs_at_once_queue_and_readers_never_see_a_partial_state(
    airflow_home: Path, small_city: Path, tmp_path: Path
) -> None:
    from warehouse.fingerprint import database_fingerprint
    from warehouse.store import Warehouse

    data_dir = tmp_path / "var"
    settings = Settings(data_dir=data_dir).with_data_dir(data_dir)
    wh = Warehouse(settings)
    wh.publish(reason="empty warehouse, before the loads")
    logs = sorted((small_city / "hotline" / "utf8").glob("*.csv"))[:2]
    assert len(logs) == 2

    procs = []
    for n, log in enumerate(logs):
        home = tmp_path / f"airflow-{n}"  # each process its own copy of the migrated metadata (SQLite: one writer)
        home.mkdir()
        shutil.copy(airflow_home / "airflow.db", home / "airflow.db")
        env = {
            **os.environ,
            "SZCG_DATA_DIR": str(data_dir),
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        }
        out = (tmp_path / f"run-{n}.log").open("w")
        procs.append(
            (
                subprocess.Popen(
                    [sys.executable, "-c", RUN_ONE, str(log)], env=env, stdout=out, stderr=subprocess.STDOUT
                ),
                out,
            )
        )

    with wh.reader() as held:  # a dashboard query that started before the loads
        pinned = database_fingerprint(held)
        checks = 0
        while any(p.poll() is None for p, _ in procs):
            assert database_fingerprint(held) == pinned  # its snapshot never changes under it
            with wh.reader() as fresh:  # a reader arriving now sees the current snapshot, whole
                consistent(fresh)
            checks += 1
            time.sleep(0.2)
    for n, (proc, out) in enumerate(procs):
        out.close()
        log = (tmp_path / f"run-{n}.log").read_text()
        assert proc.returncode == 0 and "STATE success" in log, log[-3000:]
    assert checks > 5

    with wh.reader() as con:
        consistent(con)
        batches = con.execute("SELECT count(*) FROM landing.load WHERE target = 'core.hotline_call'").fetchone()[0]
    assert batches == 2  # both runs loaded; neither lost the other's work
    reasons = [s.reason for s in wh.snapshots()]
    # One publish per run, in sequence — or one for both, when the second load committed before the first run's
    # publish: a publish takes whatever the work database holds that readers do not have yet (the rule that
    # finishes a killed run's publish), and the second run then has nothing new to publish.
    assert 1 <= sum(r.startswith("hotline file") for r in reasons) <= 2, reasons

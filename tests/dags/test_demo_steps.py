"""`make demo` stops at a failing step at once, naming the step, the reason and where its log is; it never waits
for Airflow's retries (dag.test would poll for them once a second, for minutes), and Airflow's own lines go to the
step's log, not to the console. Run as the demo runs: in a process of its own, on the session's Airflow."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

SCRIPT = """
import json, sys
from pathlib import Path
from airflow.dag_processing.dagbag import DagBag
from orchestration.airflow_env import DAGS_FOLDER
from szcg.demo import Airflow, StepFailed

demo = Airflow(DagBag(dag_folder=str(DAGS_FOLDER), safe_mode=False), Path(sys.argv[1]))
sys.stdout.write("--- runs\\n")
try:
    demo.run("monthly_evaluation", {"period": "2026-13"})  # no 13th month: the first task fails
except StepFailed as exc:
    tries = {ti.task_id: [ti.try_number, ti.max_tries] for ti in demo.last_run.get_task_instances()}
    print(json.dumps({"step": exc.step, "reason": exc.reason, "log": str(exc.log), "tries": tries}))
"""


def test_a_failing_step_stops_at_once_with_the_reason_and_its_log(
    airflow_home: Path, data_dir: Path, tmp_path: Path
) -> None:
    run = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True, text=True,
                         env=dict(os.environ), timeout=600, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    console = run.stdout.split("--- runs\n", 1)[1].splitlines()
    assert len(console) == 1  # none of Airflow's lines: they are in the step's log
    failed: dict[str, Any] = json.loads(console[0])
    assert failed["step"] == 'DAG monthly_evaluation {"period": "2026-13"}, task period'
    assert failed["reason"] == "ValueError: period '2026-13': expected YYYY-MM, e.g. 2026-10"
    log = Path(failed["log"])
    assert log == tmp_path / "01-monthly_evaluation.log" and "Traceback" in log.read_text()
    assert failed["tries"]["period"] == [1, 0]  # tried once, no retry (the DAG's default is 2)

"""Every DAG file imports cleanly, fast, and without touching the data directory (the scheduler's dag-processor
re-parses them every few seconds; a slow or side-effecting top level would hurt every deployment)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DAG_FILES = sorted(p for p in (REPO / "dags").glob("*.py") if not p.name.startswith("_"))
EXPECTED = {
    "census_ingest",
    "cockpit_mail",
    "grid_map_update",
    "casework_sync",
    "hotline_ingest",
    "legacy_case_import",
    "monthly_evaluation",
    "warehouse_quality",
}
PARSE_BUDGET_S = 0.5

# One interpreter imports Airflow (its own cost is not a DAG file's), then forks one child per DAG file: each
# child starts with nothing of ours imported, times only the DagBag fill of its file, and describes the result.
PARSE_EACH = r"""
import json, os, sys, time
import airflow.sdk  # noqa: F401
from airflow.dag_processing.dagbag import DagBag

def describe(path):
    started, cpu_started = time.perf_counter(), time.process_time()
    bag = DagBag(dag_folder=path, safe_mode=False)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    dags = {}
    for dag_id, dag in bag.dags.items():
        dags[dag_id] = {
            "tags": sorted(dag.tags),
            "doc_md": bool(dag.doc_md and dag.doc_md.strip()),
            "max_active_runs": dag.max_active_runs,
            "tasks": {
                t.task_id: {"owner": t.owner, "retries": t.retries, "pool": t.pool,
                            "outlets": [getattr(o, "uri", str(o)) for o in t.outlets]}
                for t in dag.tasks
            },
        }
    errors = {k: str(v) for k, v in bag.import_errors.items()}
    return {"seconds": seconds, "cpu_seconds": cpu, "errors": errors, "dags": dags}

results = {}
for path in sys.argv[1:]:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        with os.fdopen(write_end, "w") as out:
            out.write(json.dumps(describe(path)))
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as inp:
        payload = inp.read()
    _, status = os.waitpid(pid, 0)
    results[os.path.basename(path)] = json.loads(payload) if payload else {"crashed": status}
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def parsed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("parse")
    data_dir = root / "no-such-data-dir"  # must still not exist after parsing every file
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(root / "airflow"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "SZCG_DATA_DIR": str(data_dir),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    done = subprocess.run(
        [sys.executable, "-c", PARSE_EACH, *map(str, DAG_FILES)],
        env=env,
        capture_output=True,
        text=True,
        cwd=root,
        timeout=300,
    )
    assert done.returncode == 0, f"parser crashed\n{done.stderr[-3000:]}"
    results: dict[str, dict] = json.loads(done.stdout.strip().splitlines()[-1])
    crashed = {name: r for name, r in results.items() if "crashed" in r}
    assert not crashed, f"parsing crashed the process: {crashed}"
    assert not data_dir.exists(), f"parsing DAG files created {data_dir}: DAG files must do no I/O at import"
    return results


def test_every_dag_file_imports_without_errors(parsed: dict[str, dict]) -> None:
    errors = {name: r["errors"] for name, r in parsed.items() if r["errors"]}
    assert not errors
    found = {dag_id for r in parsed.values() for dag_id in r["dags"]}
    assert found == EXPECTED


def test_each_file_parses_in_under_half_a_second(parsed: dict[str, dict]) -> None:
    """Measured as the parsing process's CPU time: the cost of the file itself, not of waiting for a busy CPU
    (CI and these shared machines run many processes on few cores; wall time is reported alongside)."""
    slow = {
        name: {"cpu": round(r["cpu_seconds"], 3), "wall": round(r["seconds"], 3)}
        for name, r in parsed.items()
        if r["cpu_seconds"] >= PARSE_BUDGET_S
    }
    assert not slow, f"DAG files slower than {PARSE_BUDGET_S}s to parse: {slow}"


def test_every_dag_is_documented_tagged_owned_and_retried(parsed: dict[str, dict]) -> None:
    for r in parsed.values():
        for dag_id, dag in r["dags"].items():
            assert dag["doc_md"], f"{dag_id} has no doc_md"
            assert "szcg" in dag["tags"], f"{dag_id} tags {dag['tags']}"
            for task_id, t in dag["tasks"].items():
                assert t["owner"] == "szcg-data", f"{dag_id}.{task_id} owner {t['owner']}"
            assert any(t["retries"] > 0 for t in dag["tasks"].values()), f"{dag_id}: no task retries"


def test_warehouse_writers_are_serialised(parsed: dict[str, dict]) -> None:
    """Every task that publishes warehouse tables runs in the one-slot pool, one run per writing DAG at a time."""
    writers = 0
    for r in parsed.values():
        for dag_id, dag in r["dags"].items():
            publishes = [
                task_id
                for task_id, t in dag["tasks"].items()
                if any(uri.startswith("szcg://warehouse/") for uri in t["outlets"])
            ]
            if "writes-warehouse" in dag["tags"]:
                writers += 1
                assert dag["max_active_runs"] == 1, dag_id
                assert publishes, f"{dag_id} writes the warehouse but declares no warehouse asset"
            for task_id in publishes:
                assert dag["tasks"][task_id]["pool"] == "warehouse_writer", f"{dag_id}.{task_id} not in the pool"
    assert writers == 6

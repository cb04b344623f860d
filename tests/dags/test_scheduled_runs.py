"""The DAGs under the real scheduler, as an Airflow user runs them: ``szcg airflow up`` starts the API server,
scheduler, DAG processor and triggerer on loopback (LocalExecutor, the platform's airflow.cfg in a tmp data
directory); each DAG is triggered through the REST API with no logical date — what the UI's Trigger button
does — and must succeed and write what it should. What ``dag.test()`` cannot show: manual runs without a logical
date, serialisation, the writers' pool, Asset-triggered runs, ``airflow backfill create``, task logs. A test that
needs an earlier run's data (the backfill needs the case history) gets it from a module fixture, so each test also
passes alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from orchestration.periods import CST, previous_month
from szcg.settings import Settings, load_settings

pytestmark = pytest.mark.slow

RUN_TIMEOUT_S = 300.0


@dataclass
class AirflowApi:
    """The REST API /api/v2 as the UI uses it, with the admin's JWT."""

    url: str
    token: str
    home: Path

    def call(self, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        response = httpx.request(method, f"{self.url}/api/v2{path}",
                                 headers={"Authorization": f"Bearer {self.token}", **(headers or {})},
                                 timeout=30, **kwargs)
        assert response.status_code < 300, f"{method} {path}: HTTP {response.status_code} {response.text[:500]}"
        return response.json()

    def unpause(self, dag_id: str) -> None:
        self.call("PATCH", f"/dags/{dag_id}", json={"is_paused": False})

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        """What the Trigger button does: a manual run with the given conf and no logical date."""
        self.unpause(dag_id)
        run = self.call("POST", f"/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": conf or {}})
        assert run["logical_date"] is None
        return str(run["dag_run_id"])

    def runs(self, dag_id: str) -> list[dict[str, Any]]:
        return list(self.call("GET", f"/dags/{dag_id}/dagRuns", params={"limit": 100})["dag_runs"])

    def runs_appearing(self, dag_id: str, run_type: str, exclude: frozenset[str] = frozenset(),
                       timeout: float = 120.0) -> list[dict[str, Any]]:
        """The DAG's runs of ``run_type`` (other than ``exclude``), polled until one appears or ``timeout`` passes:
        the scheduler creates them in its own loop, not when the API call that causes them returns."""
        deadline = time.monotonic() + timeout
        while True:
            found = [r for r in self.runs(dag_id) if r["run_type"] == run_type and r["dag_run_id"] not in exclude]
            if found or time.monotonic() >= deadline:
                return found
            time.sleep(1.0)

    def wait(self, dag_id: str, run_id: str, timeout: float = RUN_TIMEOUT_S) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = str(self.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}")["state"])
            if state in ("success", "failed"):
                return state
            time.sleep(1.0)
        states = self.task_states(dag_id, run_id)
        raise AssertionError(f"{dag_id} {run_id} not finished within {timeout:.0f} s: {states}")

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str]:
        tis = self.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")["task_instances"]
        return {ti["task_id"]: str(ti["state"]) for ti in tis}

    def xcom(self, dag_id: str, run_id: str, task_id: str) -> Any:
        entry = self.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/return_value",
                          params={"deserialize": True, "stringify": False})
        return entry["value"]

    def log(self, dag_id: str, run_id: str, task_id: str) -> str:
        body = self.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/logs/1",
                         params={"full_content": True}, headers={"Accept": "application/json"})
        return json.dumps(body["content"], ensure_ascii=False)

    def succeeds(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        run_id = self.trigger(dag_id, conf)
        state = self.wait(dag_id, run_id)
        assert state == "success", (dag_id, self.task_states(dag_id, run_id))
        return run_id


@pytest.fixture(scope="module")
def settings(data_dir: Path, small_city: Path) -> Settings:
    from szcg.demo import load_grids, load_reference

    s = load_settings()
    assert s.data_dir == data_dir
    load_reference(s)
    load_grids(s, small_city)
    return s


@pytest.fixture(scope="module")
def case_service_url(settings: Settings) -> Iterator[str]:
    """The case service runs before Airflow starts: its address reaches the tasks through the environment."""
    from casework.cli import DEMO_PASSWORD
    from szcg.demo import case_service

    with case_service(settings) as url:
        saved = {k: os.environ.get(k) for k in ("SZCG_CASEWORK_URL", "SZCG_CASEWORK_USER", "SZCG_CASEWORK_PASSWORD")}
        os.environ.update(SZCG_CASEWORK_URL=url, SZCG_CASEWORK_USER="evaluator", SZCG_CASEWORK_PASSWORD=DEMO_PASSWORD)
        try:
            yield url
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


@pytest.fixture(scope="module")
def api(settings: Settings, case_service_url: str) -> Iterator[AirflowApi]:
    """``szcg airflow up`` on a free loopback port; ``szcg airflow down`` afterwards."""
    from orchestration import airflow_env, airflow_local
    from szcg.demo import free_port

    site = airflow_local.local_airflow(settings.data_dir, free_port())
    started = time.perf_counter()
    airflow_local.start(site)
    print(f"airflow up in {time.perf_counter() - started:.1f}s")
    try:
        login = {"username": airflow_env.ADMIN_USER, "password": airflow_env.admin_password(settings.data_dir)}
        token = httpx.post(f"{site.url}/auth/token", json=login, timeout=30).json()["access_token"]
        yield AirflowApi(site.url, token, site.home)
    finally:
        assert set(airflow_local.stop(site)) == set(airflow_local.COMPONENTS)
        assert all(airflow_local.running_pid(site, c) is None for c in airflow_local.COMPONENTS)


def plain_airflow(home: Path, *args: str) -> str:
    """The ``airflow`` CLI as its users run it: only AIRFLOW_HOME set (no AIRFLOW__* variables)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(AIRFLOW_HOME=str(home), PATH=os.pathsep.join([str(Path(sys.executable).parent), env["PATH"]]))
    done = subprocess.run(["airflow", *args], env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def published(settings: Settings, sql: str, params: list[Any] | None = None) -> Any:
    from warehouse.store import Warehouse

    with Warehouse(settings).reader() as con:
        return con.execute(sql, params or []).fetchone()[0]  # type: ignore[index]


def test_airflow_up_serves_every_dag_from_the_platforms_airflow_cfg(api: AirflowApi, settings: Settings) -> None:
    assert (settings.data_dir / "airflow" / "airflow.cfg").is_file()
    listed = json.loads(plain_airflow(api.home, "dags", "list", "-o", "json").strip().splitlines()[-1])
    assert {d["dag_id"] for d in listed} == {
        "census_ingest", "casework_sync", "cockpit_mail", "grid_map_update", "hotline_ingest", "legacy_case_import",
        "monthly_evaluation", "warehouse_quality",
    }
    pool = api.call("GET", "/pools/warehouse_writer")
    assert pool["slots"] == 1


def test_a_census_batch_triggered_by_hand_is_loaded_and_its_asset_triggers_the_quality_check(
    api: AirflowApi, settings: Settings, small_city: Path
) -> None:
    api.unpause("warehouse_quality")  # the consumer of core.component
    before = frozenset(r["dag_run_id"] for r in api.runs("warehouse_quality"))
    file, district = (small_city / "census" / "batches.csv").read_text(encoding="utf-8").splitlines()[1].split(",")[:2]
    run_id = api.succeeds("census_ingest", {"path": str(small_city / file), "district": district, "mapping": ""})
    loaded = api.xcom("census_ingest", run_id, "ingest")
    assert loaded["rows_loaded"] > 0
    assert published(settings, "SELECT count(*) FROM core.component WHERE valid_to IS NULL") == loaded["rows_loaded"]
    # the task log says what the step did, with its counts and how long it took
    log = api.log("census_ingest", run_id, "ingest")
    assert "ingest_census: done in" in log and f"rows_loaded={loaded['rows_loaded']}" in log

    triggered = api.runs_appearing("warehouse_quality", "asset_triggered", exclude=before)
    assert triggered, "publishing core.component did not trigger warehouse_quality"
    run = triggered[0]
    assert run["logical_date"] is None
    api.wait("warehouse_quality", run["dag_run_id"])
    assert api.task_states("warehouse_quality", run["dag_run_id"])["inspect"] == "success"
    found = api.xcom("warehouse_quality", run["dag_run_id"], "inspect")
    assert Path(found["report"]).is_file() and found["run_id"] == run["dag_run_id"]


@pytest.fixture(scope="module")
def case_history(api: AirflowApi, settings: Settings, small_city: Path) -> tuple[str, int]:
    """The case history imported by hand (the backfill evaluates it): the run, and the cases published after it."""
    run_id = api.succeeds("legacy_case_import", {"path": str(small_city / "cases"), "mapping": ""})
    return run_id, published(settings, 'SELECT count(*) FROM core."case"')


def test_case_history_import_by_hand(api: AirflowApi, case_history: tuple[str, int]) -> None:
    run_id, cases_published = case_history
    imported = api.xcom("legacy_case_import", run_id, "import_cases")
    assert cases_published == imported["cases_loaded"] > 0


def test_the_case_feed_is_synced_on_its_schedule_and_by_hand(
    api: AirflowApi, settings: Settings, small_city: Path, case_service_url: str
) -> None:
    from szcg.demo import replay

    replay(case_service_url, small_city)
    run_id = api.succeeds("casework_sync")
    # max_active_runs=1: the scheduled run is created once the manual run has ended, in a later scheduler loop
    scheduled = api.runs_appearing("casework_sync", "scheduled")
    assert scheduled, "unpausing casework_sync did not schedule its 5-minute run"
    assert api.wait("casework_sync", scheduled[0]["dag_run_id"]) == "success"
    synced = published(settings, "SELECT count(*) FROM core.case_event WHERE origin_system = 'casework'")
    assert synced > 0
    assert api.xcom("casework_sync", run_id, "pull")["events_seen"] >= 0


def test_a_hotline_log_by_hand(api: AirflowApi, settings: Settings, small_city: Path) -> None:
    log = sorted((small_city / "hotline" / "gbk").glob("*.csv"))[0]
    run_id = api.succeeds("hotline_ingest", {"path": str(log)})
    assert published(settings, "SELECT count(*) FROM core.hotline_call") == api.xcom(
        "hotline_ingest", run_id, "ingest")["rows_loaded"] > 0


def test_a_manual_monthly_evaluation_evaluates_the_month_before_the_run(api: AirflowApi, settings: Settings) -> None:
    """With no period given, a manual run evaluates the month before it runs. The small city's history ends in
    early 2026 (the replayed live cases are today's), so that month has no cases: the gate closes, naming why,
    and nothing is published — readers keep the scorecards they have."""
    run_id = api.trigger("monthly_evaluation")
    api.wait("monthly_evaluation", run_id)
    run = api.call("GET", f"/dags/monthly_evaluation/dagRuns/{run_id}")
    run_after = datetime.fromisoformat(run["run_after"].replace("Z", "+00:00"))
    month = previous_month(run_after.astimezone(CST))
    assert api.xcom("monthly_evaluation", run_id, "period") == month
    assert api.xcom("monthly_evaluation", run_id, "validate") == {
        "period": month, "passed": False, "problems": ["no scores computed"]}
    states = api.task_states("monthly_evaluation", run_id)
    assert states["gate"] == "failed" and states["publish"] == "upstream_failed", states
    assert "gate: failed after" in api.log("monthly_evaluation", run_id, "gate")
    # No published version. The refused draft may still ride along in a snapshot that another run (the 5-minute
    # casework_sync) publishes meanwhile — a publish copies the whole work database — as a 'draft' no reader counts.
    assert published(settings, "SELECT count(*) FROM marts.scorecard WHERE period = ? AND status = 'published'",
                     [month]) == 0


def cjk_font_missing() -> str | None:
    from transforms.report.fonts import MissingCJKFont, cjk_font_family

    try:
        cjk_font_family()
    except MissingCJKFont as exc:
        return str(exc)
    return None


def test_backfilling_months_through_airflow_backfill_create(
    api: AirflowApi, settings: Settings, case_history: tuple[str, int]
) -> None:
    """One run per 02:00 CST tick on a 1st in the inclusive range, each evaluating the month before its tick."""
    api.unpause("monthly_evaluation")  # the scheduler runs no backfill of a paused DAG (a manual trigger unpauses)
    plain_airflow(api.home, "backfill", "create", "--dag-id", "monthly_evaluation",
                  "--from-date", "2026-02-01", "--to-date", "2026-03-01T02:00")
    deadline = time.monotonic() + 2 * RUN_TIMEOUT_S
    backfilled: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        backfilled = [r for r in api.runs("monthly_evaluation") if r["run_type"] == "backfill"]
        if len(backfilled) == 2 and all(r["state"] in ("success", "failed") for r in backfilled):
            break
        time.sleep(2.0)
    assert sorted(r["logical_date"] for r in backfilled) == ["2026-01-31T18:00:00Z", "2026-02-28T18:00:00Z"]
    periods = sorted(api.xcom("monthly_evaluation", r["dag_run_id"], "period") for r in backfilled)
    assert periods == ["2026-01", "2026-02"]
    assert published(settings, "SELECT count(DISTINCT period) FROM marts.scorecard WHERE status = 'published'"
                     " AND period IN ('2026-01', '2026-02')") == 2
    events = api.call("GET", "/assets/events", params={"source_dag_id": "monthly_evaluation", "limit": 100})
    assert any(e["uri"] == "szcg://warehouse/marts/scorecard" for e in events["asset_events"])
    missing_font = cjk_font_missing()
    for run in backfilled:
        states = api.task_states("monthly_evaluation", run["dag_run_id"])
        if missing_font:  # the report cannot be rendered here; everything before it must have worked
            assert states["publish"] == "success" and states["report"] == "failed", states
            assert "MissingCJKFont" in api.log("monthly_evaluation", run["dag_run_id"], "report")
        else:
            assert run["state"] == "success", states
    if missing_font:
        pytest.skip(f"monthly reports not rendered: {missing_font}")
    assert all((settings.data_dir / "reports" / "monthly" / f"{p}.pdf").is_file() for p in periods)


def test_the_quality_check_by_hand_judges_the_published_warehouse_as_of_the_run(
    api: AirflowApi, settings: Settings
) -> None:
    run_id = api.trigger("warehouse_quality")
    api.wait("warehouse_quality", run_id)
    assert api.task_states("warehouse_quality", run_id)["inspect"] == "success"
    found = api.xcom("warehouse_quality", run_id, "inspect")
    assert found["as_of"].startswith(datetime.now(CST).strftime("%Y-%m-%d"))

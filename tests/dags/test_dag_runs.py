"""Each DAG run end to end with ``dag.test()`` on a small synthetic city, in the order a city's month happens:
grids and census batches, the case history, the live case service's feed, hotline logs, the monthly
evaluation, the nightly quality re-check. One warehouse for the module. What a test needs from an earlier step (the
evaluation needs the case history, the quality check the hotline logs too) it gets from that step's run, a module
fixture: each test also passes alone (``pytest tests/dags/test_dag_runs.py::<test>``)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from orchestration.periods import CST
from szcg.settings import Settings, load_settings

pytestmark = pytest.mark.slow


def run(dagbag: Any, dag_id: str, conf: dict[str, Any] | None = None, logical_date: datetime | None = None) -> Any:
    kwargs: dict[str, Any] = {"run_conf": conf or {}}
    if logical_date is not None:
        kwargs["logical_date"] = logical_date
    return dagbag.dags[dag_id].test(**kwargs)


def states(dag_run: Any) -> dict[str, str]:
    return {ti.task_id: str(ti.state).rsplit(".", 1)[-1] for ti in dag_run.get_task_instances()}


def xcom(dag_run: Any, task_id: str) -> Any:
    ti = next(t for t in dag_run.get_task_instances() if t.task_id == task_id)
    return ti.xcom_pull(task_ids=task_id)


def published(settings: Settings, sql: str) -> Any:
    from warehouse.store import Warehouse

    with Warehouse(settings).reader() as con:
        return con.execute(sql).fetchone()[0]  # type: ignore[index]


def current_snapshot(settings: Settings) -> str | None:
    from warehouse.store import Warehouse

    return next((s.snapshot_id for s in Warehouse(settings).snapshots() if s.current), None)


@pytest.fixture(scope="module")
def settings(data_dir: Path, small_city: Path) -> Settings:
    from szcg.demo import load_grids, load_reference

    s = load_settings()
    assert s.data_dir == data_dir
    load_reference(s)  # the city's configuration and grid map: set-up data, not DAGs of their own
    load_grids(s, small_city)
    return s


def test_a_census_batch_is_validated_loaded_published_and_reported(dagbag: Any, settings: Settings, small_city: Path):
    file, district = (small_city / "census" / "batches.csv").read_text(encoding="utf-8").splitlines()[1].split(",")[:2]
    dag_run = run(dagbag, "census_ingest", {"path": str(small_city / file), "district": district, "mapping": ""})
    assert set(states(dag_run).values()) == {"success"}, states(dag_run)
    loaded = xcom(dag_run, "ingest")
    assert loaded["rows_loaded"] > 0 and loaded["rows_in"] == loaded["rows_loaded"] + loaded["rows_quarantined"]
    assert xcom(dag_run, "publish")["published"] is True
    assert published(settings, "SELECT count(*) FROM core.component WHERE valid_to IS NULL") == loaded["rows_loaded"]
    report = json.loads(Path(xcom(dag_run, "report")).read_text(encoding="utf-8"))
    assert report["result"]["batch_id"] == loaded["batch_id"]


def test_a_batch_that_is_not_a_census_is_quarantined_not_published(dagbag: Any, settings: Settings, tmp_path: Path):
    bad = tmp_path / "not-a-census.csv"
    bad.write_text("name,colour\nbench,green\n", encoding="utf-8")
    before = current_snapshot(settings)
    dag_run = run(dagbag, "census_ingest", {"path": str(bad), "district": "140602", "mapping": ""})
    got = states(dag_run)
    assert got["ingest"] == "success" and got["report"] == "failed", got  # the uploader sees a failed run
    result = xcom(dag_run, "ingest")
    assert result["rejected"] and xcom(dag_run, "publish") == {"published": False, "why": "batch rejected"}
    assert current_snapshot(settings) == before  # readers still on the last good snapshot
    report = json.loads(next((settings.data_dir / "reports" / "runs" / "census_ingest").glob("*.json")).read_text())
    assert report["result"]["rejected"] or report["result"]["rows_loaded"] > 0


@pytest.fixture(scope="module")
def case_history(dagbag: Any, settings: Settings, small_city: Path) -> tuple[Any, int]:
    """The case history's import run, and how many cases the published warehouse held right after it."""
    dag_run = run(dagbag, "legacy_case_import", {"path": str(small_city / "cases"), "mapping": ""})
    return dag_run, published(settings, 'SELECT count(*) FROM core."case"')


@pytest.fixture(scope="module")
def hotline_log(dagbag: Any, settings: Settings, small_city: Path) -> tuple[Any, int]:
    """One hotline log's ingest run, and how many calls the published warehouse held right after it."""
    log = sorted((small_city / "hotline" / "gbk").glob("*.csv"))[0]
    dag_run = run(dagbag, "hotline_ingest", {"path": str(log)})
    return dag_run, published(settings, "SELECT count(*) FROM core.hotline_call")


def test_case_history_import_publishes_cases(case_history: tuple[Any, int]) -> None:
    dag_run, cases_published = case_history
    assert set(states(dag_run).values()) == {"success"}, states(dag_run)
    imported = xcom(dag_run, "import_cases")
    assert cases_published == imported["cases_loaded"] > 0


def test_the_case_services_feed_is_synced(
    dagbag: Any, settings: Settings, small_city: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from casework.cli import DEMO_PASSWORD
    from szcg.demo import case_service, replay

    with case_service(settings) as url:
        replay(url, small_city)
        monkeypatch.setenv("SZCG_CASEWORK_URL", url)
        monkeypatch.setenv("SZCG_CASEWORK_USER", "evaluator")
        monkeypatch.setenv("SZCG_CASEWORK_PASSWORD", DEMO_PASSWORD)
        first = run(dagbag, "casework_sync")
        again = run(dagbag, "casework_sync")
    assert set(states(first).values()) == {"success"}, states(first)
    pulled = xcom(first, "pull")
    assert pulled["events_loaded"] > 0 and xcom(first, "publish")["published"] is True
    assert xcom(again, "pull")["events_seen"] == 0  # the cursor moved: nothing pulled twice
    assert xcom(again, "publish")["published"] is False
    assert (
        published(settings, "SELECT count(*) FROM core.case_event WHERE origin_system = 'casework'")
        == (pulled["events_loaded"])
    )


def test_a_hotline_log_is_ingested(hotline_log: tuple[Any, int]) -> None:
    dag_run, calls_published = hotline_log
    assert set(states(dag_run).values()) == {"success"}, states(dag_run)
    assert calls_published == xcom(dag_run, "ingest")["rows_loaded"] > 0


def test_the_monthly_run_evaluates_the_month_before_its_logical_date(
    dagbag: Any, settings: Settings, case_history: tuple[Any, int], hotline_log: tuple[Any, int]
) -> None:
    dag_run = run(dagbag, "monthly_evaluation", logical_date=datetime(2026, 2, 1, 2, tzinfo=CST))
    assert xcom(dag_run, "period") == "2026-01"  # a backfilled January, whatever today is
    got = states(dag_run)
    assert got["publish"] == "success", got
    outcome = xcom(dag_run, "publish")
    assert outcome["period"] == "2026-01" and outcome["version"] == 1
    assert published(settings, "SELECT count(*) FROM marts.scorecard WHERE period = '2026-01' AND status = 'published'")
    # the same month again (a re-run or a backfill): nothing new is published, the version stays 1
    from orchestration.steps import publish_evaluation

    repeated = publish_evaluation({"period": "2026-01"})
    assert repeated["already_published"] and repeated["draft_matches"] and repeated["published"] is False


def test_nightly_quality_check_lists_every_problem(
    dagbag: Any, settings: Settings, case_history: tuple[Any, int], hotline_log: tuple[Any, int]
) -> None:
    from warehouse.store import Warehouse

    wh = Warehouse(settings)
    with wh.writer() as con:  # a case dispatched to a department the city doesn't have
        ghost = con.execute('SELECT min(case_id) FROM core."case"').fetchone()[0]  # type: ignore[index]
        con.execute("UPDATE core.\"case\" SET department_code = 'D-GHOST' WHERE case_id = ?", [ghost])
    wh.publish(reason="test: a broken reference")
    # judged three months after the hotline logs end: that source is late
    dag_run = run(dagbag, "warehouse_quality", logical_date=datetime(2026, 6, 1, tzinfo=CST))
    got = states(dag_run)
    assert got == {"inspect": "success", "check": "failed"}, got
    found = xcom(dag_run, "inspect")
    assert any("case→department" in p and ghost in p for p in found["problems"]["referential_integrity"])
    assert any(p.startswith("late data: newest hotline_call") for p in found["problems"]["late_data"])
    report = Path(found["report"]).read_text(encoding="utf-8")
    assert ghost in report and "late data" in report

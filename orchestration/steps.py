"""What each DAG task does: a thin adapter per task that calls the job in ``usecases/`` and turns its outcome into
a small JSON-able dict (the task's XCom).

Every function reads settings from the environment (``SZCG_*``) so a task runs the same in ``dag.test()``, on a
Celery worker or in a container. The jobs themselves — loads, validations, the gate, publishing — are assembled once
in ``usecases/`` and shared with the CLI, the demo and the portal; their log (steps, counts, durations) goes to the
task log, which Airflow's task runner fills from the standard library's logging.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from szcg.errors import InputRejected, RowProblem
from szcg.logs import logged
from szcg.settings import Settings, load_settings
from usecases.evaluation import GateClosed

__all__ = ["GateClosed", "check_upload", "compute_evaluation", "gate", "import_legacy_cases", "ingest_census",
           "ingest_hotline", "issue_monthly_report", "load_grid_map", "mail_cockpit", "publish_evaluation",
           "publish_if_loaded", "refresh_dashboards", "report_run", "sync_cases", "validate_evaluation"]


def _settings() -> Settings:
    return load_settings()


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


@logged
def check_upload(path: str) -> dict[str, Any]:
    """The upload exists and is readable; its sha256 names it in the run's report. Writes nothing."""
    file = Path(path).expanduser()
    if not file.exists():
        raise InputRejected(f"{file}: no such file", [RowProblem(str(file), 0, "path", "file_exists", "文件不存在")])
    if file.is_dir():  # a Parquet export is a folder (cases.parquet + case_events.parquet)
        return {"path": str(file.resolve()), "bytes": sum(p.stat().st_size for p in file.rglob("*") if p.is_file())}
    digest = hashlib.sha256()
    with file.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return {"path": str(file.resolve()), "bytes": file.stat().st_size, "sha256": digest.hexdigest()}


# --- loads (each returns what it did; publishing is a separate task) ------------------------------------------


@logged
def ingest_census(path: str, district: str, mapping: str | None) -> dict[str, Any]:
    """Read, validate and load one census batch; bad rows are quarantined; a batch report is written.
    Publishing is the DAG's next task (``publish_if_loaded``)."""
    from usecases.census import ingest_batch

    outcome = ingest_batch(_settings(), Path(path), district, Path(mapping) if mapping else None, publish=False)
    summary = {k: v for k, v in outcome.to_dict().items() if k not in ("notes", "published", "timings")}
    if outcome.report is None:
        del summary["report"]
    return _jsonable({**summary, "changed_warehouse": outcome.changed_warehouse})


@logged
def load_grid_map(path: str, valid_from: str | None) -> dict[str, Any]:
    """Load a unit-grid map (new grids, changed ones versioned from ``valid_from``, default today)."""
    import datetime as dt

    from usecases.grids import load_grid_map as load

    day = dt.date.fromisoformat(valid_from) if valid_from else None
    outcome = load(_settings(), Path(path), day, publish=False)
    summary = {**outcome.to_dict(), "problems": outcome.problems}
    if outcome.failed and not outcome.rejected:
        summary["rejected"] = "no grid loaded: " + ("; ".join(outcome.problems[:5]) or "the file has no grids")
    return _jsonable({**summary, "changed_warehouse": outcome.rows_in > 0 and not outcome.already_loaded})


@logged
def ingest_hotline(path: str) -> dict[str, Any]:
    from usecases.hotline import ingest_hotline as ingest

    outcome = ingest(_settings(), Path(path), publish=False)
    return _jsonable({**outcome.result.to_dict(), "rejected": None, "changed_warehouse": outcome.changed_warehouse})


@logged
def import_legacy_cases(path: str, mapping: str | None) -> dict[str, Any]:
    """A legacy system's CSV export with its mapping, or a Parquet folder (cases.parquet + case_events.parquet)."""
    from usecases.cases import import_case_export

    outcome = import_case_export(_settings(), Path(path), Path(mapping) if mapping else None, publish=False)
    return _jsonable({**outcome.result.to_dict(), "rejected": None, "changed_warehouse": outcome.changed_warehouse})


@logged
def sync_cases(base_url: str | None) -> dict[str, Any]:
    """Drain the case service's change feed from the stored cursor (one committed transaction per page)."""
    from usecases.cases import sync_from_case_service

    outcome = sync_from_case_service(_settings(), base_url, publish=False)
    return _jsonable({**outcome.result.to_dict(), "rejected": None, "changed_warehouse": outcome.changed_warehouse})


# --- publish and report ---------------------------------------------------------------------------------------


@logged
def publish_if_loaded(result: dict[str, Any], reason: str) -> dict[str, Any]:
    """Publish by the one rule (usecases.publish): whatever the work database holds that readers do not — this
    run's load, or one a run that died before its publish task left behind. A batch rejected as a whole is not
    published by its own run (the run fails at its report; the next load's publish carries its ledger rows)."""
    from usecases.publish import publish_if_changed

    if result.get("rejected"):
        return {"published": False, "why": "batch rejected"}
    outcome = publish_if_changed(_settings(), reason)
    if outcome.snapshot is None:
        return {"published": False, "why": "nothing new"}
    return _jsonable({"published": True, **outcome.snapshot.to_dict()})


@logged
def report_run(dag_id: str, run_id: str, result: dict[str, Any], published: dict[str, Any]) -> str:
    """Write the run's report (what came in, what was loaded or quarantined, which snapshot readers see now).

    Fails the task (after writing) when the batch was rejected as a whole, so the uploader sees a failed run.
    """
    settings = _settings()
    out_dir = settings.data_dir / "reports" / "runs" / dag_id
    out_dir.mkdir(parents=True, exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in run_id)
    target = out_dir / f"{safe}.json"
    body = {"dag_id": dag_id, "run_id": run_id, "result": result, "published": published}
    target.write_text(json.dumps(body, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    if result.get("rejected"):
        raise InputRejected(f"batch rejected (report: {target}): {result['rejected']}")
    return str(target)


# --- monthly evaluation -----------------------------------------------------------------------------------------


@logged
def compute_evaluation(period: str) -> dict[str, Any]:
    """(Re)compute the month's draft scorecard (version 0) into the work database; readers don't see it yet."""
    from usecases.evaluation import compute

    return _jsonable({"period": period, **compute(_settings(), period, actor="airflow")})


@logged
def validate_evaluation(computed: dict[str, Any]) -> dict[str, Any]:
    """Expectations on the draft before anyone sees it (the gate's input)."""
    from usecases.evaluation import validate

    return validate(_settings(), computed["period"]).to_dict()


@logged
def gate(validated: dict[str, Any]) -> dict[str, Any]:
    from usecases.evaluation import Validation
    from usecases.evaluation import gate as close_or_pass

    return close_or_pass(Validation(validated["period"], bool(validated.get("passed")),
                                    [str(p) for p in validated.get("problems", [])])).to_dict()


@logged
def publish_evaluation(passed: dict[str, Any]) -> dict[str, Any]:
    """Freeze the draft as version 1 and publish the snapshot (a month published before stays as it is)."""
    from usecases.evaluation import publish_month

    return _jsonable(publish_month(_settings(), passed["period"], actor="airflow"))


@logged
def issue_monthly_report(period: str) -> dict[str, Any]:
    """Render the month's report once, archive it and e-mail it (SZCG_SMTP_*, SZCG_REPORT_RECIPIENTS), plus a
    更正版 of any month whose scorecard was re-issued since its report went out."""
    from usecases.report import send_monthly_report

    return _jsonable(send_monthly_report(_settings(), period).to_dict())


@logged
def mail_cockpit(period: str) -> dict[str, Any]:
    """E-mail the month's 领导驾驶舱 (PNG and PDF) from the running Superset to SZCG_REPORT_RECIPIENTS; ``skipped``
    says why nothing was sent when no mail is configured; raises when Superset does not answer."""
    from usecases.cockpit import send_cockpit_mail

    return _jsonable(send_cockpit_mail(_settings(), period).to_dict())


@logged
def refresh_dashboards(published: dict[str, Any]) -> dict[str, Any]:
    """Superset already reads ``current`` (read-only); re-importing the dashboards moves their default month
    to the newest published one. Without a running Superset there is nothing to refresh."""
    from dashboards import server
    from dashboards.deploy import import_assets
    from dashboards.site import site_from_settings

    site = site_from_settings(_settings())
    if not server.healthy(site):
        return {"refreshed": False, "why": f"Superset not running at {site.url}; `szcg dashboards up` imports"}
    return _jsonable({"refreshed": True, **import_assets(site).to_dict()})

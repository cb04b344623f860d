"""What each DAG task does, as plain functions: check an upload, run an area's load, publish, report.

Every function reads settings from the environment (``SZCG_*``) so a task runs the same in ``dag.test()``, on a
Celery worker or in a container. The loads belong to the area packages (census_loaders, transforms, …); this
module only sequences them, publishes, and turns their outcomes into small JSON-able dicts (XComs).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from szcg.errors import InputRejected, RowProblem, SzcgError
from szcg.settings import Settings, load_settings

# Airflow's task runner routes the standard library's logging into the task's log, which the UI shows.
log = logging.getLogger("szcg.orchestration")

P = ParamSpec("P")
R = TypeVar("R")
# what a step's result may show in the log: its counts and identifiers, never row contents or rejected input
_LOGGED_TEXT = frozenset({"batch_id", "period", "snapshot_id", "snapshot", "why", "district"})


def _what_it_did(result: Any) -> str:
    if not isinstance(result, dict):
        return ""
    shown = [
        f"{key}={value}"
        for key, value in result.items()
        if isinstance(value, bool | int | float) or (key in _LOGGED_TEXT and isinstance(value, str))
    ]
    return " ".join(shown)


def logged(step: Callable[P, R]) -> Callable[P, R]:
    """Log a step's start, and its counts and duration when it ends (or that it failed, after how long)."""

    @functools.wraps(step)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        started = time.perf_counter()
        log.info("%s: started", step.__name__)
        try:
            result = step(*args, **kwargs)
        except Exception as exc:
            log.error("%s: failed after %.2f s: %s", step.__name__, time.perf_counter() - started, type(exc).__name__)
            raise
        log.info("%s: done in %.2f s: %s", step.__name__, time.perf_counter() - started, _what_it_did(result))
        return result

    return run


class GateClosed(SzcgError):
    """The evaluation results failed validation: nothing is published, readers keep the previous month."""


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
def ingest_hotline(path: str) -> dict[str, Any]:
    from transforms.hotline.ingest import ingest_hotline as ingest
    from warehouse.store import Warehouse

    settings = _settings()
    result = ingest(Warehouse(settings), Path(path), settings).to_dict()
    return _jsonable({**result, "rejected": None, "changed_warehouse": result["rows_in"] > 0})


@logged
def import_legacy_cases(path: str, mapping: str | None) -> dict[str, Any]:
    """A legacy system's CSV export with its mapping, or a Parquet folder (cases.parquet + case_events.parquet)."""
    from warehouse.store import Warehouse

    wh = Warehouse(_settings())
    source = Path(path)
    if source.is_dir() or source.suffix == ".parquet":
        from transforms.cases.parquet_import import import_parquet

        result = import_parquet(wh, source if source.is_dir() else source.parent).to_dict()
        changed = result["cases_in"] + result["events_in"] > 0
    else:
        from transforms.cases.legacy_import import import_legacy
        from transforms.cases.mapping import load_mapping

        if not mapping:
            raise InputRejected(f"{source}: a CSV export needs its column mapping (conf `mapping`)")
        result = import_legacy(wh, source, load_mapping(Path(mapping))).to_dict()
        changed = result.get("rows_in", 0) > 0
    return _jsonable({**result, "rejected": None, "changed_warehouse": changed})


def casework_token(base_url: str) -> str | None:
    """The feed reader's bearer token: ``SZCG_CASEWORK_TOKEN``, or a login with ``SZCG_CASEWORK_USER``/``_PASSWORD``."""
    settings = _settings()
    token = settings.casework_token
    user, password = settings.casework_user, settings.casework_password
    if token or not (user and password):
        return token
    import httpx

    response = httpx.post(f"{base_url}/auth/token", json={"username": user, "password": password}, timeout=30)
    if response.status_code != 200:
        raise InputRejected(f"case service refused the login of {user!r}: HTTP {response.status_code}")
    return str(response.json()["access_token"])


@logged
def sync_cases(base_url: str | None) -> dict[str, Any]:
    """Drain the case service's change feed from the stored cursor (one committed transaction per page)."""
    from transforms.cases.feed_pull import HttpFeedClient, pull_feed
    from warehouse.store import Warehouse

    url = base_url or _settings().casework_url
    if not url:
        raise InputRejected("no case service address: set SZCG_CASEWORK_URL or pass conf base_url")
    result = pull_feed(Warehouse(_settings()), HttpFeedClient(url, casework_token(url))).to_dict()
    return _jsonable({**result, "rejected": None, "changed_warehouse": result["events_seen"] > 0})


# --- publish and report ---------------------------------------------------------------------------------------


@logged
def publish_if_loaded(result: dict[str, Any], reason: str) -> dict[str, Any]:
    """Publish a new audited snapshot if the work database differs from the published one — this run's load, or one
    a run that died before its publish task left behind; otherwise readers keep the current one."""
    from warehouse.store import Warehouse

    if result.get("rejected"):
        return {"published": False, "why": "batch rejected"}
    snap = Warehouse(_settings()).publish_if_changed(reason=reason)
    return {"published": True, **snap.to_dict()} if snap else {"published": False, "why": "nothing new"}


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


def _evaluation_context(settings: Settings) -> tuple[Any, Any]:
    from standards.calendar import load_calendar
    from standards.city import load_city
    from transforms.evaluation.scheme import load_scheme, resolve_scheme_path

    return load_scheme(resolve_scheme_path(settings, None)), load_calendar(load_city(settings))


@logged
def compute_evaluation(period: str) -> dict[str, Any]:
    """(Re)compute the month's draft scorecard (version 0) into the work database; readers don't see it yet."""
    from standards.city import load_city
    from standards.handbook import load_handbook
    from transforms.evaluation import store
    from transforms.evaluation.period import parse_period
    from warehouse.store import Warehouse

    settings = _settings()
    scheme, calendar = _evaluation_context(settings)
    handbook = load_handbook(load_city(settings))  # its 处置 limits judge cases still open (as `szcg evaluate`)
    with Warehouse(settings).writer() as con:
        summary = store.compute_draft(con, parse_period(period), scheme, calendar, actor="airflow", handbook=handbook)
    return _jsonable({"period": period, **summary.to_dict()})


VALIDATIONS: tuple[tuple[str, str], ...] = (
    ("no scores computed", "SELECT count(*) = 0 FROM marts.score WHERE period = ? AND version = 0"),
    (
        "total score outside 0–100",
        "SELECT count(*) > 0 FROM marts.score WHERE period = ? AND version = 0"
        " AND total_score IS NOT NULL AND (total_score < 0 OR total_score > 100)",
    ),
    (
        "an entity scored twice",
        "SELECT count(*) > 0 FROM (SELECT object, level, entity_code FROM marts.score WHERE period = ?"
        " AND version = 0 GROUP BY ALL HAVING count(*) > 1)",
    ),
    (
        "ranked entity without a total",
        "SELECT count(*) > 0 FROM marts.score WHERE period = ? AND version = 0 AND ranked AND total_score IS NULL",
    ),
)


@logged
def validate_evaluation(computed: dict[str, Any]) -> dict[str, Any]:
    """Expectations on the draft before anyone sees it (the gate's input)."""
    from warehouse.store import Warehouse

    period = computed["period"]
    with Warehouse(_settings()).writer() as con:
        problems = [name for name, sql in VALIDATIONS if con.execute(sql, [period]).fetchone()[0]]  # type: ignore[index]
    return {"period": period, "passed": not problems, "problems": problems}


@logged
def gate(validated: dict[str, Any]) -> dict[str, Any]:
    if not validated.get("passed"):
        lines = "\n  ".join(str(p) for p in validated.get("problems", []))
        raise GateClosed(f"scorecards for {validated['period']} not published; validation failed:\n  {lines}")
    return validated


@logged
def publish_evaluation(passed: dict[str, Any]) -> dict[str, Any]:
    """Freeze the draft as version 1 and publish the snapshot. A month already published stays as it is: a
    re-run (or a backfill) whose draft equals the published version changes nothing; one that differs is
    reported — changing a published month is a human decision (`szcg evaluate reissue --reason …`)."""
    from transforms.evaluation import store
    from transforms.evaluation.period import parse_period
    from warehouse.store import Warehouse

    period = parse_period(passed["period"])
    wh = Warehouse(_settings())
    outcome: dict[str, Any]
    with wh.writer() as con:
        existing = store.latest_published(con, period.key)
        if existing is not None:
            same = store.content_hash(con, period.key, 0) == store.content_hash(con, period.key, existing)
            outcome = {"period": period.key, "version": existing, "already_published": True, "draft_matches": same}
        else:
            summary = store.publish(con, period, actor="airflow")
            outcome = {"period": period.key, "version": summary.version, "already_published": False}
    if outcome["already_published"] and current_snapshot_has(wh, period.key, outcome["version"]):
        return {**outcome, "published": False}
    snap = wh.publish(reason=f"evaluation {period.key} v{outcome['version']}")
    return _jsonable({**outcome, "published": True, "snapshot": snap.snapshot_id})


def current_snapshot_has(wh: Any, period: str, version: int) -> bool:
    from warehouse.store import NothingPublished

    try:
        with wh.reader() as con:
            row = con.execute(
                "SELECT count(*) FROM marts.scorecard WHERE period = ? AND version = ? AND status = 'published'",
                [period, version],
            ).fetchone()
    except NothingPublished:
        return False
    return bool(row and row[0])


@logged
def render_monthly_report(period: str) -> dict[str, Any]:
    """The Chinese monthly report (PDF) from the published snapshot."""
    from transforms.evaluation.period import parse_period
    from transforms.report.build import build_report

    settings = _settings()
    out = settings.data_dir / "reports" / "monthly" / f"{period}.pdf"
    out.parent.mkdir(parents=True, exist_ok=True)
    return _jsonable(build_report(settings, parse_period(period), out))


@logged
def issue_monthly_report(period: str) -> dict[str, Any]:
    """Archive and e-mail the month's report (SZCG_SMTP_*, SZCG_REPORT_RECIPIENTS), and a 更正版 of any month
    whose scorecard was re-issued since its report went out."""
    from transforms.report.delivery import issue_reports

    return _jsonable(issue_reports(_settings(), period))


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

"""``make demo``: the whole pipeline on a living synthetic city, run through Airflow (``dag.test()``, no scheduler).

The city's history covers the 13 whole months before today's month; every one of them is evaluated and published in
order (so each month has its 环比 and the last its 同比), and the live cases walked through the case service fall in
today's month. Everything lands under ``$SZCG_DATA_DIR`` (default ./var): the synthetic city, the warehouse and its
snapshots, Airflow's SQLite metadata and each run's log, the case service's database, reports. Running it again
changes nothing: inputs already landed are recognised by their hash, the case service is not replayed twice, months
already published stay published; the final check compares the published warehouse's fingerprints, taken once the
history is in, with the previous run's. Only today's data grows: the calls of the 12319 log since the last run.
A failing step stops the demo at once (no retries) with the step, the reason and its log.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import traceback
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from orchestration import airflow_env
from szcg import clock
from szcg.settings import Settings, load_settings

SEED = 1
SCALE = float(os.environ.get("SZCG_DEMO_SCALE", "1"))
HISTORY_MONTHS = 13  # whole months before today's: the latest has a 环比 and a 同比
REPLAY_CASES = 60  # the newest synthetic 监督员 cases, walked through the live case service


def say(message: str) -> None:
    print(message, flush=True)


def history(today: date, months: int = HISTORY_MONTHS) -> tuple[date, list[str]]:
    """The first day of the synthetic history and its months (``YYYY-MM``, oldest first): the ``months`` whole
    months before ``today``'s month, which is left to the live case service."""
    index = today.year * 12 + today.month - 1 - months
    start = date(index // 12, index % 12 + 1, 1)
    periods = [f"{(index + k) // 12:04d}-{(index + k) % 12 + 1:02d}" for k in range(months)]
    return start, periods


def today_in_city() -> date:
    return clock.today()


class StepFailed(RuntimeError):
    """A demo step (one DAG run) failed: which, why, and the log with the whole story."""

    def __init__(self, step: str, reason: str, log: Path) -> None:
        super().__init__(f"{step} failed: {reason} (log: {log})")
        self.step, self.reason, self.log = step, reason, log


@contextmanager
def stage(name: str, log_dir: Path) -> Iterator[None]:
    """A demo step outside Airflow (synthesis, reference data, grids, the case service): any error becomes a
    StepFailed naming it, with the traceback in its own log."""
    try:
        yield
    except StepFailed:
        raise
    except Exception as exc:
        log = log_dir / f"{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}.log"
        log.write_text(traceback.format_exc(), encoding="utf-8")
        raise StepFailed(name, f"{type(exc).__name__}: {exc}", log) from exc


@contextmanager
def output_to(log: Path) -> Iterator[None]:
    """Send everything written to this process's stdout and stderr (Airflow's own log lines, warnings of the
    libraries it loads) to ``log`` for the block: the console keeps the demo's own lines."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    streams = sys.stdout, sys.stderr
    with log.open("a", encoding="utf-8", errors="replace") as out:
        os.dup2(out.fileno(), 1)
        os.dup2(out.fileno(), 2)
        sys.stdout = sys.stderr = out
        try:
            yield
        finally:
            out.flush()
            sys.stdout, sys.stderr = streams
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


_EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*)(?:: (.*))?$")  # "pkg.module.SomeError: message" ending a traceback


def failure_reason(log: Path) -> str:
    """The last exception a task raised, as ``Type: message``, from the run's log."""
    reason = ""
    in_traceback = False
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("Traceback (most recent call last)"):
            in_traceback = True
        elif in_traceback and line and not line[0].isspace():
            match = _EXCEPTION_LINE.match(line)
            if match:
                reason = f"{match.group(1).rsplit('.', 1)[-1]}: {match.group(2) or ''}".rstrip(": ")
            in_traceback = False
    return reason or "no exception in the log"


class Airflow:
    """The embedded Airflow: the repo's dags/ parsed once, DAGs run with ``dag.test()``, each run's output in its
    own log under ``log_dir``; no retries (the first failure stops the demo)."""

    def __init__(self, bag: Any, log_dir: Path) -> None:
        self.bag = bag
        self.log_dir = log_dir
        self.runs = 0
        self.last_run: Any = None

    @classmethod
    def embedded(cls, data_dir: Path, log_dir: Path) -> Airflow:
        """SQLite metadata under ``data_dir/airflow`` (migrated when Airflow's version changed), the writer pool."""
        airflow_env.configure(data_dir)
        os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
        setup_log = log_dir / "00-airflow-setup.log"
        with output_to(setup_log):
            migrated = airflow_env.migrate_once(data_dir)
            airflow_env.ensure_pool()
            from airflow.dag_processing.dagbag import DagBag

            bag = DagBag(dag_folder=str(airflow_env.DAGS_FOLDER), safe_mode=False)
        if bag.import_errors:
            raise StepFailed("parsing dags/", f"DAG import errors in {sorted(bag.import_errors)}", setup_log)
        say(f"airflow: metadata {os.environ['AIRFLOW_HOME']}/airflow.db ({'migrated' if migrated else 'up to date'}),"
            f" pool warehouse_writer (1 slot), {len(bag.dags)} DAGs; run logs in {log_dir}")
        return cls(bag, log_dir)

    def run(self, dag_id: str, conf: dict[str, Any] | None = None, logical_date: datetime | None = None) -> Any:
        started = time.perf_counter()
        dag = self.bag.dags[dag_id]
        for task in dag.tasks:
            task.retries = 0  # a retry would only wait (dag.test polls once a second) and fail the same way
        kwargs: dict[str, Any] = {"run_conf": conf or {}}
        if logical_date is not None:
            kwargs["logical_date"] = logical_date
        self.runs += 1
        label = json.dumps(conf or {}, ensure_ascii=False) if conf else (
            f"logical date {logical_date:%Y-%m-%d}" if logical_date else "")
        log = self.log_dir / f"{self.runs:02d}-{dag_id}.log"
        with output_to(log):
            run = self.last_run = dag.test(**kwargs)
        state = str(getattr(run, "state", "unknown"))
        if not state.endswith("success"):
            failed = [ti.task_id for ti in run.get_task_instances() if str(ti.state).endswith(".failed")
                      or str(ti.state) == "failed"]
            step = f"DAG {dag_id} {label}".strip() + (f", task {', '.join(failed)}" if failed else f" ({state})")
            raise StepFailed(step, failure_reason(log), log)
        say(f"  ✓ {dag_id} {label} ({time.perf_counter() - started:.1f}s)")
        return run

    def xcom(self, run: Any, task_id: str) -> Any:
        ti = next((t for t in run.get_task_instances() if t.task_id == task_id), None)
        if ti is None:
            raise StepFailed(f"DAG {run.dag_id} run {run.run_id}", f"task {task_id} did not run",
                             self.log_dir / f"{self.runs:02d}-{run.dag_id}.log")
        return ti.xcom_pull(task_ids=task_id)


def synthesize(settings: Settings, start: date, months: int) -> Path:
    """The synthetic city whose history starts on ``start`` (generated once; a new month brings a new city)."""
    out = settings.data_dir / "synth" / f"shuozhou-seed{SEED}-from-{start:%Y-%m}"
    if (out / "synth.json").is_file():
        say(f"synthetic city: {out} (already generated)")
        return out
    from synth.city import Options, generate_city

    out.parent.mkdir(parents=True, exist_ok=True)
    summary = generate_city(Options(out, SCALE, months, SEED, False, progress=False, start=start), settings)
    c = summary["counts"]
    say(f"synthetic city (SYNTHETIC data): {out}: {c['grids']} grids, {c['components']} components in"
        f" {c['census_batches']} batches, {c['cases']} cases, {c['hotline_calls']} hotline calls")
    return out


def load_reference(settings: Settings) -> None:
    """The city's configuration (catalogue, areas, departments) into the conformed dimensions (usecases.reference)."""
    from usecases.reference import load_reference_data

    result = load_reference_data(settings).result
    say(f"reference data: {result.subclasses} subclasses, {result.areas} areas, {result.departments} departments"
        " (standards/ → core dimensions)")


def loaded_before(settings: Settings, path: Path, kind: str) -> bool:
    """Whether the published warehouse has a load of exactly this file's content (its batch id is the hash of its
    bytes): a re-run then skips the DAG run, which would only find the same and change nothing."""
    from warehouse.landing import sha256_of
    from warehouse.store import NothingPublished, Warehouse

    sha, _ = sha256_of(path)
    try:
        with Warehouse(settings).reader() as con:
            row = con.execute("SELECT count(*) FROM landing.load WHERE batch_id = ?", [f"{kind}-{sha[:16]}"]
                              ).fetchone()
    except NothingPublished:
        return False
    return bool(row and row[0])


def evaluated_before(settings: Settings, period: str) -> bool:
    """Whether the month's scorecards are published in the current snapshot and its report is written."""
    from warehouse.store import NothingPublished, Warehouse

    if not (settings.data_dir / "reports" / "monthly" / f"{period}.pdf").is_file():
        return False
    try:
        with Warehouse(settings).reader() as con:
            row = con.execute("SELECT count(*) FROM marts.scorecard WHERE period = ? AND status = 'published'",
                              [period]).fetchone()
    except NothingPublished:
        return False
    return bool(row and row[0])


def grids_valid_from(city: Path) -> date:
    """The synthetic city's grid map takes effect before its first census batch."""
    meta = json.loads((city / "synth.json").read_text(encoding="utf-8"))
    return date.fromisoformat(meta["period"][0]) - timedelta(days=400)


def load_grids(settings: Settings, city: Path) -> None:
    """The synthetic city's grid map (usecases.grids; the grid_map_update DAG runs the same job)."""
    from usecases.grids import load_grid_map

    result = load_grid_map(settings, city / "geography" / "grids.gpkg", grids_valid_from(city))
    verb = "already loaded" if result.already_loaded else f"{result.rows_loaded} loaded"
    say(f"grids: {result.rows_in} grids ({verb}), {result.communities_added} communities added")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def case_service(settings: Settings) -> Iterator[str]:
    """The case service on loopback (uvicorn, a free port), for as long as the block runs."""
    import httpx

    from szcg.cli import main as szcg

    with open(os.devnull, "w") as quiet:
        sys.stdout, saved = quiet, sys.stdout
        try:
            szcg(["casework", "seed-demo-users"])  # skips users that exist
        finally:
            sys.stdout = saved
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = settings.data_dir / "casework" / "service.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "szcg.cli", "serve", "casework", "--host", "127.0.0.1", "--port", str(port),
             "--log-level", "warning"], stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"case service did not start; see {log}")
            time.sleep(0.3)
        say(f"case service: {url} (pid {proc.pid}, database {settings.casework_db_url}, log {log})")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def case_service_up(settings: Settings) -> str:
    """The case service on loopback, left running after the demo (as the portal): its live cases stay reachable,
    and `szcg airflow up` hands its URL to the casework_sync DAG. A re-run finds it running."""
    from casework.cli import case_service_up as start
    from casework.cli import seed_demo_users

    seed_demo_users(settings)  # skips users that exist
    url, pid, started = start(settings)
    say(f"case service: {url} ({'started' if started else 'already running'}, pid {pid}, database"
        f" {settings.casework_db_url}; it keeps running after the demo, `szcg casework down` stops it)")
    return url


def portal_up(settings: Settings) -> None:
    """The web portal beside the case service, on the same case database; left running after the demo."""
    from casework.cli import DEMO_PASSWORD
    from portal import local

    portal = local.local_portal(settings)
    try:
        pid, started = local.start(settings, portal)
    except local.PortalError as exc:  # the portal is for people: the demo's data does not depend on it
        say(f"web portal not started: {exc}")
        return
    say(f"web portal: {portal.url} ({'started' if started else 'already running'}, pid {pid}; it keeps running "
        f"after the demo, `szcg portal down` stops it). Demo accounts, password {DEMO_PASSWORD!r}:")
    for username, who in local.demo_accounts(settings):
        say(f"  {username:<22} {who}")


# A synthetic step → the case service's actions for it (approvals are asked for, then granted).
SERVICE_ACTIONS: dict[str, tuple[str, ...]] = {
    "accept": ("accept",),
    "register": ("register",),
    "dispatch": ("dispatch",),
    "handle": ("handle",),
    "feedback": ("feedback",),
    "check": ("check",),
    "rework": ("rework",),
    "close": ("close",),
    "return": ("request_return", "approve_return"),
    "extend": ("request_extension", "approve_extension"),
    "shelve": ("request_shelve", "approve_shelve"),
    "void": ("request_void", "approve_void"),
}
ACTION_ROLE = {
    "accept": "operator",
    "register": "shift_leader",
    "close": "shift_leader",
    "approve_return": "shift_leader",
    "approve_extension": "shift_leader",
    "approve_shelve": "shift_leader",
    "approve_void": "shift_leader",
    "dispatch": "dispatcher",
    "request_void": "dispatcher",
    "handle": "department",
    "feedback": "department",
    "request_return": "department",
    "request_extension": "department",
    "request_shelve": "department",
    "check": "supervisor",
    "rework": "supervisor",
}


# Before 立案 a case is not voided but rejected, by the role that holds it in that state.
REJECT_ROLE = {"reported": "operator", "verifying": "supervisor", "accepted": "shift_leader"}


def replay(url: str, city: Path) -> None:
    """Walk the newest synthetic 监督员 cases through the live service, step by step, as the people whose role
    each step needs (once: skipped when the service already has events). The service stamps its own clock, so
    these cases are "today's"; the history comes from the Parquet import."""
    import httpx

    from casework.cli import DEMO_PASSWORD
    from synth.replay import iter_case_actions

    tokens: dict[str, str] = {}

    def headers(user: str) -> dict[str, str]:
        if user not in tokens:
            r = httpx.post(f"{url}/auth/token", json={"username": user, "password": DEMO_PASSWORD}, timeout=30)
            r.raise_for_status()
            tokens[user] = str(r.json()["access_token"])
        return {"Authorization": f"Bearer {tokens[user]}"}

    feed = httpx.get(f"{url}/events", params={"after": 0, "limit": 1}, timeout=30, headers=headers("evaluator"))
    feed.raise_for_status()
    if feed.json()["events"]:
        say("  case activity already replayed into the case service: nothing replayed")
        return
    by_case: dict[str, list[Any]] = {}
    for action in iter_case_actions(city):
        by_case.setdefault(action.case_id, []).append(action)
    chosen = [
        actions
        for actions in by_case.values()
        if actions[0].action == "report"
        and actions[0].payload.get("source") == "supervisor"
        and actions[0].payload.get("district_code")
        and actions[-1].action in ("close", "void")  # a finished history: the whole loop gets replayed
    ][-REPLAY_CASES:]
    steps, refused = 0, dict[str, int]()
    for actions in chosen:
        p = actions[0].payload
        district = p["district_code"]
        body = {k: p.get(k) for k in ("kind", "subclass_code", "lat", "lon", "grid_code", "district_code")}
        r = httpx.post(
            f"{url}/cases",
            json={**body, "description": p.get("description") or ""},
            headers=headers(f"supervisor-{district}"),
            timeout=30,
        )
        if r.status_code != 201:
            refused[f"report {r.status_code}"] = refused.get(f"report {r.status_code}", 0) + 1
            continue
        case = r.json()["case"]
        steps += 1
        for synthetic in actions[1:]:
            wanted = SERVICE_ACTIONS.get(synthetic.action, ())
            # The service separates 开始处置 (handle) from 反馈 (feedback) and asks for a running 处置 before an
            # extension, shelving or return; the synthetic history does not always record that step.
            if synthetic.action == "handle" and case["status"] == "handling":
                wanted = ()
            elif synthetic.action in ("extend", "shelve", "return") and case["status"] == "dispatched":
                wanted = ("handle", *wanted)
            elif synthetic.action == "void" and case["status"] in REJECT_ROLE:
                wanted = ("reject",)  # voided before 立案 = not registered (不予立案), by whoever holds the case
            for service_action in wanted:
                role = REJECT_ROLE[case["status"]] if service_action == "reject" else ACTION_ROLE[service_action]
                user = {
                    "operator": "operator",
                    "shift_leader": "leader",
                    "dispatcher": f"dispatcher-{district}",
                    "department": f"dept-{case['department_code']}",
                    "supervisor": case.get("supervisor") or f"supervisor-{district}",
                }[role]
                transition: dict[str, Any] = {"action": service_action, "expected_version": case["version"]}
                if service_action == "dispatch" and synthetic.department_code:
                    transition["department_code"] = synthetic.department_code
                if service_action in ("request_extension", "approve_extension"):
                    transition["hours"] = 24
                r = httpx.post(
                    f"{url}/cases/{case['id']}/transitions", json=transition, headers=headers(user), timeout=30
                )
                if r.status_code != 200:
                    key = f"{service_action} {r.status_code}"
                    refused[key] = refused.get(key, 0) + 1
                    break
                case = r.json()["case"]
                steps += 1
            else:
                continue
            break  # a refused step ends this case's replay
    say(
        f"  replayed {len(chosen)} cases ({steps} actions) through the case service API"
        + (f"; refused: {refused}" if refused else "")
    )


def todays_hotline_log(settings: Settings, city: Path) -> Path | None:
    """The living city's 12319 log: the calls since the previous log (or since the month began) up to now, so the
    newest call is minutes old when the demo ends, as the nightly late-data check expects of a daily log."""
    from standards.city import load_city
    from synth.hotline_live import write_live_log
    from synth.params import load_params

    meta = json.loads((city / "synth.json").read_text(encoding="utf-8"))
    now = clock.now().replace(microsecond=0)
    return write_live_log(city, now, load_params(meta["city"]), load_city(settings).admin_code, int(meta["seed"]))


def published_fingerprint(settings: Settings) -> dict[str, list[Any]]:
    from warehouse.fingerprint import database_fingerprint
    from warehouse.store import Warehouse

    with Warehouse(settings).reader() as con:
        return {t: [n, fp] for t, (n, fp) in database_fingerprint(con).items()}


def main() -> int:
    started = time.perf_counter()
    os.environ.setdefault("SZCG_DEMO", "1")  # a synthetic city: runs without production secrets (SZCG_HASH_KEY)
    # Third-party deprecation notices are for this project's developers (tests show them), not for the demo's user.
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=PendingDeprecationWarning)
    settings = load_settings()
    data_dir = settings.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    log_dir = data_dir / "demo" / "logs"
    shutil.rmtree(log_dir, ignore_errors=True)
    log_dir.mkdir(parents=True)
    start, periods = history(today_in_city())
    say(f"szcg demo — everything under {data_dir}; the city's history: {periods[0]} … {periods[-1]}"
        f" ({len(periods)} whole months), live cases: today's month")
    try:
        with stage("embedded Airflow", log_dir):
            af = Airflow.embedded(data_dir, log_dir)
        history_prints = run_demo(settings, af, start, periods)
    except StepFailed as exc:
        say(f"demo stopped after {time.perf_counter() - started:.0f}s: {exc.step} failed.")
        say(f"  reason: {exc.reason}")
        say(f"  log:    {exc.log}")
        return 1
    return finish(settings, started, history_prints)


def run_demo(settings: Settings, af: Airflow, start: date, periods: list[str]) -> dict[str, list[Any]]:
    """Every step of the demo; returns the published tables' fingerprints once the history is in (before today's
    live data), which a re-run must reproduce."""
    with stage("synthetic city", af.log_dir):
        city = synthesize(settings, start, len(periods))
    with stage("reference data", af.log_dir):
        load_reference(settings)
    with stage("grids", af.log_dir):
        load_grids(settings, city)

    say("census batches (DAG census_ingest, one run per batch):")
    batches = (city / "census" / "batches.csv").read_text(encoding="utf-8").splitlines()[1:]
    for line in batches:
        file, district = line.split(",")[:2]
        if loaded_before(settings, city / file, "census"):
            say(f"  = census_ingest {file}: loaded before (same content), no run")
            continue
        af.run("census_ingest", {"path": str(city / file), "district": district, "mapping": ""})

    say("case history (DAG legacy_case_import, the synthetic city's Parquet export):")
    af.run("legacy_case_import", {"path": str(city / "cases"), "mapping": ""})

    say("live cases, today (case service API → DAG casework_sync):")
    with stage("live cases through the case service", af.log_dir):
        url = case_service_up(settings)
        replay(url, city)
        from casework.cli import DEMO_PASSWORD

        os.environ.update(SZCG_CASEWORK_URL=url, SZCG_CASEWORK_USER="evaluator", SZCG_CASEWORK_PASSWORD=DEMO_PASSWORD)
    af.run("casework_sync")
    portal_up(settings)

    say("hotline logs (DAG hotline_ingest, one run per file):")
    for log in sorted((city / "hotline" / "gbk").glob("*.csv")):
        if loaded_before(settings, log, "hotline"):
            say(f"  = hotline_ingest {log.name}: loaded before (same content), no run")
            continue
        af.run("hotline_ingest", {"path": str(log)})

    say(f"evaluation (DAG monthly_evaluation, one run per month in order, {periods[0]} … {periods[-1]}):")
    for period in periods:
        if evaluated_before(settings, period):
            say(f"  = monthly_evaluation {period}: published before (report written), no run")
            continue
        # A manual run naming its month (the DAG's start date may be later than the city's first month).
        run = af.run("monthly_evaluation", {"period": period})
        published = af.xcom(run, "publish") or {}
        say(f"    scorecards {period} version {published.get('version')}"
            f" ({'already published, unchanged' if published.get('already_published') else 'published now'})")

    # Everything above is the city's history: a re-run must leave it as it was. What follows is today's.
    history_prints = published_fingerprint(settings)
    say("today's hotline log (DAG hotline_ingest: the 12319 system's calls since its last log, up to now):")
    live = todays_hotline_log(settings, city)
    if live is None:
        say("  = no call since the last log: no run")
    else:
        af.run("hotline_ingest", {"path": str(live)})

    say("warehouse quality (DAG warehouse_quality, as of now: what a manual trigger in the Airflow UI judges):")
    try:
        af.run("warehouse_quality")
    except StepFailed as exc:
        say(f"  quality problems found (see reports/quality/): {exc.reason} (log: {exc.log})")
    return history_prints


def finish(settings: Settings, started: float, prints: dict[str, list[Any]]) -> int:
    """Compare the history's fingerprints with the previous run's (today's live data may grow between runs), then
    say where everything is."""
    from warehouse.store import Warehouse

    wh = Warehouse(settings)
    current = next((s for s in wh.snapshots() if s.current), None)
    state = settings.data_dir / "demo" / "history-fingerprint.json"
    state.parent.mkdir(parents=True, exist_ok=True)
    verdict = 0
    if state.is_file():
        before = json.loads(state.read_text(encoding="utf-8"))
        changed = sorted(t for t in set(before) | set(prints) if before.get(t) != prints.get(t))
        if changed:
            say(f"NOT idempotent: this re-run changed {len(changed)} tables of the history: {', '.join(changed)}")
            verdict = 1
        else:
            say(f"idempotent: this re-run left the history's {len(prints)} published tables identical (fingerprints);"
                " only today's live data may have grown")
    state.write_text(json.dumps(prints, indent=1, sort_keys=True), encoding="utf-8")
    rows = sum(n for n, _ in published_fingerprint(settings).values())
    d = settings.data_dir
    say("")
    say("where everything is:")
    say(f"  published warehouse  {wh.published_path()}  (snapshot {current.snapshot_id if current else '?'},"
        f" {rows} rows; readers open it read-only)")
    say(f"  work database        {settings.work_db_path}  (the single writer's)")
    say(f"  reports              {d / 'reports'}  (census batch reports, monthly report, quality, run reports)")
    say(f"  Airflow metadata     {d / 'airflow' / 'airflow.db'}  (`AIRFLOW_HOME={d / 'airflow'} airflow dags list`)")
    say(f"  case service data    {settings.casework_db_url}")
    say("dashboards: `make superset-env` once, then `szcg dashboards up` (Superset on loopback; it prints the URL,"
        " user and dashboards); `szcg dashboards down` stops it.")
    say("Airflow UI: `SZCG_DEMO=1 .venv/bin/szcg airflow up` (scheduler and API server on loopback, with the demo's"
        " runs; it prints the URL and login; SZCG_DEMO=1 lets the demo's tasks run without production secrets;"
        " casework_sync reads the case service the demo left running); `.venv/bin/szcg airflow down` stops it.")
    say(f"demo finished in {time.perf_counter() - started:.0f}s")
    return verdict


if __name__ == "__main__":
    sys.exit(main())

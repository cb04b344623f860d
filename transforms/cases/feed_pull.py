"""Incremental, exactly-once pull of the case service's change feed into core.case / core.case_event.

Each page (``GET /events?after=<cursor>&limit=N``) is handled in ONE warehouse transaction: the page's JSON is
landed (kept byte-for-byte, content-addressed), its events are inserted (an event already present is skipped:
its id is the key; one whose (case, version) another event holds is quarantined as duplicate_seq — core has no
key constraint, migration 0050), the cases they touch are rebuilt from all their events, the ledger line is written and
``landing.feed_cursor`` moves to the page's last id. A pull that dies mid-way leaves the warehouse at the end of
the last committed page and the next pull resumes from there; pulling a range again changes nothing.
Free text (comments, the report's description and address, quarantined events) is scrubbed of personal data
(szcg.privacy) before it is stored; the landed page keeps what the service sent.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pandas as pd

from szcg import clock
from szcg.errors import InputRejected, RowProblem
from szcg.privacy import scrub_text
from szcg.vocabulary import TERMINAL_STATES, sql_list
from transforms.cases.areas import resolve_areas
from transforms.cases.model import insert_cases, insert_events
from transforms.cases.scrub import scrub_json
from transforms.cases.vocabulary import load_vocabulary
from warehouse.accounting import LoadCount, record_load, replace_quarantine
from warehouse.store import Warehouse
from warehouse.transaction import transaction

ORIGIN = "casework"
TARGET = "core.case_event"


@dataclass(frozen=True)
class FeedPage:
    events: list[dict[str, Any]]
    next_cursor: int
    has_more: bool


class FeedClient(Protocol):
    def fetch(self, after: int, limit: int) -> FeedPage: ...


class HttpFeedClient:
    """The case service over HTTP; pass ``client`` (an ``httpx.Client``, e.g. with an ASGI transport) or a URL.
    As whom: ``token``, else a login with ``user``/``password`` (``SZCG_CASEWORK_USER``/``_PASSWORD``)."""

    def __init__(self, url: str | None = None, token: str | None = None, *, client: Any = None,
                 timeout_s: float = 60.0, user: str | None = None, password: str | None = None) -> None:
        import httpx

        self._client = client or httpx.Client(base_url=url or "", timeout=timeout_s)
        if not token and user and password:
            token = self._login(user, password)
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}

    def _login(self, user: str, password: str) -> str:
        response = self._client.post("/auth/token", json={"username": user, "password": password})
        if response.status_code != 200:  # the password is never repeated, not even in the error
            raise InputRejected(f"case service refused the login of {user!r}: HTTP {response.status_code}",
                                [RowProblem("POST /auth/token", 0, "user", "login_ok",
                                            f"HTTP {response.status_code}")])
        return str(response.json()["access_token"])

    def fetch(self, after: int, limit: int) -> FeedPage:
        response = self._client.get("/events", params={"after": after, "limit": limit}, headers=self._headers)
        if response.status_code != 200:
            raise InputRejected(
                f"case service answered {response.status_code} to GET /events?after={after}: {response.text[:300]}",
                [RowProblem("GET /events", 0, "status", "http_ok", f"HTTP {response.status_code}")])
        body = response.json()
        return FeedPage(list(body["events"]), int(body["next_cursor"]), bool(body.get("has_more")))


@dataclass
class PullResult:
    feed: str
    cursor_before: int
    cursor_after: int
    pages: int = 0
    events_seen: int = 0
    events_loaded: int = 0
    events_already_present: int = 0
    events_quarantined: int = 0
    cases_touched: int = 0
    batches: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@lru_cache(maxsize=1)
def casework_actions() -> dict[str, dict[str, str]]:
    return {k: v.model_dump(exclude_none=True) for k, v in load_vocabulary().casework_actions.items()}


def read_cursor(con: duckdb.DuckDBPyConnection, feed: str) -> int:
    row = con.execute("SELECT cursor FROM landing.feed_cursor WHERE feed = ?", [feed]).fetchone()
    return int(row[0]) if row else 0


def _cst(value: Any) -> datetime | None:
    """ISO string → naive CST (the service already sends naive CST; an offset is converted)."""
    if value in (None, ""):
        return None
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_convert(clock.CST).tz_localize(None)
    return ts.to_pydatetime()


def events_frame(events: list[dict[str, Any]], batch_id: str) -> pd.DataFrame:
    vocab = casework_actions()
    rows = []
    for n, e in enumerate(events, start=1):
        mapped = vocab.get(str(e.get("action")), {})
        rows.append({
            "row_number": n,
            "case_id": f"{ORIGIN}:{e['case_id']}" if e.get("case_id") is not None else None,
            "seq": int(e.get("case_version") or 0),
            "event_id": str(e.get("id")),
            "action": mapped.get("action"),
            "origin_action": e.get("action"),
            "outcome": mapped.get("outcome"),
            "from_state": e.get("from_state"),
            "to_state": e.get("to_state"),
            "occurred_at": _cst(e.get("at")),
            "actor_id": e.get("actor"),
            "actor_role": e.get("role"),
            "department_code": e.get("department_code"),
            "district_code": e.get("district_code"),
            # an approved 延期 completes no step: the deadline it set (the one the 处置 clock now runs to) is its
            # next_deadline_at, recorded as the extension's deadline_at for the evaluation to judge open cases by
            "deadline_at": _cst(e.get("deadline_at") if e.get("action") != "approve_extension"
                                else e.get("next_deadline_at")),
            "deadline_met": e.get("met"),
            "overdue_multiple": e.get("overdue_multiple"),
            "limit_hours": e.get("limit_hours"),
            "limit_basis": e.get("limit_basis"),
            "handbook_version": (e.get("data") or {}).get("handbook_version"),
            "comment": scrub_text(e["comment"]) if e.get("comment") else None,
            "step": e.get("step"),
            "origin_system": ORIGIN,
            "batch_id": batch_id,
        })
    return pd.DataFrame(rows)


def _land_page(wh: Warehouse, con: duckdb.DuckDBPyConnection, feed: str, after: int, page: FeedPage) -> Any:
    """Keep the page as the service sent it (canonical JSON: the same range gives the same file and batch)."""
    body = json.dumps({"feed": feed, "after": after, "events": page.events, "next_cursor": page.next_cursor},
                      ensure_ascii=False, sort_keys=True, indent=0)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{feed}-after-{after:012d}.json"
        path.write_text(body, encoding="utf-8")
        return wh.land(con, path, "casework_feed")


def rebuild_cases(con: duckdb.DuckDBPyConnection, case_ids: list[str]) -> int:
    """Recompute the touched cases from all their events (the case is a projection of its event log)."""
    if not case_ids:
        return 0
    touched = pd.DataFrame({"case_id": case_ids})  # noqa: F841 — read by DuckDB's replacement scan
    con.execute('DELETE FROM core."case" WHERE case_id IN (SELECT case_id FROM touched)')
    cases = con.execute(
        f"""
        WITH e AS (SELECT e.* FROM core.case_event e JOIN touched USING (case_id)),
        ev AS (SELECT e.*, x.kind, x.subclass_code, x.edition, x.source, x.grid_code AS x_grid, x.data
               FROM e LEFT JOIN staging.casework_event_extra x USING (event_id))
        SELECT case_id,
               'casework' AS origin_system,
               split_part(case_id, ':', 2) AS origin_case_id,
               arg_max(edition, seq) FILTER (WHERE edition IS NOT NULL) AS edition,
               arg_max(kind, seq) FILTER (WHERE kind IS NOT NULL) AS kind,
               arg_max(subclass_code, seq) FILTER (WHERE subclass_code IS NOT NULL) AS subclass_code,
               coalesce(arg_max(source, seq) FILTER (WHERE source IS NOT NULL), 'other') AS source,
               min(occurred_at) FILTER (WHERE action = 'report') AS report_at,
               min(occurred_at) AS first_at,
               arg_min(actor_id, seq) FILTER (WHERE action = 'report') AS reporter_id,
               arg_max(x_grid, seq) FILTER (WHERE x_grid IS NOT NULL) AS grid_code,
               arg_max(district_code, seq) FILTER (WHERE district_code IS NOT NULL) AS district_code,
               arg_max(department_code, seq) AS department_code,
               arg_max(to_state, seq) AS status,
               max(occurred_at) FILTER (WHERE to_state IN {sql_list(TERMINAL_STATES)}) AS closed_at,
               arg_max(batch_id, seq) AS batch_id,
               arg_min(data, seq) FILTER (WHERE action = 'report') AS report_data
        FROM ev GROUP BY case_id ORDER BY case_id
        """
    ).df()
    if cases.empty:
        return 0
    cases["reported_at"] = cases["report_at"].fillna(cases["first_at"])
    cases["flags"] = [[] if pd.notna(r) else ["report_event_missing"] for r in cases["report_at"]]
    data = [json.loads(d) if isinstance(d, str) else (d or {}) for d in cases["report_data"]]
    for key in ("description", "address", "lon", "lat"):
        cases[key] = [d.get(key) for d in data]
    cases["lon"] = pd.to_numeric(cases["lon"], errors="coerce")
    cases["lat"] = pd.to_numeric(cases["lat"], errors="coerce")
    cases["closed_at"] = cases["closed_at"].where(cases["closed_at"].notna(), None)
    district = cases["district_code"]
    cases, unmatched = resolve_areas(con, cases)
    cases["district_code"] = cases["district_code"].where(cases["district_code"].notna(), district)
    cases["flags"] = [sorted([*f, "no_grid_match"]) if u else f for f, u in zip(cases["flags"], unmatched, strict=True)]
    insert_cases(con, cases)
    return len(cases)


def pull_feed(wh: Warehouse, client: FeedClient, feed: str = "casework", page_size: int = 1000, *,
              from_cursor: int | None = None, max_pages: int | None = None,
              on_page: Callable[[int, FeedPage], None] | None = None) -> PullResult:
    """Pull every event after the stored cursor (or ``from_cursor``), one committed transaction per page."""
    from quality.cases import event_suite
    from quality.gx import SuiteRunner

    suite = SuiteRunner("casework_event", event_suite())
    with wh.writer(spatial=True) as con:
        start = read_cursor(con, feed) if from_cursor is None else from_cursor
        result = PullResult(feed, start, start)
        after = start
        while max_pages is None or result.pages < max_pages:
            page = client.fetch(after, page_size)
            if not page.events:
                break
            with transaction(con):
                landed = _land_page(wh, con, feed, after, page)
                frame = events_frame(page.events, landed.batch_id)
                problems = suite.run(frame, landed.original_name)
                bad = {p.row_number for p in problems}
                good = frame[~frame["row_number"].isin(bad)]
                present = con.execute(
                    "SELECT event_id FROM core.case_event WHERE origin_system = ? AND event_id IN"
                    " (SELECT event_id FROM good)", [ORIGIN]).fetchall()
                new = good[~good["event_id"].isin({str(r[0]) for r in present})]
                already = len(good) - len(new)
                clashes = _seq_clashes(con, new, landed.original_name)
                if clashes:
                    problems += clashes
                    bad |= {p.row_number for p in clashes}
                    new = new[~new["row_number"].isin(bad)]
                _stage_extra(con, page.events, new)
                insert_events(con, new)
                touched = sorted(set(new["case_id"]))
                result.cases_touched += rebuild_cases(con, touched)
                raw = {n: scrub_json(e) for n, e in enumerate(page.events, start=1) if n in bad}
                quarantined = replace_quarantine(con, landed.batch_id, TARGET, problems, raw)
                record_load(con, LoadCount(landed.batch_id, TARGET, len(frame), len(frame) - quarantined,
                                           quarantined),
                            {"feed": feed, "after": after, "last": page.next_cursor})
                con.execute("INSERT OR REPLACE INTO landing.feed_page VALUES (?, ?, ?, ?, ?)",
                            [feed, str(after), str(page.next_cursor), len(frame), landed.batch_id])
                _move_cursor(con, feed, max(page.next_cursor, read_cursor(con, feed)))
            result.pages += 1
            result.events_seen += len(frame)
            result.events_loaded += len(new)
            result.events_already_present += already
            result.events_quarantined += quarantined
            result.batches.append(landed.batch_id)
            after = page.next_cursor
            result.cursor_after = after
            if on_page is not None:
                on_page(result.pages, page)
            if not page.has_more:
                break
    return result


def _seq_clashes(con: duckdb.DuckDBPyConnection, new: pd.DataFrame, file_name: str) -> list[RowProblem]:
    """A new event whose (case, version) another event already holds — in core or earlier in the page — would be
    a second event at the same place in the case's log (core.case_event has no key: migration 0050): quarantined."""
    if new.empty:
        return []
    keys = new[["row_number", "case_id", "seq"]]  # noqa: F841 — read by DuckDB's replacement scan
    held = con.execute("SELECT k.row_number, e.event_id FROM keys k JOIN core.case_event e"
                       " ON e.case_id = k.case_id AND e.seq = k.seq").fetchall()
    problems = [RowProblem(file_name, int(n), "case_version", "duplicate_seq",
                           f"version already held by event {other} of the same case") for n, other in held]
    again = new["row_number"][new.duplicated(["case_id", "seq"], keep="first")]
    problems += [RowProblem(file_name, int(n), "case_version", "duplicate_seq",
                            "version given to an earlier event of this page") for n in again]
    return problems


def _move_cursor(con: duckdb.DuckDBPyConnection, feed: str, cursor: int) -> None:
    row = con.execute("SELECT cursor FROM landing.feed_cursor WHERE feed = ?", [feed]).fetchone()
    if row is not None and int(row[0]) == cursor:
        return  # unchanged: keep updated_at, so a re-pull leaves the warehouse identical
    con.execute("INSERT OR REPLACE INTO landing.feed_cursor VALUES (?, ?, ?)",
                [feed, str(cursor), clock.now().replace(microsecond=0)])


def _stage_extra(con: duckdb.DuckDBPyConnection, events: list[dict[str, Any]], new: pd.DataFrame) -> None:
    if new.empty:
        return
    ids = set(new["event_id"])
    extra = pd.DataFrame([  # noqa: F841 — read by DuckDB's replacement scan
        {"event_id": str(e["id"]), "kind": e.get("kind"), "subclass_code": e.get("subclass_code"),
         "edition": e.get("edition"), "source": e.get("source"), "grid_code": e.get("grid_code"),
         "data": json.dumps(scrub_json(e.get("data") or {}), ensure_ascii=False, sort_keys=True)}
        for e in events if str(e.get("id")) in ids
    ])
    con.execute("INSERT OR REPLACE INTO staging.casework_event_extra SELECT event_id, kind, subclass_code, edition,"
                " source, grid_code, CAST(data AS JSON) FROM extra")

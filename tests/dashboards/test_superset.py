"""A real Superset on loopback over a demo warehouse, looked at through Debian's Chromium (marker ``superset``).

One Superset for the session (start ~40-90 s). Screenshots go to tests/artifacts/dashboards/.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from dashboards.authoring import DASHBOARDS, DISTRICT_DATASETS, uid
from dashboards.client import SupersetClient
from dashboards.deploy import import_assets
from dashboards.site import SupersetSite
from szcg.settings import Settings
from tests.dashboards.conftest import ARTIFACTS
from tests.dashboards.smtp_sink import SmtpSink
from warehouse.store import Warehouse

pytestmark = pytest.mark.superset
QUERY_BUDGET_S = 1.0


def _admin(site: SupersetSite) -> SupersetClient:
    return SupersetClient(site.url, site.admin_user, site.admin_password)


def _dataset_id(client: SupersetClient, key: str) -> int:
    rows = client.list_all("dataset", ["id", "uuid"])
    return next(int(r["id"]) for r in rows if r["uuid"] == uid("dataset", key))


def _query(client: SupersetClient, dataset_id: int, columns: list[str], metrics: list[str | dict[str, str]],
           filters: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    payload = {"datasource": {"id": dataset_id, "type": "table"}, "force": True, "result_format": "json",
               "result_type": "full",
               "queries": [{"columns": columns, "metrics": metrics, "filters": filters or [], "row_limit": 1000,
                            "orderby": [[columns[0], True]] if columns else []}]}
    answer, _ = client.chart_data(payload)
    return list(answer["result"][0]["data"])


def test_every_dashboard_renders_data_and_every_chart_answers_within_a_second(
        superset_env: tuple[Settings, SupersetSite]) -> None:
    from dashboards.screenshot import browser_page, open_dashboard

    _, site = superset_env
    problems: list[str] = []
    timings: dict[str, list[float]] = {}
    views = []
    with browser_page(site.url, site.admin_user, site.admin_password) as page:
        for meta in DASHBOARDS.values():
            slug = str(meta["slug"])
            view = open_dashboard(page, site.url, slug, screenshot=ARTIFACTS / f"{slug}.png")
            views.append(view)
            problems += view.problems
            assert meta["title"] in view.title
            assert view.charts >= 7 and len(view.queries) >= view.charts, slug
    # Each chart's query again, one at a time through the chart data API (the browser ran them all at once).
    with _admin(site) as client:
        for view in views:
            for q in view.queries:
                status, best = client.replay(q.url, q.post_data, q.content_type)
                for _ in range(2):  # a shared 2-core machine: retry a slow answer before calling it slow
                    if best <= QUERY_BUDGET_S:
                        break
                    best = min(best, client.replay(q.url, q.post_data, q.content_type)[1])
                assert status == 200, q.url
                timings.setdefault(view.slug, []).append(round(best, 3))
    (ARTIFACTS / "chart_timings.json").write_text(json.dumps(timings, indent=1), encoding="utf-8")
    assert not problems, "\n".join(problems)
    slow = {slug: max(t) for slug, t in timings.items() if max(t) > QUERY_BUDGET_S}
    assert not slow, f"charts slower than {QUERY_BUDGET_S} s: {slow}"


def test_every_saved_chart_answers_the_chart_data_api_with_its_rows(
        superset_env: tuple[Settings, SupersetSite]) -> None:
    """GET /api/v1/chart/<id>/data/ runs the chart's saved query_context (what reports, alerts and API users call):
    every imported chart answers 200, from its own dataset, with the rows a query of its columns gives."""
    _, site = superset_env
    problems = []
    with _admin(site) as client:
        datasets = {int(d["id"]): d["uuid"] for d in client.list_all("dataset", ["id", "uuid"])}
        charts = client.list_all("chart", ["id", "uuid", "slice_name", "datasource_id"])
        assert len(charts) == 37
        answered = 0
        for chart in charts:
            response = client.http.get(f"/api/v1/chart/{chart['id']}/data/")
            if response.status_code != 200:
                problems.append(f"{chart['slice_name']}: HTTP {response.status_code} {response.text[:200]}")
                continue
            (result,) = response.json()["result"][:1]
            assert datasets[int(chart["datasource_id"])], chart["slice_name"]
            answered += bool(result["rowcount"])
    assert not problems, "\n".join(problems)
    assert answered >= 30, "nearly every chart of the demo has rows"


def test_reimporting_the_assets_changes_nothing(superset_env: tuple[Settings, SupersetSite]) -> None:
    _, site = superset_env

    def state() -> dict[str, Any]:
        with _admin(site) as client:
            charts = client.list_all("chart", ["id", "uuid", "slice_name", "params"])
            boards = [client.get(f"/api/v1/dashboard/{d['id']}")["result"]
                      for d in client.list_all("dashboard", ["id"])]
            datasets = client.list_all("dataset", ["id", "uuid"])
            rls = client.list_all("rowlevelsecurity", ["id", "name", "clause"])
        return {"charts": sorted((c["id"], c["uuid"], c["slice_name"], c["params"]) for c in charts),
                "datasets": sorted((d["id"], d["uuid"]) for d in datasets),
                "dashboards": sorted((b["id"], b["position_json"], b["json_metadata"]) for b in boards),
                "rls": sorted((r["id"], r["name"], r["clause"]) for r in rls)}

    import_assets(site)  # opening a dashboard lets Superset record label colours; start from a fresh import
    before = state()
    import_assets(site)
    after = state()
    assert len(before["charts"]) == 37 and len(before["dashboards"]) == 4
    assert after == before


def _open_files_of_superset(site: SupersetSite) -> set[str]:
    """Every file the gunicorn master and its workers hold open (Linux /proc)."""
    master = int(site.pid_file.read_text().strip())
    pids = {master}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            pids.add(int(stat.parent.name))
    files = set()
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").glob("*"):
            try:
                files.add(os.readlink(fd))
            except OSError:
                continue
    return files


def test_after_a_publish_the_charts_show_the_new_snapshot_without_a_restart(
        superset_env: tuple[Settings, SupersetSite]) -> None:
    settings, site = superset_env
    wh = Warehouse(settings)
    with _admin(site) as client:
        dataset = _dataset_id(client, "case")
        summary = _dataset_id(client, "case_month")  # what the cockpit reads: rebuilt by the publish
        before = _query(client, dataset, ["district_name"], ["case_count"])
        summary_before = _query(client, summary, ["district_name"], ["case_count"])
        old_snapshot = site.published_db.resolve()
        with wh.writer() as con:
            con.execute("""
                INSERT INTO core."case" (case_id, origin_system, origin_case_id, source, reported_at, district_code,
                                         status, batch_id)
                SELECT 'late:' || i, 'late', 'L' || i, 'public', TIMESTAMP '2026-10-30 10:00:00', '140623',
                       'reported', 'late-batch' FROM range(500) t(i)""")
        published = wh.publish(reason="500 more cases in 右玉县", audits=[])
        after = _query(client, dataset, ["district_name"], ["case_count"])
        summary_after = _query(client, summary, ["district_name"], ["case_count"])
    for rows_before, rows_after in ((before, after), (summary_before, summary_after)):
        old = {r["district_name"]: r["上报数"] if "上报数" in r else r["case_count"] for r in rows_before}
        new = {r["district_name"]: r["上报数"] if "上报数" in r else r["case_count"] for r in rows_after}
        assert new["右玉县"] == old["右玉县"] + 500
        assert {k: v for k, v in new.items() if k != "右玉县"} == {k: v for k, v in old.items() if k != "右玉县"}
    # No pooled connection pins the old snapshot: Superset holds neither file open between queries.
    assert published.current and site.published_db.resolve() == published.db_path.resolve()
    held = {f for f in _open_files_of_superset(site) if f.endswith("warehouse.duckdb")}
    assert str(old_snapshot) not in held, held


def test_a_district_user_sees_only_their_district(superset_env: tuple[Settings, SupersetSite]) -> None:
    from dashboards.security import ensure_user

    settings, site = superset_env
    with _admin(site) as admin:
        ensure_user(admin, "huairen", "huairen-pass-1", ["Gamma", "区县用户-怀仁市-140681"])
        all_districts = {r["district_name"] for r in _query(admin, _dataset_id(admin, "case"), ["district_name"],
                                                            ["case_count"])}
    assert len(all_districts) == 6
    with SupersetClient(site.url, "huairen", "huairen-pass-1") as user:
        for key in DISTRICT_DATASETS:
            count = {"expressionType": "SQL", "sqlExpression": "COUNT(*)", "label": "n"}
            seen = {r["district_name"] for r in _query(user, _dataset_id(user, key), ["district_name"], [count])}
            assert seen == {"怀仁市"}, (key, seen)
        # 部件普查's batch table: only the census files loaded for 怀仁市, every one of them.
        batches = {r["batch_id"] for r in _query(user, _dataset_id(user, "batch"), ["batch_id"], [count])}
        boards = {d["dashboard_title"] for d in user.list_all("dashboard", ["dashboard_title"])}
    with Warehouse(settings).reader() as con:
        expected = {r[0] for r in con.execute(
            "SELECT batch_id FROM landing.load WHERE target = 'core.component'"
            " AND json_extract_string(detail, '$.district_code') = '140681'").fetchall()}
        all_batches = con.execute("SELECT count(*) FROM landing.load WHERE target = 'core.component'").fetchall()
    assert all_batches[0][0] > len(expected)  # other districts' batches exist, and are hidden
    assert batches == expected and expected
    assert boards == {"领导驾驶舱", "综合评价", "部件普查", "热线"}


def test_clicking_a_score_drills_down_to_exactly_the_cases_behind_it(
        superset_env: tuple[Settings, SupersetSite]) -> None:
    """综合评价: a click on a unit in a ranking cross-filters 得分依据案件 to the cases that score counted."""
    from dashboards.screenshot import browser_page, open_dashboard

    settings, site = superset_env
    with _admin(site) as client:
        charts = {c["uuid"]: int(c["id"]) for c in client.list_all("chart", ["id", "uuid"])}
    drill_chart = charts[uid("chart", "score_cases")]

    filtered_charts: list[int] = []  # every chart that queried with the clicked unit as a filter

    def filtered_by_unit(response: Any) -> int | None:
        if "/api/v1/chart/data" not in response.url or response.request.method != "POST":
            return None
        payload = response.request.post_data_json or {}
        filters = [f["col"] for q in payload.get("queries", []) for f in q.get("filters", [])]
        return payload.get("form_data", {}).get("slice_id") if "entity_name" in filters else None

    def is_drill_query(response: Any) -> bool:
        return filtered_by_unit(response) == drill_chart

    def record(response: Any) -> None:
        if (chart := filtered_by_unit(response)) is not None:
            filtered_charts.append(int(chart))

    with browser_page(site.url, site.admin_user, site.admin_password) as page:
        open_dashboard(page, site.url, "evaluation")
        ranking = page.locator(".dashboard-component-chart-holder").filter(has_text="街道综合评价排名")
        cell = ranking.locator("tbody tr").first.locator("td").nth(1)  # columns: 区县, 评价单位, 等级, …
        street = cell.inner_text().strip()
        page.on("response", record)
        with page.expect_response(is_drill_query, timeout=60_000) as answer:
            cell.click()
        response = answer.value
        assert response.status == 200
        payload = response.request.post_data_json
        body = response.json()
        page.wait_for_timeout(3000)
        page.screenshot(path=str(ARTIFACTS / "evaluation-drill-down.png"), full_page=True)
    assert filtered_charts == [drill_chart]  # the rankings keep showing every unit
    filters = {f["col"]: f["val"] for f in payload["queries"][0]["filters"]}
    assert filters["entity_name"] == [street]
    (period,) = filters["period_month"]
    result = body["result"][0]
    shown = [row["case_number"] for row in result["data"]]
    assert len(shown) == result["rowcount"] < payload["queries"][0]["row_limit"]  # nothing cut off
    # The cases behind that street's published score, from the evaluation's own lineage table.
    with Warehouse(settings).reader() as con:
        score = con.execute(
            "SELECT s.entity_code, s.version, s.sample_size FROM marts.score s JOIN marts.dash_score_version v"
            " ON v.period = s.period AND v.version = s.version WHERE s.period = ? AND s.object = 'region'"
            " AND s.level = 'street' AND s.entity_name = ?", [period, street]).fetchall()
        assert len(score) == 1, score
        code, version, sample_size = score[0]
        behind = [r[0] for r in con.execute(
            "SELECT c.origin_case_id FROM marts.score_lineage l JOIN core.\"case\" c ON c.case_id = l.case_id"
            " WHERE l.period = ? AND l.version = ? AND l.object = 'region' AND l.level = 'street'"
            " AND l.entity_code = ?", [period, version, code]).fetchall()]
    assert sorted(shown) == sorted(behind) and len(behind) == sample_size > 0


def test_the_monthly_cockpit_is_emailed_as_pdf_and_png(superset_env: tuple[Settings, SupersetSite],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the cockpit_mail DAG's use case, with the settings object's mail settings."""
    from szcg.settings import load_settings
    from usecases.cockpit import send_cockpit_mail

    with SmtpSink() as sink:
        monkeypatch.setenv("SZCG_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("SZCG_SMTP_PORT", str(sink.port))
        monkeypatch.setenv("SZCG_REPORT_RECIPIENTS", "leader@localhost")
        outcome = send_cockpit_mail(load_settings(), "2026-09")
    assert outcome.sent_to == ["leader@localhost"] and outcome.skipped is None and outcome.png is not None
    assert len(sink.messages) == 1
    message = sink.messages[0]
    assert message["Subject"] == "领导驾驶舱月报 2026-09"
    attachments = {part.get_filename(): part.get_content_type() for part in message.iter_attachments()}
    assert attachments == {"领导驾驶舱-2026-09.pdf": "application/pdf", "领导驾驶舱-2026-09.png": "image/png"}
    pdf = next(p for p in message.iter_attachments() if p.get_content_type() == "application/pdf")
    assert pdf.get_content().startswith(b"%PDF") and len(pdf.get_content()) > 20_000
    (ARTIFACTS / "report").mkdir(parents=True, exist_ok=True)
    png = Path(outcome.png)
    (ARTIFACTS / "report" / png.name).write_bytes(png.read_bytes())


def test_the_cli_reports_status(superset_env: tuple[Settings, SupersetSite],
                                capsys: pytest.CaptureFixture[str]) -> None:
    from szcg.cli import main

    _, site = superset_env
    assert main(["dashboards", "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["healthy"] and status["url"] == site.url

"""The dashboards as code: reviewed YAML that imports idempotently and reads views that exist and hold data."""

from __future__ import annotations

import io
import json
import zipfile

import duckdb
import pytest
import yaml

from dashboards.authoring import DATABASE_FILE, DATASETS, DISTRICT_DATASETS, build_assets, dump
from dashboards.bundle import BUNDLE_ROOT, asset_files, build_bundle
from dashboards.site import ASSETS_DIR
from tests.support.demo_data import DemoSize, build_demo_warehouse
from tests.support.drill_rows import EXPLODED_KEYS, FROM_LINEAGE
from warehouse.mart_builders import build_marts
from warehouse.migrate import migrate


def _load_assets() -> dict[str, dict]:
    return {p.relative_to(ASSETS_DIR).as_posix(): yaml.safe_load(p.read_text(encoding="utf-8"))
            for p in asset_files()}


def test_the_committed_yaml_is_what_the_authoring_tool_writes() -> None:
    expected = build_assets()
    on_disk = {p.relative_to(ASSETS_DIR).as_posix(): p.read_text(encoding="utf-8") for p in asset_files()}
    assert sorted(on_disk) == sorted(expected), "run `python -m dashboards.authoring`"
    for rel, content in expected.items():
        assert on_disk[rel] == dump(content), f"{rel} differs: run `python -m dashboards.authoring`"


def test_every_chart_in_a_layout_carries_uuid_and_slice_name_of_an_existing_chart() -> None:
    assets = _load_assets()
    charts = {c["uuid"]: c for rel, c in assets.items() if rel.startswith("charts/")}
    datasets = {d["uuid"] for rel, d in assets.items() if rel.startswith("datasets/")}
    boards = [d for rel, d in assets.items() if rel.startswith("dashboards/")]
    assert {b["dashboard_title"] for b in boards} == {"领导驾驶舱", "综合评价", "部件普查", "热线"}
    placed = []
    for board in boards:
        nodes = [n for n in board["position"].values() if isinstance(n, dict) and n.get("type") == "CHART"]
        assert nodes, board["dashboard_title"]
        for node in nodes:
            meta = node["meta"]
            assert meta["uuid"] in charts and meta["sliceName"] == charts[meta["uuid"]]["slice_name"]
            placed.append(meta["uuid"])
        names = {f["name"] for f in board["metadata"]["native_filter_configuration"]}
        assert names == {"统计月份", "区县"}, board["dashboard_title"]
    assert sorted(placed) == sorted(charts), "every chart is on exactly one dashboard"
    assert all(c["dataset_uuid"] in datasets for c in charts.values())


def test_every_chart_saves_a_query_context_on_its_own_dataset() -> None:
    """Superset answers GET /api/v1/chart/<id>/data/ from the saved query_context only; the dataset is named by
    uuid (ids differ between installations) and the form data is the chart's own params."""
    import json

    charts = [c for rel, c in _load_assets().items() if rel.startswith("charts/")]
    for chart in charts:
        context = json.loads(chart["query_context"])
        assert context["datasource"] == {"id": chart["dataset_uuid"], "type": "table"}, chart["slice_name"]
        assert context["form_data"]["viz_type"] == chart["viz_type"]
        (query,) = context["queries"]
        assert query["metrics"] or query["columns"], chart["slice_name"]


def test_the_bundle_points_the_database_at_this_installations_snapshot() -> None:
    uri = "duckdb:////srv/szcg/var/warehouse/current/warehouse.duckdb"
    with zipfile.ZipFile(io.BytesIO(build_bundle(uri))) as zf:
        names = zf.namelist()
        database = yaml.safe_load(zf.read(f"{BUNDLE_ROOT}/{DATABASE_FILE}"))
    assert f"{BUNDLE_ROOT}/metadata.yaml" in names
    assert database["sqlalchemy_uri"] == uri
    assert database["extra"]["engine_params"]["connect_args"] == {"read_only": True}
    assert "poolclass" not in json.dumps(database["extra"])  # Superset's default NullPool: no pinned snapshot


@pytest.fixture(scope="module")
def demo_con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    migrate(con)
    build_demo_warehouse(con, DemoSize(cases=3000, months=14))
    build_marts(con)  # what every publish does before the copy
    return con


def test_every_dataset_view_answers_with_rows_and_the_district_columns(demo_con: duckdb.DuckDBPyConnection) -> None:
    for key, spec in DATASETS.items():
        columns = {r[0] for r in demo_con.execute(f"DESCRIBE marts.{spec['view']}").fetchall()}
        assert "period_month" in columns or key == "coverage", key
        if key in DISTRICT_DATASETS:
            assert {"district_code", "district_name"} <= columns, key
        n = demo_con.execute(f"SELECT count(*) FROM marts.{spec['view']}").fetchone()[0]
        assert n > 0, f"marts.{spec['view']} is empty on the demo warehouse"
        for name, (_label, expression, _fmt) in spec["metrics"].items():
            demo_con.execute(f"SELECT {expression} FROM marts.{spec['view']}").fetchone()  # valid SQL
            assert name


def test_headline_figures_match_the_cases_behind_them(demo_con: duckdb.DuckDBPyConnection) -> None:
    month = demo_con.execute("SELECT max(period_month) FROM marts.dash_headline").fetchone()[0]
    prev = demo_con.execute("SELECT strftime(CAST(? || '-01' AS DATE) - INTERVAL 1 MONTH, '%Y-%m')",
                            [month]).fetchone()[0]
    reported, last_month = demo_con.execute(
        "SELECT sum(this_num), sum(last_month_num) FROM marts.dash_headline WHERE period_month = ?"
        " AND indicator = '上报数'", [month]).fetchone()
    direct = demo_con.execute(
        "SELECT count(*) FILTER (WHERE strftime(reported_at, '%Y-%m') = ?),"
        " count(*) FILTER (WHERE strftime(reported_at, '%Y-%m') = ?) FROM core.\"case\"", [month, prev]).fetchone()
    assert (reported, last_month) == direct
    assert demo_con.execute("SELECT max(months_ago) FROM marts.dash_headline").fetchone()[0] == 13


def test_headline_evaluation_figures_are_the_scorecards_own(demo_con: duckdb.DuckDBPyConnection) -> None:
    headline = demo_con.execute(
        "SELECT period_month, district_code, indicator, this_num, this_den FROM marts.dash_headline"
        " WHERE indicator IN ('立案数', '按期处置率(%)') ORDER BY ALL").fetchall()
    scorecard = {(p, d, i): (n, den) for p, d, i, n, den in demo_con.execute(
        "SELECT period, entity_code, CASE indicator WHEN 'registered' THEN '立案数' ELSE '按期处置率(%)' END,"
        " CASE indicator WHEN 'registered' THEN numerator ELSE 100.0 * numerator END, denominator"
        " FROM marts.indicator_value WHERE object = 'region' AND level = 'district'"
        " AND indicator IN ('registered', 'on_time_handle_rate')").fetchall()}
    assert len(headline) > 100
    for month, district, indicator, num, den in headline:
        # a district the month's scorecard does not list registered nothing: 0 cases, no rate
        nothing = (0.0, None) if indicator == "立案数" else (None, None)
        assert (num, den) == scorecard.get((month, district, indicator), nothing), (month, district, indicator)
    assert {(p, d, i) for p, d, i, *_ in headline} >= set(scorecard)


def test_grid_polygons_are_json_rings_of_lon_lat(demo_con: duckdb.DuckDBPyConnection) -> None:
    wkt, ring = demo_con.execute(
        "SELECT g.geometry_wkt, d.polygon FROM marts.dash_grid_density d JOIN core.grid g USING (grid_code) LIMIT 1"
    ).fetchone()
    points = json.loads(ring)
    assert len(points) == 5 and points[0] == points[-1]
    lon, lat = points[0]
    assert 100 < lon < 120 and 30 < lat < 45 and f"{lon:.6f} {lat:.6f}" in wkt


def test_scores_show_the_latest_published_version_with_grade_colours(demo_con: duckdb.DuckDBPyConnection) -> None:
    demo_con.execute("""
        INSERT INTO marts.scorecard SELECT period, 2, 'published', period_start, period_end, as_of, scheme_id,
               scheme_version, scheme_sha256, 'appeal accepted', 1, 1, content_sha256, created_at, created_by
        FROM marts.scorecard WHERE period = '2026-10' AND version = 1""")
    demo_con.execute("""
        INSERT INTO marts.score SELECT period, 2, object, level, entity_code, entity_name, sample_size, ranked,
               99.5, 'A', 'green', rank, tie_break, mom_score, yoy_score, scheme_version
        FROM marts.score WHERE period = '2026-10' AND version = 1""")
    versions = demo_con.execute(
        "SELECT DISTINCT version, version_name FROM marts.dash_score WHERE period_month = '2026-10'").fetchall()
    assert versions == [(2, "已发布第2版")]
    assert demo_con.execute("SELECT count(*) FROM marts.dash_score_case WHERE period_month = '2026-10'"
                            ).fetchone()[0] == 0  # version 2 has no lineage rows in this fixture


def test_the_drill_down_lists_each_case_once_with_every_lineage_row_of_it(
        demo_con: duckdb.DuckDBPyConnection) -> None:
    """得分依据案件 (marts.dash_score_case): one row per unit and case, its indicators as lists; taken apart, exactly
    the unit's lineage rows. This fixture's versions are stored the old way (rows per indicator, role and case):
    with a second indicator for the supervisors' cases and some of them counted twice (a post counts events)."""
    demo_con.begin()
    try:
        demo_con.execute("""
            INSERT INTO marts.score_lineage_legacy
            SELECT period, version, object, level, entity_code, 'registered', case_id, 'numerator', NULL
            FROM marts.score_lineage_legacy WHERE object = 'supervisor'
            UNION ALL
            SELECT period, version, object, level, entity_code, indicator, case_id, role, 2
            FROM marts.score_lineage_legacy WHERE object = 'supervisor' AND hash(case_id) % 7 = 0""")
        assert demo_con.execute(EXPLODED_KEYS).fetchall() == demo_con.execute(FROM_LINEAGE).fetchall()
        rows, cases, twice = demo_con.execute(
            "SELECT count(*), count(DISTINCT (period_month, object_name, level_name, entity_name, case_number)), "
            "count(*) FILTER (WHERE object_name = '监督员' AND (numerator_indicators LIKE '%结案率（2次）%' "
            "OR denominator_indicators = '结案率（2次）')) FROM marts.dash_score_case").fetchone() or (0, 0, 0)
        assert rows == cases > 0 and twice > 0
        (listed,) = demo_con.execute(
            "SELECT numerator_indicators FROM marts.dash_score_case WHERE object_name = '监督员' "
            "AND denominator_indicators = '无' ORDER BY case_number LIMIT 1").fetchone() or ("",)
        assert listed in ("registered、结案率", "registered、结案率（2次）")  # label order; no label: the key
    finally:
        demo_con.rollback()


def test_steps_without_a_district_count_for_their_cases_district(demo_con: duckdb.DuckDBPyConnection) -> None:
    # Imported cases (synthetic city, legacy systems) record no district on their workflow steps.
    before = demo_con.execute(
        "SELECT district_code, count(*) FROM marts.dash_case_step GROUP BY 1 ORDER BY 1").fetchall()
    demo_con.execute("UPDATE core.case_event_row SET district_code = NULL WHERE seq = 2")
    after = demo_con.execute(
        "SELECT district_code, count(*) FROM marts.dash_case_step GROUP BY 1 ORDER BY 1").fetchall()
    assert after == before and None not in dict(after)
    build_marts(demo_con)  # the summary the cockpit reads attributes them the same way
    summary = demo_con.execute(
        "SELECT district_code, sum(with_deadline) FROM marts.dash_step_monthly GROUP BY 1 ORDER BY 1").fetchall()
    assert summary == before

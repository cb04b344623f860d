"""The synthetic city (synth/, as ``make demo`` generates it, smaller) through the case import, the evaluation and
the cockpit: the SQL models and the pandas reference agree on every value, 反馈 carries the 处置 judgement (so
按期结案率 is not simply 结案率), and the cockpit's 立案数 and 按期处置率 are the published scorecard's for every
district and month — months published out of order, each with its 环比."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from standards.calendar import load_calendar
from standards.city import packaged_city
from standards.handbook import load_handbook
from szcg.settings import Settings
from tests.support.factories import CITY, SyntheticCities
from tests.transforms.evaluation.agreement import assert_engine_agrees_with_reference
from transforms.cases.parquet_import import import_parquet
from transforms.evaluation import engine, store
from transforms.evaluation.period import parse_period
from transforms.evaluation.scheme import load_scheme
from warehouse.mart_builders import build_marts
from warehouse.store import Warehouse

MONTHS = ("2026-03", "2026-02")  # published in this order: the later month first


@pytest.fixture(scope="module")
def city_warehouse(
    tmp_path_factory: pytest.TempPathFactory, cities: SyntheticCities
) -> Iterator[duckdb.DuckDBPyConnection]:
    data_dir = tmp_path_factory.mktemp("synthetic-demo") / "var"
    wh = Warehouse(Settings(data_dir=data_dir).with_data_dir(data_dir))
    import_parquet(wh, cities.get(CITY) / "cases")
    with wh.writer() as con:
        yield con


def test_sql_models_and_pandas_reference_agree_on_the_synthetic_month(
        city_warehouse: duckdb.DuckDBPyConnection) -> None:
    con, city = city_warehouse, packaged_city()
    period, calendar, handbook = parse_period("2026-03"), load_calendar(city), load_handbook(city)
    info = engine.run(con, period, load_scheme(), calendar, lineage=False, handbook=handbook)
    assert info.cohort_cases > 300
    assert_engine_agrees_with_reference(con, period, calendar, handbook)
    # 反馈 carries the 处置 judgement: some cases were closed but not on time
    closed, on_time = con.execute(
        "SELECT sum(numerator) FILTER (WHERE indicator = 'close_rate'), "
        "sum(numerator) FILTER (WHERE indicator = 'on_time_close_rate') FROM eval_indicator "
        "WHERE object = 'region' AND level = 'district'").fetchone() or (0, 0)
    assert 0 < on_time < closed


def test_the_cockpit_shows_the_published_scorecards_figures(city_warehouse: duckdb.DuckDBPyConnection) -> None:
    con, city = city_warehouse, packaged_city()
    for month in MONTHS:
        store.compute_draft(con, parse_period(month), load_scheme(), load_calendar(city),
                            handbook=load_handbook(city))
        store.publish(con, parse_period(month))
    build_marts(con)
    rows = con.execute("""
        SELECT h.period_month, h.district_code, h.indicator, h.this_num, h.this_den,
               CASE h.indicator WHEN '立案数' THEN iv.numerator ELSE 100.0 * iv.numerator END,
               CASE h.indicator WHEN '立案数' THEN NULL ELSE iv.denominator END
        FROM marts.dash_headline h
        JOIN marts.indicator_value iv ON iv.period = h.period_month AND iv.version = 1 AND iv.object = 'region'
            AND iv.level = 'district' AND iv.entity_code = h.district_code
            AND iv.indicator = CASE h.indicator WHEN '立案数' THEN 'registered' ELSE 'on_time_handle_rate' END
        WHERE h.indicator IN ('立案数', '按期处置率(%)')""").fetchall()
    scored = con.execute("SELECT count(*) FROM marts.indicator_value WHERE version = 1 AND object = 'region' "
                         "AND level = 'district' AND indicator IN ('registered', 'on_time_handle_rate')").fetchone()
    assert scored is not None and len(rows) == scored[0] > 0
    assert [r[:3] for r in rows if r[3:5] != r[5:7]] == []
    # 立案 is the scorecard's: cases voided before 立案 are reported, not registered
    reported, registered = con.execute(
        "SELECT sum(this_num) FILTER (WHERE indicator = '上报数'), sum(this_num) FILTER (WHERE indicator = '立案数') "
        "FROM marts.dash_headline WHERE period_month = '2026-03'").fetchone() or (0, 0)
    assert registered < reported
    # March was published before February and still shows its 环比: the change, not February's score
    changes = con.execute("""
        SELECT s.total_score, s.mom_score, s.mom_change, f.total_score
        FROM marts.dash_score s
        JOIN marts.score f ON f.period = '2026-02' AND f.version = 1 AND f.object = s.object AND f.level = s.level
            AND f.entity_code = s.entity_code
        WHERE s.period_month = '2026-03' AND s.object = 'region' AND s.level = 'district'""").fetchall()
    assert changes and all(prev == feb and change == round(total - feb, 2) for total, prev, change, feb in changes)

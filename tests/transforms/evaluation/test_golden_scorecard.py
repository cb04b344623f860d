"""The evaluation engine's results, byte for byte, on the synthetic city: a golden fingerprint.

The fingerprints below were computed with the engine as it stood before its SQL became Jinja templates with bound
parameters (main at 62959fb, when the engine still rewrote its .sql files as text). Any change to how the models
are assembled must leave every row of every output identical; a change that is meant to move a figure updates the
fingerprint in the same commit and says why. Four runs cover the engine's branches: a month with lineage (the
semi-join scope), the same month with an accepted appeal (the exclusion joins), a two-month range (the window holds
most events: the HAVING scope) and a month with no history look-back (every case in scope goes through the early
history pass).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta

import duckdb
import pytest

from standards.calendar import load_calendar
from standards.city import packaged_city
from standards.handbook import load_handbook
from synth.city import Options, generate_city
from szcg.settings import Settings
from transforms.cases.parquet_import import import_parquet
from transforms.evaluation import engine
from transforms.evaluation.period import parse_period
from transforms.evaluation.scheme import load_scheme
from warehouse.store import Warehouse

OUTPUTS = ("eval_indicator", "eval_indicator_scored", "eval_score", "eval_lineage")

MONTH = "3ea0a8c9c52de389b4eb5ff678d107faca85727e81ea568fdff54eeab574679e"
GOLDEN = {
    "month": MONTH,
    "month_with_appeal": "8ad682bd5bed528697c66b7210ef1cfd1c52f61e4572cfca36f09c69c1a5a4f1",
    "two_months": "a63b52f4d6c315b5ef68da87a747e165a486ba7c360182f3510656fb552253f5",
    "no_lookback": MONTH,  # the look-back is a cost knob only: the same rows as the month
}


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    root = tmp_path_factory.mktemp("golden-city")
    generate_city(Options(root / "city", 0.3, 2, 7))
    data_dir = root / "var"
    wh = Warehouse(Settings(data_dir=data_dir).with_data_dir(data_dir))
    import_parquet(wh, root / "city" / "cases")
    with wh.writer() as con:
        yield con


def _value(v: object) -> object:
    # A mean is a parallel sum: its last bit depends on the threads' order, run to run on the same engine
    # (38.37916666666665 vs 38.379166666666656). Nine decimals keep every figure and drop only that noise.
    return round(v, 9) if isinstance(v, float) else v


def fingerprint(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...]) -> str:
    """sha256 over every row of every table in a fixed order, each value as Python writes it."""
    digest = hashlib.sha256()
    for table in tables:
        digest.update(table.encode())
        for row in con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall():
            digest.update(repr(tuple(_value(v) for v in row)).encode())
    return digest.hexdigest()


def _run(con: duckdb.DuckDBPyConnection, period: str, **kwargs: object) -> str:
    city = packaged_city()
    info = engine.run(con, parse_period(period), load_scheme(), load_calendar(city), handbook=load_handbook(city),
                      **kwargs)  # type: ignore[arg-type]
    assert info.cohort_cases > 100
    return fingerprint(con, OUTPUTS)


def test_a_month_scores_as_before(city: duckdb.DuckDBPyConnection) -> None:
    assert _run(city, "2026-03") == GOLDEN["month"]


def test_a_month_with_an_accepted_appeal_scores_as_before(city: duckdb.DuckDBPyConnection) -> None:
    engine.run(city, parse_period("2026-03"), load_scheme(), load_calendar(packaged_city()),
               handbook=load_handbook(packaged_city()))
    picked = city.execute("SELECT object, entity_code, case_id, indicator FROM eval_lineage "
                          "WHERE role = 'numerator' ORDER BY ALL LIMIT 3").fetchall()
    exclusions = [engine.Exclusion(o, e, c, i if k else None) for k, (o, e, c, i) in enumerate(picked)]
    assert _run(city, "2026-03", exclusions=exclusions) == GOLDEN["month_with_appeal"]


def test_a_range_of_two_months_scores_as_before(city: duckdb.DuckDBPyConnection) -> None:
    assert _run(city, "2026-02-01..2026-03-31") == GOLDEN["two_months"]


def test_a_month_without_look_back_scores_as_before(city: duckdb.DuckDBPyConnection) -> None:
    assert _run(city, "2026-03", history_lookback=timedelta(0)) == GOLDEN["no_lookback"]

"""``usecases.evaluation``: compute → validate → gate → publish, one assembly for the CLI and the monthly DAG."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from szcg.cli import main
from szcg.settings import Settings
from tests.transforms.evaluation.city import City
from tests.transforms.evaluation.conftest import october, small_scheme  # noqa: F401 (fixtures)
from usecases.evaluation import GateClosed, evaluate_month
from warehouse.store import Warehouse


def _city_published(settings: Settings, city: City) -> str:
    wh = Warehouse(settings)
    with wh.writer() as con:
        city.load(con)
    return wh.publish(reason="test: the October city").snapshot_id


def test_the_cli_evaluation_into_a_failing_gate_publishes_nothing(settings: Settings, october: City,  # noqa: F811
                                                                 small_scheme: Path,  # noqa: F811
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """January 2025 has no cases: the draft has no scores, the gate closes as in the monthly DAG, and readers keep
    the snapshot they had — no new snapshot, no scorecard for the month."""
    before = _city_published(settings, october)
    wh = Warehouse(settings)
    assert main(["evaluate", "compute", "--period", "2025-01", "--scheme", str(small_scheme)]) == 1
    err = capsys.readouterr().err
    assert "2025-01" in err and "no scores computed" in err and "not published" in err
    assert main(["evaluate", "compute", "--period", "2025-01", "--scheme", str(small_scheme), "--json"]) == 1
    refused = json.loads(capsys.readouterr().out)
    assert refused["error"] == "GateClosed" and refused["problems"] == ["no scores computed"]
    assert [s.snapshot_id for s in wh.snapshots() if s.current] == [before]
    assert len(wh.snapshots()) == 1, "nothing was published"
    with wh.reader() as con:
        assert con.execute("SELECT count(*) FROM marts.scorecard WHERE period = '2025-01'").fetchone() == (0,)


def test_a_month_that_passes_the_gate_is_frozen_once(settings: Settings, october: City,  # noqa: F811
                                                    small_scheme: Path, caplog) -> None:  # noqa: F811
    _city_published(settings, october)
    with caplog.at_level(logging.INFO, logger="szcg"):
        first = evaluate_month(settings, "2026-10", scheme=small_scheme)
    assert first.validation.passed and first.version == 1 and first.published and first.snapshot
    messages = [r.getMessage() for r in caplog.records]
    assert any("evaluate month: step compute done" in m and "score=" in m for m in messages)
    assert any("evaluate month: step gate done" in m for m in messages)
    again = evaluate_month(settings, "2026-10", scheme=small_scheme)
    assert again.already_published and again.draft_matches and again.version == 1
    with Warehouse(settings).reader() as con:
        assert con.execute("SELECT count(*) FROM marts.scorecard WHERE period = '2026-10' AND status = 'published'"
                           ).fetchone() == (1,)


def test_the_gate_refuses_with_what_failed(settings: Settings) -> None:
    with pytest.raises(GateClosed) as refused:
        evaluate_month(settings, "2025-01")
    assert refused.value.problems == ["no scores computed"]
    assert Warehouse(settings).snapshots() == []

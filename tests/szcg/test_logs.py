"""``szcg.logs``: what a job's log line may show — counts, durations, identifiers — and never input text."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from szcg.logs import describe, get_logger, job, logged

PHONE = "13912345678"


def test_counts_and_identifiers_are_shown_text_from_input_is_not() -> None:
    line = describe({"rows_in": 12, "seconds": 0.25, "ok": True, "batch_id": "census-ab12",
                     "message": f"联系人 {PHONE}", "rows": [{"name": "张三"}], "by_rule": {"code.length": 2}})
    assert line == "rows_in=12 seconds=0.25 ok=True batch_id=census-ab12 by_rule={code.length: 2}"


def test_an_identifier_that_carries_a_phone_number_is_masked() -> None:
    line = describe({"file": f"普查{PHONE}.csv", "reason": f"call {PHONE}"})
    assert PHONE not in line and "file=" in line and "reason=" in line


def test_a_job_logs_start_steps_and_end_or_its_failure_without_the_message(caplog: pytest.LogCaptureFixture
                                                                           ) -> None:
    log = get_logger("tests.job")
    assert log.name == "szcg.tests.job"
    with caplog.at_level(logging.INFO, logger="szcg"):
        with job("demo job", log, district="140602") as running:
            with running.step("read") as step:
                step.count(rows_in=3)
            running.done(rows_loaded=3)
        with pytest.raises(ValueError), job("failing job", log):
            raise ValueError(f"bad row: {PHONE}")
    messages = [r.getMessage() for r in caplog.records]
    assert messages[0] == "demo job: started district=140602"
    assert messages[1].startswith("demo job: step read done in ") and messages[1].endswith(" rows_in=3")
    assert messages[2].startswith("demo job: done in ") and messages[2].endswith(" rows_loaded=3")
    assert messages[-1].startswith("failing job: failed after ") and messages[-1].endswith("ValueError")
    assert PHONE not in caplog.text
    assert running.steps[0][0] == "read" and running.steps[0][2] == {"rows_in": 3}


def test_logged_functions_log_their_dict_result(caplog: pytest.LogCaptureFixture) -> None:
    @logged
    def gate(period: str) -> dict[str, object]:
        return {"period": period, "passed": True, "problems": ["x"]}

    with caplog.at_level(logging.INFO, logger="szcg"):
        gate("2026-10")
    assert caplog.records[-1].getMessage().endswith("period=2026-10 passed=True")


def test_szcg_v_shows_the_jobs_log_on_stderr(settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "census_loaders"))
    from cityfiles import write_grids

    from szcg.cli import main

    grids = write_grids(tmp_path / "grids.geojson")
    assert main(["-v", "grids", "load", str(grids), "--valid-from", "2026-01-01", "--no-publish"]) == 0
    err = capsys.readouterr().err
    assert "grid map load: step load done in" in err and "rows_loaded=48" in err
    assert main(["grids", "load", str(grids), "--valid-from", "2026-01-01", "--no-publish"]) == 0
    assert "grid map load" not in capsys.readouterr().err, "without -v the job is quiet"

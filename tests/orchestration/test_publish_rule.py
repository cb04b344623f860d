"""The Airflow steps publish by the same rule as the CLI: whatever the work database holds that readers do not."""

from __future__ import annotations

import sys
from pathlib import Path

from szcg.settings import Settings
from warehouse.store import Warehouse

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "census_loaders"))

from cityfiles import census_rows, write_csv, write_grids


def test_a_census_run_whose_publish_task_never_ran_is_published_by_the_rerun(settings: Settings,
                                                                            tmp_path: Path) -> None:
    from orchestration import steps
    from szcg.cli import main

    assert main(["grids", "load", str(write_grids(tmp_path / "grids.geojson")), "--valid-from", "2026-01-01"]) == 0
    batch = write_csv(tmp_path / "b.csv", census_rows(5))
    steps.ingest_census(str(batch), "140602", None)  # the run died here: its publish task never ran
    again = steps.ingest_census(str(batch), "140602", None)
    assert again["already_loaded"]
    assert steps.publish_if_loaded(again, reason="re-run")["published"]
    with Warehouse(settings).reader() as con:
        assert con.execute("SELECT count(*) FROM core.component").fetchone()[0] == 5
    assert not steps.publish_if_loaded(again, reason="once more")["published"], "nothing left to publish"

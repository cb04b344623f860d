"""``usecases.wiring``: the areas' audits and mart builders are registered in one place, and a process that never
wired them cannot publish (it would skip their gates)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from szcg.settings import Settings
from usecases.wiring import AUDITS, MART_BUILDERS
from warehouse.audits import registered_audits
from warehouse.mart_builders import registered_mart_builders
from warehouse.store import Warehouse


def test_every_area_audit_and_builder_is_registered() -> None:
    audits, builders = registered_audits(), registered_mart_builders()
    assert {a.__name__ for a in AUDITS} <= audits.keys()
    assert {"component_history", "cases_conformed", "published_scorecards_intact",
            "dashboard_summaries_match_core", "schema_is_current", "row_accounting"} <= audits.keys()
    assert {b.__name__ for b in MART_BUILDERS} == builders.keys() == {"dashboard_summaries"}


def test_a_process_that_never_wired_the_areas_cannot_publish(settings: Settings) -> None:
    script = textwrap.dedent("""
        from szcg.settings import load_settings
        from warehouse.areas import NotWired
        from warehouse.store import Warehouse
        wh = Warehouse(load_settings())
        with wh.writer():
            pass
        try:
            wh.publish(reason="unwired")
        except NotWired as exc:
            print("REFUSED", exc)
        """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "SZCG_DATA_DIR": str(settings.data_dir)})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("REFUSED") and "usecases.wiring.wire()" in done.stdout
    assert Warehouse(settings).snapshots() == [], "nothing was published"

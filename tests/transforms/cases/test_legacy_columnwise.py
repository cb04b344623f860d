"""The legacy import's column-wise shortcuts give exactly what the row-wise code they replaced gives (issue 20
item 7: a million-row export within 3× a bare read_csv). Each test puts the shortcut next to the reference on
values chosen to hit its edges."""

from __future__ import annotations

import numpy as np
import pandas as pd

from quality.cases import legacy_case_suite
from quality.gx import run_suite
from transforms.cases.legacy_import import gate_rows


def test_the_gate_by_distinct_values_reports_the_row_gates_problems_in_its_order() -> None:
    n = 40
    frame = pd.DataFrame({
        "row_number": np.arange(1, n + 1),
        "origin_case_id": pd.Series([None if i % 7 == 3 else f"A{i}" for i in range(n)], dtype=object),
        "reported_at_readable": [i % 5 != 1 for i in range(n)],
        "status": pd.Series(["closed", "奇怪", None, "dispatched"] * (n // 4), dtype=object),
        "source": pd.Series(["hotline", "public", "信鸽", "other", None] * (n // 5), dtype=object),
        "unchecked": ["x"] * n,
    })
    suite = legacy_case_suite()
    expected = run_suite(frame[["row_number", "origin_case_id", "reported_at_readable", "status", "source"]], suite,
                         file_name="f.csv", name="legacy_case")
    assert {p.rule for p in expected} == {"missing_id", "bad_reported_at", "status_vocabulary", "source_vocabulary"}
    assert gate_rows(frame, suite, "f.csv") == expected

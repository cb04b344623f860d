"""Quality gate for hotline calls: what a log row needs to become a core.hotline_call row."""

from __future__ import annotations

from quality.gx import Expectation


def hotline_suite() -> list[Expectation]:
    return [
        Expectation("missing_id", "not_null", "call_id", "call_id", "来电编号为空"),
        Expectation("bad_called_at", "not_null", "called_at", "called_at", "来电时间为空或无法读取"),
        Expectation("satisfaction_vocabulary", "in_set", "satisfaction_ok", "satisfaction",
                    "回访满意度不在词表中", {"value_set": [True]}),
    ]

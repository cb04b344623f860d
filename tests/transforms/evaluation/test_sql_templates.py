"""The evaluation's models are templates the engine renders, never text it edits; values are bound parameters."""

from __future__ import annotations

import pytest

from transforms.evaluation import engine
from transforms.evaluation.indicators import CATALOGUE

MODELS = (*engine.CASE_MODELS, *engine.FACT_MODELS, engine.SCORE_MODEL)


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("exclusions", [True, False])
def test_every_model_renders_each_variant_without_markers(name: str, exclusions: bool) -> None:
    for relation in ("TEMP TABLE", "TEMP VIEW"):
        sql = engine.sql_model(name, exclusions=exclusions, relation=relation)
        assert "/*" not in sql and "{{" not in sql and "{%" not in sql
        assert ("eval_exclusion" in sql) == (exclusions and name in ("04_case_fact.sql", "05_department_fact.sql",
                                                                      "06_post_base.sql"))


def test_the_case_summary_scopes() -> None:
    window = engine.sql_model("01_case_summary.sql", scope="window")
    having = engine.sql_model("01_case_summary.sql", scope="having")
    early = engine.sql_model("01_case_summary.sql", scope="early")
    assert "SEMI JOIN (SELECT DISTINCT case_id" in window and "HAVING" not in window
    assert "HAVING bit_or(bit) & 4096 <> 0" in having and "SEMI JOIN" not in having
    assert "INSERT INTO eval_case_summary" in early and "SEMI JOIN eval_early_case" in early
    assert "eval_report_until" in window and "eval_report_until" not in early  # early cases: no report bounds


@pytest.mark.parametrize("exclusions", [True, False])
def test_indicator_keys_and_labels_are_parameters_not_text(exclusions: bool) -> None:
    lineage_head = "\nCREATE OR REPLACE TEMP TABLE eval_lineage_fact"
    for sql, params in (engine.indicator_sql(exclusions), engine.lineage_sql(exclusions)):
        bound = set(params.values())
        for ind in CATALOGUE:
            assert f"'{ind.key}'" not in sql
            # the lineage names no indicator (its bits do, eval_lineage_role) but to test an appeal's exclusion
            assert ind.key in bound or (sql.startswith(lineage_head) and not exclusions)
        assert all(f"${name}" in sql for name in params)
    sql, params = engine.indicator_sql(exclusions)
    assert {ind.label for ind in CATALOGUE} <= set(params.values())

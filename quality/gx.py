"""Run Great Expectations suites on pandas DataFrames and turn every failing row into a RowProblem.

Suites are declared as plain :class:`Expectation` specs (no GX import needed to build them), so loaders can
generate them from configuration. GX itself is imported only when a suite runs (its import costs seconds) and
runs in an ephemeral context; a :class:`SuiteRunner` keeps that context for all chunks of one batch.

    specs = [Expectation("component_id.format", "regex", "component_id", "OBJCODE", "标识码应为17位数字",
                         {"regex": r"^\\d{17}$"})]
    problems = run_suite(frame, specs, file_name="batch.csv")
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

import pandas as pd

from szcg.errors import RowProblem

ROW_COLUMN = "row_number"
KINDS = ("not_null", "null", "regex", "in_set", "between", "unique")


@dataclass(frozen=True)
class Expectation:
    """One rule on one column. ``rule`` is the stable English id stored in the quarantine; ``message`` is shown
    to people (Chinese is fine); ``{value}`` in it is replaced by the offending value."""

    rule: str
    kind: str  # not_null | null | regex | in_set | between | unique
    column: str  # column of the DataFrame checked
    field: str  # field name reported to the user (usually the source column)
    message: str
    params: dict[str, Any] = dc_field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"expectation {self.rule}: kind {self.kind!r}, expected one of {', '.join(KINDS)}")


def _gx_expectation(spec: Expectation) -> Any:
    import great_expectations as gx

    e = gx.expectations
    if spec.kind == "not_null":
        return e.ExpectColumnValuesToNotBeNull(column=spec.column)
    if spec.kind == "null":
        return e.ExpectColumnValuesToBeNull(column=spec.column)
    if spec.kind == "regex":
        return e.ExpectColumnValuesToMatchRegex(column=spec.column, regex=spec.params["regex"])
    if spec.kind == "in_set":
        return e.ExpectColumnValuesToBeInSet(column=spec.column, value_set=sorted(spec.params["value_set"]))
    if spec.kind == "between":
        return e.ExpectColumnValuesToBeBetween(
            column=spec.column, min_value=spec.params.get("min_value"), max_value=spec.params.get("max_value")
        )
    return e.ExpectColumnValuesToBeUnique(column=spec.column)


def _display(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return "（空）"
    if hasattr(value, "isoformat"):
        return str(value.isoformat())[:19]
    return str(value)


class SuiteRunner:
    """An ephemeral GX context holding one suite; :meth:`run` validates one DataFrame (a batch or a chunk)."""

    def __init__(self, name: str, specs: Sequence[Expectation]) -> None:
        import great_expectations as gx

        self.specs = list(specs)
        keys = [_key_of(s) for s in self.specs]
        if len(set(keys)) != len(keys):
            raise ValueError(f"suite {name}: two expectations of the same kind on the same column and parameters")
        self._context = gx.get_context(mode="ephemeral")
        with contextlib.suppress(Exception):  # progress bars would spam stderr; cosmetic, so never fatal
            self._context.variables.progress_bars = gx.data_context.types.base.ProgressBarsConfig(  # type: ignore[attr-defined]
                globally=False)
        source = self._context.data_sources.add_pandas(f"{name}_source")
        asset = source.add_dataframe_asset(f"{name}_frame")
        self._batch_definition = asset.add_batch_definition_whole_dataframe(f"{name}_whole")
        suite = self._context.suites.add(gx.ExpectationSuite(name=name))
        # GX does not keep our rule ids: remember which GX expectation id stands for which spec.
        self._by_id: dict[str, Expectation] = {}
        for spec in self.specs:
            added = suite.add_expectation(_gx_expectation(spec))
            self._by_id[str(added.id)] = spec
        self._suite = suite

    def run(self, frame: pd.DataFrame, file_name: str, row_column: str = ROW_COLUMN) -> list[RowProblem]:
        """Every failing (row, expectation) as a RowProblem; ``row_column`` holds the 1-based source row."""
        if frame.empty or not self.specs:
            return []
        missing = [s.column for s in self.specs if s.column not in frame.columns]
        if missing:
            raise KeyError(f"columns missing for the suite: {', '.join(sorted(set(missing)))}")
        batch = self._batch_definition.get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(
            self._suite,
            result_format={
                "result_format": "COMPLETE",
                "unexpected_index_column_names": [row_column],
                "return_unexpected_index_query": False,
            },
        )
        problems: list[RowProblem] = []
        for item in result.results:
            if item.success:
                continue
            config = item.expectation_config
            spec = self._by_id.get(str(config.id)) if config is not None else None
            if spec is None:  # pragma: no cover — every expectation came from a spec
                raise RuntimeError(f"GX returned a result for an expectation we did not add: {config}")
            if item.exception_info and any(
                (v or {}).get("raised_exception") for v in _exception_values(item.exception_info)
            ):
                raise RuntimeError(f"GX could not evaluate {spec.rule}: {item.exception_info}")
            for hit in item.result.get("unexpected_index_list") or []:
                value = hit.get(spec.column)
                problems.append(
                    RowProblem(file_name, int(hit[row_column]), spec.field, spec.rule,
                               spec.message.replace("{value}", _display(value)))
                )
        return problems


def _exception_values(info: Any) -> list[dict[str, Any]]:
    if isinstance(info, dict) and "raised_exception" in info:
        return [info]
    if isinstance(info, dict):
        return [v for v in info.values() if isinstance(v, dict)]
    return []


def _key_of(spec: Expectation) -> tuple[str, str, str]:
    names = {
        "not_null": "expect_column_values_to_not_be_null",
        "null": "expect_column_values_to_be_null",
        "regex": "expect_column_values_to_match_regex",
        "in_set": "expect_column_values_to_be_in_set",
        "between": "expect_column_values_to_be_between",
        "unique": "expect_column_values_to_be_unique",
    }
    return names[spec.kind], spec.column, _param_key(spec.kind, spec.params)


def _param_key(kind: str, params: dict[str, Any]) -> str:
    if kind == "regex":
        return str(params.get("regex"))
    if kind == "between":
        return f"{params.get('min_value')}|{params.get('max_value')}"
    return ""


def run_suite(frame: pd.DataFrame, specs: Sequence[Expectation], *, file_name: str, name: str = "suite",
              row_column: str = ROW_COLUMN) -> list[RowProblem]:
    """One-shot: build an ephemeral suite from ``specs`` and validate ``frame`` once."""
    return SuiteRunner(name, specs).run(frame, file_name, row_column)

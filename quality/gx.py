"""Run Great Expectations suites on pandas DataFrames and turn every failing row into a RowProblem.

Suites are declared as plain :class:`Expectation` specs (no GX import needed to build them), so loaders can
generate them from configuration. GX itself is imported only when a suite runs (its import costs seconds) and
runs in an ephemeral context; a :class:`SuiteRunner` keeps that context for all chunks of one batch.

    specs = [Expectation("component_id.format", "regex", "component_id", "OBJCODE", "标识码应为17位数字",
                         {"regex": r"^\\d{17}$"})]
    problems = run_suite(frame, specs, file_name="batch.csv")

For big batches :meth:`SuiteRunner.run_by_value` validates each column's *distinct values* instead of its rows
(every kind except ``unique`` depends only on the value itself) and maps the failing values back to the rows
holding them: the same problems as :meth:`SuiteRunner.run`, at a cost that grows with the number of distinct
values rather than rows.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

import numpy as np
import pandas as pd

from szcg.errors import RowProblem

ROW_COLUMN = "row_number"
KINDS = ("not_null", "null", "regex", "in_set", "between", "unique")
# Kinds whose verdict on a row depends on that row's value alone (so distinct values can be validated instead).
VALUE_KINDS = ("not_null", "null", "regex", "in_set", "between")
# ... and of those, the kinds for which only null / not null matters.
NULLNESS_KINDS = ("not_null", "null")
_VALUE_INDEX = "__value_index"
# Value lists up to this long are validated in one GX call whatever their lengths (repeating them costs less than
# another call).
SMALL_VALUE_LIST = 10_000


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
    """An ephemeral GX context holding one suite; :meth:`run` validates one DataFrame (a batch or a chunk) row by
    row, :meth:`run_by_value` by its distinct values (same problems, for big batches)."""

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
        self._name = name
        # GX does not keep our rule ids: remember which GX expectation id stands for which spec.
        self._by_id: dict[str, int] = {}  # GX expectation id -> position in self.specs
        self._suites: dict[tuple[Any, ...], Any] = {}  # built on first use

    def _suite_of(self, members: tuple[int, ...], renamed: dict[int, Expectation] | None = None) -> Any:
        """The GX suite of the specs at positions ``members`` (built once, kept for later frames); ``renamed``
        points specs at other columns (the value frames of :meth:`run_by_value`)."""
        key = (members, renamed is not None)
        if key not in self._suites:
            import great_expectations as gx

            specs = [(renamed or {}).get(i, self.specs[i]) for i in members]
            # All expectations in one go: adding them one by one re-saves the suite each time (~10 ms each).
            suite = self._context.suites.add(gx.ExpectationSuite(
                name=f"{self._name}_{len(self._suites)}", expectations=[_gx_expectation(s) for s in specs]))
            if [getattr(x, "column", None) for x in suite.expectations] != [s.column for s in specs]:
                raise RuntimeError(f"suite {self._name}: GX did not keep the order of the expectations")
            for i, added in zip(members, suite.expectations, strict=True):
                self._by_id[str(added.id)] = i
            self._suites[key] = suite
        return self._suites[key]

    def _require_columns(self, frame: pd.DataFrame) -> None:
        missing = [s.column for s in self.specs if s.column not in frame.columns]
        if missing:
            raise KeyError(f"columns missing for the suite: {', '.join(sorted(set(missing)))}")

    def _problem(self, i: int, hit: Any, file_name: str, row_column: str) -> RowProblem:
        spec = self.specs[i]
        return RowProblem(file_name, int(hit[row_column]), spec.field, spec.rule,
                          spec.message.replace("{value}", _display(hit.get(spec.column))))

    def run(self, frame: pd.DataFrame, file_name: str, row_column: str = ROW_COLUMN) -> list[RowProblem]:
        """Every failing (row, expectation) as a RowProblem; ``row_column`` holds the 1-based source row."""
        if frame.empty or not self.specs:
            return []
        self._require_columns(frame)
        problems: list[RowProblem] = []
        for i, hit in self._failures(self._suite_of(tuple(range(len(self.specs)))), frame, row_column):
            problems.append(self._problem(i, hit, file_name, row_column))
        return problems

    def run_by_value(self, frame: pd.DataFrame, file_name: str, row_column: str = ROW_COLUMN) -> list[RowProblem]:
        """Like :meth:`run`, but GX validates the distinct values of each column (for null/not-null rules: one
        null and one non-null value) and every row holding a failing value becomes a problem (see
        :meth:`failing_values`). ``unique`` rules depend on the whole column and run on ``frame`` itself."""
        if frame.empty or not self.specs:
            return []
        self._require_columns(frame)
        problems: list[RowProblem] = []
        row_level = tuple(i for i, s in enumerate(self.specs) if s.kind not in VALUE_KINDS)
        if row_level:
            for i, hit in self._failures(self._suite_of(row_level), frame, row_column):
                problems.append(self._problem(i, hit, file_name, row_column))
        # The values to validate per (column, nullness-only): distinct values, original dtype kept.
        values: dict[tuple[str, bool], pd.Series] = {}
        for spec in self.specs:
            if spec.kind not in VALUE_KINDS:
                continue
            key = (spec.column, spec.kind in NULLNESS_KINDS)
            if key not in values:
                column = frame[spec.column]
                if key[1]:
                    picked = [column[column.isna()].head(1), column[column.notna()].head(1)]
                    values[key] = pd.concat(picked, ignore_index=True)
                else:
                    values[key] = column.drop_duplicates().reset_index(drop=True)
        by_spec = {i: values[(s.column, s.kind in NULLNESS_KINDS)] for i, s in enumerate(self.specs)
                   if s.kind in VALUE_KINDS}
        for i, bad in self.failing_values(by_spec).items():
            spec = self.specs[i]
            column = frame[spec.column]
            if spec.kind in NULLNESS_KINDS:
                mask = column.isna() if bool(bad.isna().all()) else column.notna()
            else:
                mask = column.isin(bad.dropna()) & column.notna()
            hits = frame.loc[mask.to_numpy(), [row_column, spec.column]]
            for row, value in zip(hits[row_column].tolist(), hits[spec.column].tolist(), strict=True):
                problems.append(self.row_problem(i, int(row), value, file_name))
        return problems

    def failing_values(self, values: Mapping[int, pd.Series]) -> dict[int, pd.Series]:
        """GX verdicts on values instead of rows: ``values`` gives, per position in ``specs`` (kinds whose verdict
        depends on the value alone), the distinct values to validate — for null/not-null rules one null and/or
        one non-null value is enough. Returns the failing values per spec position (specs without failures
        left out); the caller maps them back to the rows holding them.

        Value lists of similar length share one GX call (one per order of magnitude, all lists up to
        :data:`SMALL_VALUE_LIST` long in one call), so a column with a million distinct identifiers does not make
        GX repeat a ten-word vocabulary a million times, and small lists do not pay GX's fixed cost per call."""
        for i in values:
            if self.specs[i].kind not in VALUE_KINDS:
                raise ValueError(f"{self.specs[i].rule}: a {self.specs[i].kind} rule cannot be checked on values")
        groups: dict[int, list[int]] = {}
        for i, distinct in values.items():
            if len(distinct):
                size = len(distinct)
                groups.setdefault(0 if size <= SMALL_VALUE_LIST else len(str(size)), []).append(i)
        failing: dict[int, pd.Series] = {}
        for members in groups.values():
            length = max(len(values[i]) for i in members)
            # One GX column per spec; shorter value lists repeat themselves up to the group's length, which
            # changes no verdict.
            data: dict[str, Any] = {_VALUE_INDEX: np.arange(length, dtype=np.int64)}
            renamed: dict[int, Expectation] = {}
            for i in members:
                spec = self.specs[i]
                distinct = values[i].reset_index(drop=True)
                name = f"__v{i}"
                data[name] = (distinct if len(distinct) == length
                              else distinct.iloc[np.arange(length) % len(distinct)].reset_index(drop=True))
                renamed[i] = Expectation(spec.rule, spec.kind, name, spec.field, spec.message, spec.params)
            positions: dict[int, set[int]] = {}
            suite = self._suite_of(tuple(members), renamed)
            for i, hit in self._failures(suite, pd.DataFrame(data), _VALUE_INDEX):
                positions.setdefault(i, set()).add(int(hit[_VALUE_INDEX]))
            for i, found in positions.items():
                distinct = values[i].reset_index(drop=True)
                failing[i] = distinct.iloc[sorted({p % len(distinct) for p in found})]  # undo the repetition
        return failing

    def row_problem(self, position: int, row_number: int, value: Any, file_name: str) -> RowProblem:
        """The problem the spec at ``position`` reports for a row holding ``value``."""
        spec = self.specs[position]
        return RowProblem(file_name, row_number, spec.field, spec.rule,
                          spec.message.replace("{value}", _display(value)))

    def _failures(self, suite: Any, frame: pd.DataFrame, row_column: str) -> list[tuple[int, dict[str, Any]]]:
        """(spec position, unexpected row as GX reports it: ``row_column`` and the checked column) per failing row."""
        batch = self._batch_definition.get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(
            suite,
            result_format={
                "result_format": "COMPLETE",
                "unexpected_index_column_names": [row_column],
                "return_unexpected_index_query": False,
            },
        )
        failures: list[tuple[int, dict[str, Any]]] = []
        for item in result.results:
            if item.success:
                continue
            config = item.expectation_config
            position = self._by_id.get(str(config.id)) if config is not None else None
            if position is None:  # pragma: no cover — every expectation came from a spec
                raise RuntimeError(f"GX returned a result for an expectation we did not add: {config}")
            if item.exception_info and any(
                (v or {}).get("raised_exception") for v in _exception_values(item.exception_info)
            ):
                raise RuntimeError(f"GX could not evaluate {self.specs[position].rule}: {item.exception_info}")
            for hit in item.result.get("unexpected_index_list") or []:
                failures.append((position, hit))
        return failures


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

"""The census (部件普查) quality gate: a GX suite generated from the catalogue edition and the area tree, and the
spatial/set rules that need the whole batch and the warehouse (DuckDB SQL).

The suite runs on the *prepared* frame of :mod:`census_loaders.prepare` (canonical columns plus derived helper
columns such as ``subclass_code`` and ``admin_prefix``). Each rule has an English id stored in the quarantine and a
Chinese message for the survey team.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from quality.gx import Expectation, SuiteRunner
from szcg.errors import RowProblem

# Source-field label per canonical column, filled by the loader from the mapping (falls back to the column name).
FieldLabels = dict[str, str]


@dataclass(frozen=True)
class CensusRules:
    edition: str
    id_digits: int  # 16 (2007/2013) or 17 (2026)
    subclass_codes: frozenset[str]  # component subclasses of the edition
    district_code: str  # the district the batch declares
    required: tuple[str, ...]  # canonical fields that must be filled (checked on req_<field> as delivered)
    states: frozenset[str]
    earliest_date: dt.date
    latest_date: dt.date
    known_departments: frozenset[str] = frozenset()


def _day(day: dt.date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def census_expectations(rules: CensusRules, labels: FieldLabels) -> list[Expectation]:
    """The row-level suite: code formats, subclass exists, admin prefix, required attributes, state vocabulary,
    dates in range, coordinates usable, geometry allowed for the subclass."""

    def f(column: str) -> str:
        return labels.get(column, column)

    id_field = f("component_id")
    specs = [
        Expectation("component_id.format", "regex", "component_id", id_field,
                    f"标识码“{{value}}”格式错误：应为 {rules.id_digits} 位数字（6位行政区划+大类+小类+6位顺序码）",
                    {"regex": rf"^[0-9]{{{rules.id_digits}}}$"}),
        Expectation("component_id.subclass_unknown", "in_set", "subclass_code", id_field,
                    f"标识码中的小类代码“{{value}}”不在 {rules.edition} 部件目录中",
                    {"value_set": rules.subclass_codes}),
        Expectation("component_id.admin_prefix", "in_set", "admin_prefix", id_field,
                    f"标识码前 6 位“{{value}}”不是所报区县 {rules.district_code} 的行政区划代码",
                    {"value_set": {rules.district_code}}),
        Expectation("grid_code.format", "regex", "grid_code", f("grid_code"),
                    "单元网格代码“{value}”格式错误：应为 15 位数字", {"regex": r"^[0-9]{15}$"}),
        Expectation("state.vocabulary", "null", "state_unknown", f("state"),
                    "部件状态“{value}”不在状态词表中（完好/破损/丢失/占用/废弃/移除）"),
        Expectation("initial_date.format", "null", "initial_date_unparsed", f("initial_date"),
                    "初始日期“{value}”无法识别（应为 YYYYMMDD 或 YYYY-MM-DD）"),
        Expectation("change_date.format", "null", "change_date_unparsed", f("change_date"),
                    "变更日期“{value}”无法识别（应为 YYYYMMDD 或 YYYY-MM-DD）"),
        Expectation("initial_date.range", "between", "initial_date_day", f("initial_date"),
                    f"初始日期 {{value}} 不在 {rules.earliest_date:%Y%m%d} 至 {rules.latest_date:%Y%m%d} 之间",
                    {"min_value": _day(rules.earliest_date), "max_value": _day(rules.latest_date)}),
        Expectation("change_date.range", "between", "change_date_day", f("change_date"),
                    f"变更日期 {{value}} 不在 {rules.earliest_date:%Y%m%d} 至 {rules.latest_date:%Y%m%d} 之间",
                    {"min_value": _day(rules.earliest_date), "max_value": _day(rules.latest_date)}),
        Expectation("coordinates.missing", "null", "coord_missing", f("x"), "缺少坐标（X/Y 为空或不是数字）：{value}"),
        Expectation("coordinates.swapped", "null", "coord_swapped", f("x"),
                    "坐标疑似经纬度颠倒（X 为纬度、Y 为经度）：{value}"),
        Expectation("coordinates.mixed_crs", "null", "coord_mixed", f("x"),
                    "坐标系与本文件其他行不一致（混用经纬度与平面坐标）：{value}"),
        Expectation("coordinates.unrecognised", "null", "coord_unknown", f("x"),
                    "坐标无法识别为经纬度或高斯-克吕格平面坐标：{value}"),
        Expectation("geometry.type_not_allowed", "null", "geometry_mismatch", "geometry",
                    "几何类型不符合该小类要求：{value}"),
        # One row is one component with one identifier: a MultiPoint of several points is several positions for
        # it, and keeping one of them would lose the others silently.
        Expectation("geometry.multipoint", "null", "geometry_multipoint", "geometry",
                    "几何为多点（MultiPoint，{value} 个点）：一行只能是一个部件、一个位置；请拆分为每个部件一行，"
                    "各有自己的标识码"),
    ]
    if rules.known_departments:
        specs.append(Expectation(
            "owner_department_code.unknown", "null", "owner_department_unknown", f("owner_department_code"),
            "主管部门代码“{value}”既不是已登记的部门代码，也不是 18 位统一社会信用代码"))
    for column in rules.required:
        specs.append(Expectation(f"{column}.required", "not_null", f"req_{column}", f(column), "必填字段为空"))
    return specs


# --- the suite on a staged batch (DuckDB table → small value frames → GX) ----------------------------------------
# A digits-only format (^[0-9]{n}$) cannot tell one digit from another: every all-digit value may be reduced to
# the digit count before GX sees it (other values are kept as they are), so a million distinct identifiers become
# one or two values to validate — with the same verdict for every row.
_DIGITS_ONLY = re.compile(r"\^\[0-9\]\{\d+\}\$")


def _digits_only(spec: Expectation) -> bool:
    return spec.kind == "regex" and bool(_DIGITS_ONLY.fullmatch(str(spec.params.get("regex", ""))))


def _all_digits(spec: Expectation) -> str:
    """SQL: the value of ``spec``'s column is all ASCII digits (regexp [0-9]+). The usual value — digits of the
    format's length — is told by a GLOB of that many digit classes (≈ 40 % cheaper than the regex); only the
    others reach the regex (CASE evaluates its ELSE for those rows only)."""
    digits = int(re.findall(r"\d+", str(spec.params["regex"]))[-1])
    return (f"CASE WHEN {spec.column} GLOB '{'[0-9]' * digits}' THEN true"
            f" ELSE regexp_full_match({spec.column}, '[0-9]+') END")


def _distinct_values(con: Any, table: str, spec: Expectation) -> pd.Series:
    """The values GX validates for ``spec``: the column's distinct non-null values; for a digits-only format the
    all-digit values reduced to '0' × their length (grouped in SQL by length: no string is built per row)."""
    column = spec.column
    if not _digits_only(spec):
        return con.execute(f"SELECT DISTINCT {column} AS v FROM {table} WHERE {column} IS NOT NULL ORDER BY v"
                           ).df()["v"]
    rows = con.execute(
        f"SELECT DISTINCT CASE WHEN digits THEN length({column}) END AS n, CASE WHEN NOT digits THEN {column} END AS v"
        f" FROM (SELECT {column}, {_all_digits(spec)} AS digits FROM {table}"
        f" WHERE {column} IS NOT NULL) ORDER BY n, v").fetchall()
    return pd.Series(["0" * int(n) if n is not None else v for n, v in rows], dtype=object)


def _rows_holding(spec: Expectation, bad: list[Any]) -> tuple[str, list[Any]]:
    """SQL condition (and its parameter) selecting the rows that hold one of the failing values ``bad``."""
    if not _digits_only(spec):
        return f"{spec.column} IN (SELECT unnest(?))", [bad]
    lengths = [len(v) for v in bad if isinstance(v, str) and v and set(v) == {"0"}]
    others = [v for v in bad if not (isinstance(v, str) and v and set(v) == {"0"})]
    return (f"((regexp_full_match({spec.column}, '[0-9]+') AND length({spec.column}) IN (SELECT unnest(?)))"
            f" OR {spec.column} IN (SELECT unnest(?)))"), [lengths, others]


def run_suite_on_table(con: Any, runner: SuiteRunner, table: str, file_name: str) -> list[RowProblem]:
    """Every (row, expectation) of ``runner``'s suite that fails on the DuckDB table ``table`` (a ``row_number``
    column plus the suite's columns), as RowProblems — the problems ``SuiteRunner.run`` gives on the same rows.

    GX validates small frames built in SQL (:func:`suite_values`); the failing values are mapped back to the rows
    holding them in SQL (:func:`rows_failing`). The census load runs the GX step between the two on a thread of
    its own, beside DuckDB's work."""
    return rows_failing(con, runner, runner.failing_values(suite_values(con, runner, table)), table, file_name)


def suite_values(con: Any, runner: SuiteRunner, table: str) -> dict[int, pd.Series]:
    """Per position in ``runner.specs``, the values GX has to see to judge every row of ``table``: for null/not-null
    rules one null and one non-null value of the column; for the other rules the column's distinct values
    (digits-only formats: see :func:`_distinct_values`)."""
    from quality.gx import NULLNESS_KINDS, VALUE_KINDS

    specs = runner.specs
    if any(s.kind not in VALUE_KINDS for s in specs):
        raise ValueError("run_suite_on_table checks value rules only (a unique rule needs the rows)")
    nullness = list(dict.fromkeys(s.column for s in specs if s.kind in NULLNESS_KINDS))
    # the value rules' columns, each with the first spec that reads it so (its values serve every such spec)
    keyed = {(s.column, _digits_only(s)): s for s in reversed(specs) if s.kind not in NULLNESS_KINDS}
    firsts = [keyed[k] for k in dict.fromkeys((s.column, _digits_only(s)) for s in specs
                                              if s.kind not in NULLNESS_KINDS)]
    values: dict[int, pd.Series] = {}
    if not nullness and not firsts:
        return values
    # One scan for every column: per null/not-null column whether it has a null and one of its non-null values;
    # per value column whether it holds a single value for GX (one district's prefix, one survey date,
    # identifiers all of one length — the usual batch), which then needs no DISTINCT query (_single_values).
    # (each derived value computed once, in the inner projection; the aggregates read it)
    inner = [f"{c} AS z{n}" for n, c in enumerate(nullness)] + [p for k, s in enumerate(firsts)
                                                                for p in _single_sql(s, k)[0]]
    outer = [f"bool_or(z{n} IS NULL), any_value(z{n})" for n in range(len(nullness))] + [
        _single_sql(s, k)[1] for k, s in enumerate(firsts)]
    result = con.sql(f"SELECT {', '.join(outer)} FROM (SELECT {', '.join(inner)} FROM {table})")
    types = [str(t) for t in result.types]
    picks = result.fetchone()
    for n, column in enumerate(nullness):
        has_null, value = picks[2 * n], picks[2 * n + 1]
        series = pd.Series(([None] if has_null else []) + ([value] if value is not None else []), dtype=object)
        for i, s in enumerate(specs):
            if s.kind in NULLNESS_KINDS and s.column == column:
                values[i] = series
    distinct: dict[tuple[str, bool], pd.Series] = {}
    for k, s in enumerate(firsts):
        at = 2 * len(nullness) + 5 * k
        single = _single_values(con, s, picks[at:at + 5], types[at + 1])
        distinct[(s.column, _digits_only(s))] = single if single is not None else _distinct_values(con, table, s)
    for i, s in enumerate(specs):
        if s.kind not in NULLNESS_KINDS:
            values[i] = distinct[(s.column, _digits_only(s))]
    return values


# Types whose values come back from a query parameter exactly as stored.
_PLAIN_TYPES = ("VARCHAR", "BIGINT", "INTEGER", "DOUBLE")


def _single_sql(spec: Expectation, k: int) -> tuple[list[str], str]:
    """The projections over ``spec``'s column and five aggregates of them telling whether GX's values for it are
    known without a DISTINCT: for a digits-only format the count of all-digit values, whether their lengths are
    one, that length, whether the other values are at most one, that value; else the count, min and max of the
    values (and two fillers)."""
    column = spec.column
    if not _digits_only(spec):
        return [f"{column} AS a{k}"], f"count(a{k}), min(a{k}), max(a{k}), NULL, NULL"
    digits = _all_digits(spec)
    return ([f"CASE WHEN {digits} THEN length({column}) END AS n{k}",
             f"CASE WHEN NOT ({digits}) THEN {column} END AS v{k}"],
            f"count(n{k}), min(n{k}) = max(n{k}), min(n{k}), count(v{k}) = 0 OR min(v{k}) = max(v{k}), min(v{k})")


def _single_values(con: Any, spec: Expectation, agg: tuple[Any, ...], value_type: str) -> pd.Series | None:
    """What :func:`_distinct_values` gives for ``spec``, when :func:`_single_sql`'s aggregates ``agg`` show its
    values (per group, for a digits-only format) are a single one — the same values, order and dtype; else None."""
    if not _digits_only(spec):
        count, low, high, _, _ = agg
        if not count or low != high or value_type not in _PLAIN_TYPES:
            return None
        # through DuckDB's DataFrame, as the DISTINCT query's: the same dtype whatever pandas makes of the type
        return con.execute(f"SELECT $1::{value_type} AS v", [low]).df()["v"]
    count, one_length, length, one_other, other = agg
    if (count and not one_length) or not one_other:
        return None
    # ORDER BY n, v: the all-digit values' length first, then the other value (NULL n sorts last)
    return pd.Series((["0" * int(length)] if count else []) + ([other] if other is not None else []), dtype=object)


def rows_failing(con: Any, runner: SuiteRunner, failing: Mapping[int, pd.Series], table: str,
                 file_name: str) -> list[RowProblem]:
    """The rows of ``table`` holding the values GX failed (``runner.failing_values``), as RowProblems."""
    from quality.gx import NULLNESS_KINDS

    specs = runner.specs
    problems: list[RowProblem] = []
    for i, bad in sorted(failing.items()):
        s = specs[i]
        if s.kind in NULLNESS_KINDS:
            where = f"{s.column} IS NULL" if bool(bad.isna().all()) else f"{s.column} IS NOT NULL"
            params: list[Any] = []
        else:
            where, params = _rows_holding(s, [v.item() if hasattr(v, "item") else v for v in bad.dropna().tolist()])
        rows = con.execute(f"SELECT row_number, {s.column} FROM {table} WHERE {where} ORDER BY row_number",
                           params).fetchall()
        problems += [runner.row_problem(i, int(row), value, file_name) for row, value in rows]
    return problems


# --- set and spatial rules (DuckDB) -------------------------------------------------------------------------------
# Each query returns (row_number, message) for rows of the staging table ``stage``; ``loc`` holds, per staged row
# with a position, the spatial join result (row_number, grid_code as declared, lon, lat, located_grid,
# point_district, in_city, in_district).


@dataclass(frozen=True)
class SqlRule:
    rule: str
    field: str  # canonical column; mapped to the source field label by the loader
    sql: str


def census_sql_rules(duplicate_distance_m: float, max_move_m: float, metres_per_degree_lon: float) -> list[SqlRule]:
    mx = metres_per_degree_lon
    my = 110_574.0
    return [
        SqlRule("location.outside_city", "x",
                "SELECT s.row_number, '坐标 (' || round(s.lon, 6) || ', ' || round(s.lat, 6) || ') 不在本市范围内'"
                " FROM loc s WHERE NOT s.in_city"),
        SqlRule("location.outside_district", "x",
                "SELECT s.row_number, '坐标 (' || round(s.lon, 6) || ', ' || round(s.lat, 6) || ') 不在所报区县 '"
                " || $district || ' 范围内' || coalesce('（位于 ' || s.point_district || '）', '')"
                " FROM loc s WHERE s.in_city AND NOT s.in_district"),
        SqlRule("grid.unknown", "grid_code",
                "SELECT s.row_number, '单元网格代码 ' || s.grid_code || ' 不是现行单元网格'"
                " FROM stage s WHERE s.grid_code IS NOT NULL AND length(s.grid_code) = 15"
                " AND s.grid_code NOT IN (SELECT grid_code FROM current_grid)"),
        SqlRule("grid.mismatch", "grid_code",
                "SELECT l.row_number, '所报单元网格 ' || l.grid_code || ' 与坐标所在网格 ' || l.located_grid"
                " || ' 不一致'"
                " FROM loc l WHERE l.grid_code IS NOT NULL"
                " AND l.located_grid IS NOT NULL AND l.grid_code <> l.located_grid"
                " AND l.grid_code IN (SELECT grid_code FROM current_grid)"),
        SqlRule("grid.not_found", "x",
                "SELECT l.row_number, '坐标位于所报区县内，但不在任何单元网格内（网格未覆盖）'"
                " FROM loc l WHERE l.in_district AND l.located_grid IS NULL"),
        SqlRule("component_id.duplicate_in_batch", "component_id",
                # The repeated ids: first the repeated hashes of ids (grouping 64-bit numbers is cheaper than
                # grouping the strings), then the ids themselves among the few rows holding one — a collision
                # only adds rows to that exact grouping. Row numbers are listed only for the repeated ids.
                "WITH h AS (SELECT hash(component_id) AS h FROM stage WHERE component_id IS NOT NULL GROUP BY 1"
                " HAVING count(*) > 1), c AS (SELECT row_number, component_id FROM stage"
                " WHERE component_id IS NOT NULL AND hash(component_id) IN (SELECT h FROM h)),"
                " d AS (SELECT component_id FROM c GROUP BY component_id HAVING count(*) > 1),"
                " r AS (SELECT s.component_id, string_agg(s.row_number::VARCHAR, ', ' ORDER BY s.row_number) AS rows"
                " FROM c s SEMI JOIN d USING (component_id) GROUP BY 1)"
                " SELECT s.row_number, '标识码 ' || s.component_id || ' 在本批中重复出现（第 ' || r.rows || ' 行）'"
                " FROM c s JOIN r USING (component_id)"),
        SqlRule("position.duplicate", "x", _duplicate_positions_sql(duplicate_distance_m, mx, my)),
        SqlRule("component_id.duplicate_across_batches", "component_id",
                f"SELECT s.row_number, '标识码 ' || s.component_id || ' 已被批次 ' || c.change_source"
                f" || ' 中另一部件使用"
                f"（相距 ' || round(sqrt(power((s.lon - c.lon) * {mx}, 2) + power((s.lat - c.lat) * {my}, 2)))"
                f" || ' 米）'"
                f" FROM stage s JOIN core.component c ON c.component_id = s.component_id AND c.valid_to IS NULL"
                f" WHERE s.lon IS NOT NULL AND c.lon IS NOT NULL AND sqrt(power((s.lon - c.lon) * {mx}, 2)"
                f" + power((s.lat - c.lat) * {my}, 2)) > {max_move_m}"),
    ]


# Cells of the duplicate-position rule are this many times the distance: a point within the distance of a cell's
# edge (a quarter of its width at 8) is looked up in the neighbour beyond that edge, so most points need one lookup
# instead of five; the cells stay small enough (4 m at 0.5 m) that a dense subclass (trees every few metres) does not
# fill them with candidate pairs.
_CELL_FACTOR = 8
# Margin (in cell widths) on the edge tests: a rounding error may only add a lookup, never miss one.
_EDGE_MARGIN = 1e-3


def _duplicate_positions_sql(d: float, mx: float, my: float) -> str:
    """position.duplicate: each point paired with the earliest other component of its subclass within ``d`` metres.

    Two points closer than d lie in the same or in adjacent cells of a grid of size s = 8d, and the neighbour of a
    point's pair lies beyond the edge (or the corner) the point is within d of: each point is looked up (hash join
    on subclass + cell) in its own cell and only in the neighbours beyond the edges and corner it is that close to —
    ≈ 1.6 lookups per point against 5 on cells of size d. Cell keys are hashed; a collision only adds a candidate,
    which the exact tests drop. The join carries numbers only (subclass, row, position); the identifiers are compared
    for the few pairs found close (a subclass is only staged for a well-formed, all-digit identifier: compared as
    numbers, as before)."""
    s = _CELL_FACTOR * d
    near = d / s + _EDGE_MARGIN if s else 0.0  # d = 0: x / 0 fails the BIGINT cast, as it always did
    return (
        f"WITH c AS (SELECT row_number, subclass_code::INTEGER AS sc, lon * {mx} AS x, lat * {my} AS y,"
        f"  x / {s} AS u, y / {s} AS v, floor(u)::BIGINT AS cx, floor(v)::BIGINT AS cy,"
        f"  CASE WHEN u - floor(u) < {near} THEN -1 WHEN u - floor(u) > {1 - near} THEN 1 ELSE 0 END AS sx,"
        f"  CASE WHEN v - floor(v) < {near} THEN -1 WHEN v - floor(v) > {1 - near} THEN 1 ELSE 0 END AS sy"
        f"  FROM stage WHERE lon IS NOT NULL AND subclass_code IS NOT NULL),"
        f" q AS (SELECT row_number, sc, x, y, hash(sc, cx, cy) AS h FROM c"
        f"  UNION ALL SELECT row_number, sc, x, y, hash(sc, cx + sx, cy) FROM c WHERE sx <> 0"
        f"  UNION ALL SELECT row_number, sc, x, y, hash(sc, cx, cy + sy) FROM c WHERE sy <> 0"
        f"  UNION ALL SELECT row_number, sc, x, y, hash(sc, cx + sx, cy + sy) FROM c WHERE sx <> 0 AND sy <> 0),"
        f" k AS (SELECT row_number, sc, x, y, hash(sc, cx, cy) AS h FROM c),"
        f" close AS (SELECT a.row_number AS ra, b.row_number AS rb FROM q a JOIN k b ON b.h = a.h"
        f"  WHERE b.sc = a.sc AND b.row_number > a.row_number"
        f"  AND sqrt(power(b.x - a.x, 2) + power(b.y - a.y, 2)) < {d}),"
        f" ids AS (SELECT row_number, component_id::HUGEINT AS id FROM stage"
        f"  WHERE row_number IN (SELECT ra FROM close UNION ALL SELECT rb FROM close)),"
        f" pairs AS (SELECT greatest(ra, rb) AS later, least(ra, rb) AS earlier FROM close"
        f"  JOIN ids ia ON ia.row_number = ra JOIN ids ib ON ib.row_number = rb WHERE ia.id IS DISTINCT FROM ib.id)"
        f" SELECT later, '与第 ' || min(earlier) || ' 行同一小类部件位置重复（相距不足 "
        f"{d:g} 米）' FROM pairs GROUP BY later")


# 统一社会信用代码 (GB 32100): what GB/T 47678.5-2026 puts in 主管部门代码.
USCC_PATTERN = r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}"


def component_history_problems(con: Any) -> list[str]:
    """SCD2 invariants of core.component: one version per (component_id, valid_from) — the table's key, kept by
    this audit and the census load since migration 0070 dropped the index —, one current version per component,
    versions that do not overlap."""
    problems = [f"component {c}: {n} versions from {f}" for c, f, n in con.execute(
        "SELECT component_id, valid_from, count(*) FROM core.component GROUP BY 1, 2 HAVING count(*) > 1"
        " ORDER BY 1, 2 LIMIT 20").fetchall()]
    problems += [f"component {c} has {n} current versions" for c, n in con.execute(
        "SELECT component_id, count(*) FROM core.component WHERE valid_to IS NULL GROUP BY 1 HAVING count(*) > 1"
        " LIMIT 20").fetchall()]
    problems += [f"component {c}: version from {f} ends at {t}, not after it" for c, f, t in con.execute(
        "SELECT component_id, valid_from, valid_to FROM core.component WHERE valid_to <= valid_from LIMIT 20"
    ).fetchall()]
    problems += [f"component {c}: versions from {a} and {b} overlap" for c, a, b in con.execute(
        "SELECT component_id, valid_from, next_from FROM (SELECT component_id, valid_from, valid_to,"
        " lead(valid_from) OVER (PARTITION BY component_id ORDER BY valid_from) AS next_from"
        " FROM core.component) WHERE next_from IS NOT NULL AND (valid_to IS NULL OR valid_to > next_from) LIMIT 20"
    ).fetchall()]
    return problems


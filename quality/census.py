"""The census (部件普查) quality gate: a GX suite generated from the catalogue edition and the area tree, and the
spatial/set rules that need the whole batch and the warehouse (DuckDB SQL).

The suite runs on the *prepared* frame of :mod:`census_loaders.prepare` (canonical columns plus derived helper
columns such as ``subclass_code`` and ``admin_prefix``). Each rule has an English id stored in the quarantine and a
Chinese message for the survey team.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from quality.gx import Expectation
from warehouse.audits import register_audit

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
    ]
    if rules.known_departments:
        specs.append(Expectation(
            "owner_department_code.unknown", "null", "owner_department_unknown", f("owner_department_code"),
            "主管部门代码“{value}”既不是已登记的部门代码，也不是 18 位统一社会信用代码"))
    for column in rules.required:
        specs.append(Expectation(f"{column}.required", "not_null", f"req_{column}", f(column), "必填字段为空"))
    return specs


# --- set and spatial rules (DuckDB) -------------------------------------------------------------------------------
# Each query returns (row_number, field, rule, message) for rows of the staging table ``stage``; ``loc`` holds the
# spatial join result (row_number, located_grid, located_district, in_city, in_district).


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
                " FROM stage s JOIN loc l USING (row_number) WHERE s.lon IS NOT NULL AND NOT l.in_city"),
        SqlRule("location.outside_district", "x",
                "SELECT s.row_number, '坐标 (' || round(s.lon, 6) || ', ' || round(s.lat, 6) || ') 不在所报区县 '"
                " || $district || ' 范围内' || coalesce('（位于 ' || l.point_district || '）', '')"
                " FROM stage s JOIN loc l USING (row_number) WHERE s.lon IS NOT NULL AND l.in_city"
                " AND NOT l.in_district"),
        SqlRule("grid.unknown", "grid_code",
                "SELECT s.row_number, '单元网格代码 ' || s.grid_code || ' 不是现行单元网格'"
                " FROM stage s WHERE s.grid_code IS NOT NULL AND length(s.grid_code) = 15"
                " AND s.grid_code NOT IN (SELECT grid_code FROM current_grid)"),
        SqlRule("grid.mismatch", "grid_code",
                "SELECT s.row_number, '所报单元网格 ' || s.grid_code || ' 与坐标所在网格 ' || l.located_grid"
                " || ' 不一致'"
                " FROM stage s JOIN loc l USING (row_number) WHERE s.grid_code IS NOT NULL"
                " AND l.located_grid IS NOT NULL AND s.grid_code <> l.located_grid"
                " AND s.grid_code IN (SELECT grid_code FROM current_grid)"),
        SqlRule("grid.not_found", "x",
                "SELECT s.row_number, '坐标位于所报区县内，但不在任何单元网格内（网格未覆盖）'"
                " FROM stage s JOIN loc l USING (row_number) WHERE s.lon IS NOT NULL AND l.in_district"
                " AND l.located_grid IS NULL"),
        SqlRule("component_id.duplicate_in_batch", "component_id",
                # Find the repeated ids with a plain hash aggregate first; list row numbers only for those.
                "WITH d AS (SELECT component_id FROM stage WHERE component_id IS NOT NULL GROUP BY component_id"
                " HAVING count(*) > 1), r AS (SELECT s.component_id, string_agg(s.row_number::VARCHAR, ', '"
                " ORDER BY s.row_number) AS rows FROM stage s SEMI JOIN d USING (component_id) GROUP BY 1)"
                " SELECT s.row_number, '标识码 ' || s.component_id || ' 在本批中重复出现（第 ' || r.rows || ' 行）'"
                " FROM stage s JOIN r USING (component_id)"),
        SqlRule("position.duplicate", "x",
                # Two points closer than d share a cell of size 2d in at least one of four grids shifted by 0 or
                # d on each axis: count per cell (cheap aggregates), compare pairs only inside crowded cells.
                f"WITH p AS (SELECT row_number, subclass_code, component_id, lon, lat, lon * {mx} AS x,"
                f"  lat * {my} AS y FROM stage WHERE lon IS NOT NULL AND subclass_code IS NOT NULL),"
                # The crowded cells are found by one hash of (subclass, shift, cell) — a collision only adds
                # candidates, which the exact join below drops; k is materialised as it is read twice.
                f" k AS MATERIALIZED (SELECT *, hash(subclass_code, shift, cx, cy) AS h FROM (SELECT p.row_number,"
                f"  p.subclass_code, p.component_id, p.x, p.y, o.shift,"
                f"  floor((x + o.ox) / {2 * duplicate_distance_m})::BIGINT AS cx,"
                f"  floor((y + o.oy) / {2 * duplicate_distance_m})::BIGINT AS cy FROM p,"
                f"  (VALUES (0, 0.0, 0.0), (1, {duplicate_distance_m}, 0.0), (2, 0.0, {duplicate_distance_m}),"
                f"   (3, {duplicate_distance_m}, {duplicate_distance_m})) o(shift, ox, oy))),"
                f" crowded AS (SELECT k.* FROM k SEMI JOIN (SELECT h FROM k GROUP BY h HAVING count(*) > 1) c"
                f"  USING (h))"
                f" SELECT b.row_number, '与第 ' || min(a.row_number) || ' 行同一小类部件位置重复（相距不足 "
                f"{duplicate_distance_m:g} 米）'"
                f" FROM crowded a JOIN crowded b USING (subclass_code, shift, cx, cy)"
                f" WHERE b.row_number > a.row_number AND b.component_id IS DISTINCT FROM a.component_id"
                f"  AND sqrt(power(b.x - a.x, 2) + power(b.y - a.y, 2)) < {duplicate_distance_m}"
                f" GROUP BY b.row_number"),
        SqlRule("component_id.duplicate_across_batches", "component_id",
                f"SELECT s.row_number, '标识码 ' || s.component_id || ' 已被批次 ' || c.change_source"
                f" || ' 中另一部件使用"
                f"（相距 ' || round(sqrt(power((s.lon - c.lon) * {mx}, 2) + power((s.lat - c.lat) * {my}, 2)))"
                f" || ' 米）'"
                f" FROM stage s JOIN core.component c ON c.component_id = s.component_id AND c.valid_to IS NULL"
                f" WHERE s.lon IS NOT NULL AND c.lon IS NOT NULL AND sqrt(power((s.lon - c.lon) * {mx}, 2)"
                f" + power((s.lat - c.lat) * {my}, 2)) > {max_move_m}"),
    ]


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


# Part of every publish gate (warehouse.audits imports this module before auditing a snapshot).
register_audit("component_history")(component_history_problems)

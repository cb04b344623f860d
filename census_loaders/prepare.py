"""The batch as delivered (temp table ``raw``) → the canonical census table ``stage`` the quality suite and the load
use, in one DuckDB statement (plus a pyproj pass for the rows in projected or declared coordinate systems).

``raw`` holds the source columns as text under positional names (``c0``, ``c1`` … in the order of
``SourceFile.columns``) and, for spatial formats, ``__x``/``__y``/``__geom_type``/``__wkt``; its row number is
``rowid + 1``. ``stage`` has the columns the load writes (:data:`STAGE_COLUMNS`) and the derived columns the
expectation suite checks (``admin_prefix``, ``state_unknown``, ``*_unparsed``, ``*_day``, ``coord_*``,
``geometry_mismatch``, ``owner_department_unknown``, ``req_<field>``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from census_loaders.config import CensusConfig
from census_loaders.crs import GEOGRAPHIC, LAT_RANGE, LON_RANGE, PROJECTED, PROJECTED_ZONE, TARGET_EPSG, to_cgcs2000
from census_loaders.mapping import Mapping
from szcg.sqltext import string_literal

STAGE_COLUMNS = (
    "row_number", "component_id", "subclass_code", "name",
    "owner_department_code", "property_department_code", "maintenance_department_code",
    "grid_code", "state", "initial_date", "change_date", "valid_from", "photo",
    "lon", "lat", "geometry_wkt",
)
TEXT_FIELDS = ("component_id", "name", "owner_department_code", "owner_department_name",
               "property_department_code", "property_department_name", "maintenance_department_code",
               "maintenance_department_name", "grid_code", "state", "photo")
# What Python's str.strip() removes — the rule the survey files were always trimmed by.
WHITESPACE = "".join(c for c in map(chr, range(0x110000)) if c.isspace())
_FIRST_WIDE = min(c for c in WHITESPACE if ord(c) > 32)  # U+0085
_LAST_WIDE = max(WHITESPACE)  # U+3000


@dataclass
class PrepareContext:
    mapping: Mapping
    columns: dict[str, str]  # target -> source column in this file
    config: CensusConfig
    edition: str
    id_digits: int
    subclass_digits: int
    city_bounds: tuple[float, float, float, float]
    declared_crs: str | None  # file CRS or mapping crs
    spatial: bool
    known_departments: frozenset[str]


def _one_of(value: str, values: Any) -> str:
    """``value`` is one of ``values`` (NULL for a NULL value), as a scalar function: DuckDB plans a long ``IN (…)``
    list as a join, and a join may reorder rows — ``stage``'s row numbers are its insertion order."""
    return f"list_contains([{', '.join(string_literal(v) for v in sorted(values))}], {value})"


def define_macros(con: Any) -> None:
    """``szcg_text(v)``: the value trimmed as str.strip() does, empty → NULL. The full trim (slow in DuckDB: a
    character list of 29 kinds of space) only runs on values that start or end with a space character.
    ``szcg_text_ending(v, e)`` is the same with ``e`` = ``ord(v[-1])`` (the code point of the last character, the
    costliest part of the test) computed by the caller, once per value."""
    # Spaces beyond ASCII lie between U+0085 and U+3000: values starting or ending with a character in that range (or
    # at most U+0020) take the full trim — a few more than need it, never fewer. The first character is tested by
    # string comparison (UTF-8 order is code point order), the last by ord(v[-1]) (its code point; right(v, 1)
    # counts graphemes and is slow; an IN list of the spaces is planned as a join). Inside the macro ord(v[-1])
    # would be evaluated twice for values ending beyond ASCII (both sides of the OR): the caller passes it.
    con.execute(
        "CREATE OR REPLACE TEMP MACRO szcg_text_ending(v, e) AS CASE WHEN v = '' THEN NULL"
        f" WHEN v >= '!' AND (v < '{_FIRST_WIDE}' OR v >= '{chr(ord(_LAST_WIDE) + 1)}') AND (e BETWEEN 33 AND"
        f" {ord(_FIRST_WIDE) - 1} OR e > {ord(_LAST_WIDE)}) THEN v"
        f" ELSE nullif(trim(v, {string_literal(WHITESPACE)}), '') END")
    con.execute("CREATE OR REPLACE TEMP MACRO szcg_text(v) AS szcg_text_ending(v, ord(v[-1]))")


def _kind_sql(x: str, y: str, declared_crs: str | None) -> str:
    """What each (x, y) looks like — census_loaders.crs.classify in SQL; with a declared CRS every usable row is of
    that CRS's kind, swapped lat/lon still detected for a geographic one."""
    lonlat = f"{x} BETWEEN {LON_RANGE[0]} AND {LON_RANGE[1]} AND {y} BETWEEN {LAT_RANGE[0]} AND {LAT_RANGE[1]}"
    swapped = f"{y} BETWEEN {LON_RANGE[0]} AND {LON_RANGE[1]} AND {x} BETWEEN {LAT_RANGE[0]} AND {LAT_RANGE[1]}"
    northing = f"{y} BETWEEN 300000 AND 6000000"
    missing = f"WHEN {x} IS NULL OR {y} IS NULL THEN 'missing'"
    if declared_crs is not None:
        from pyproj import CRS

        if CRS.from_user_input(declared_crs).is_geographic:
            return f"CASE {missing} WHEN NOT ({lonlat}) AND ({swapped}) THEN 'swapped' ELSE '{GEOGRAPHIC}' END"
        return f"CASE {missing} ELSE '{PROJECTED}' END"
    # The kinds' ranges do not overlap, so the usual one (lon/lat) is tested first.
    return (f"CASE WHEN {lonlat} THEN '{GEOGRAPHIC}' {missing}"
            f" WHEN {x} >= 25000000 AND {x} < 46000000 AND {northing} THEN '{PROJECTED_ZONE}'"
            f" WHEN {x} >= 100000 AND {x} < 1000000 AND {northing} THEN '{PROJECTED}'"
            f" WHEN {swapped} THEN 'swapped' ELSE 'unknown' END")


def _own_lower_case(word: str) -> bool:
    """``word`` is its own lower case for any lower(): lower-case ASCII, digits, punctuation and characters without
    case (Chinese); anything else (capitals, cased letters beyond ASCII) is left to lower()."""
    return all(not c.isupper() if c.isascii() else c.lower() == c == c.upper() for c in word)


def _number(ctx: PrepareContext, position: dict[str, int], axis: str) -> str:
    """The coordinate ``axis`` as a DOUBLE: the delivered text trimmed as str.strip() does, then cast — but the trim
    (a test of both ends of every value) only where the text as delivered does not cast. DuckDB's cast itself skips
    leading and trailing ASCII whitespace (all of it whitespace to str.strip()), so a value it casts as delivered
    casts to the same number trimmed; any other space (U+3000, U+00A0, U+001C …) fails the cast and takes the trim.
    COALESCE evaluates its second argument only for the rows whose first is NULL."""
    column = f"c{position[ctx.columns[axis]]}"
    return f"coalesce(TRY_CAST({column} AS DOUBLE), TRY_CAST(szcg_text({column}) AS DOUBLE))"


def _declared_is_target(declared_crs: str | None) -> bool:
    if declared_crs is None:
        return False
    from pyproj import CRS

    return CRS.from_user_input(declared_crs).to_epsg() == TARGET_EPSG


def stage_sql(ctx: PrepareContext, source_columns: list[str], relation: str = "raw") -> str:
    """CREATE TEMP TABLE stage AS … FROM ``relation`` (``raw``, or DuckDB's CSV reader itself: the rows are stored
    once): mapping, trimming, state words, identifier parts, dates, coordinates (lon/lat filled here for lon/lat
    rows; rows needing pyproj are filled by :func:`finish_coordinates`), geometry kind and department codes — the
    rules of the former per-chunk pandas preparation, row for row — plus what the quarantine needs to give a row as
    delivered (:func:`delivered_record_sql`). ``row_number`` is left NULL: :func:`create_stage` sets it."""
    position = {name: i for i, name in enumerate(source_columns)}

    used: dict[int, None] = {}

    def text(target: str) -> str:
        column = ctx.columns.get(target)
        if column is None:
            return "NULL::VARCHAR"
        used[position[column]] = None
        return f"t{position[column]}"

    parts: list[str] = ["NULL::BIGINT AS row_number"]
    for target in TEXT_FIELDS:
        if target not in ("state",):
            parts.append(f"{text(target)} AS {target}")
    parts.append(f"{text('state')} AS state_text")
    for target in _stored_required(ctx):
        parts.append(f"{text(target)} AS req_{target}")
    for target in ("initial_date", "change_date"):
        parts.append(f"{text(target)} AS {target}_text")
    if ctx.spatial:
        # NaN as no value (DuckDB's NaN equals NaN); nullif evaluates its argument once
        parts += ["nullif(__x, 'NaN'::DOUBLE) AS x_in", "nullif(__y, 'NaN'::DOUBLE) AS y_in",
                  "__geom_type AS geom_type", "__wkt AS wkt"]
    else:
        for axis in ("x", "y"):
            parts.append(f"nullif({_number(ctx, position, axis)}, 'NaN'::DOUBLE) AS {axis}_in")
        parts += ["NULL::VARCHAR AS geom_type", "NULL::VARCHAR AS wkt"]
    kept, listed = _delivered_plan(ctx, source_columns)
    # As delivered: the source columns stage keeps no trimmed copy of, and — only on rows where trimming changed one
    # of the others, or the grid is missing (the load may assign one) — those others as one list.
    if listed:
        changed = " OR ".join([f"c{i} IS DISTINCT FROM t{i}" for i, _ in listed]
                              + [f"t{i} IS NULL" for i, target in listed if target == "grid_code"])
        parts.append(f"CASE WHEN {changed} THEN [{', '.join(f'c{i}' for i, _ in listed)}] END AS delivered_list")
    else:
        parts.append("NULL::VARCHAR[] AS delivered_list")
    parts += [f"{column} AS delivered_{column}" for column in kept]
    # Each source column trimmed once, however many fields read it; its last character's code point computed once.
    # (the coordinates are cast from the columns as delivered: see _number)
    numbers = [] if ctx.spatial else [f"c{position[ctx.columns[a]]}" for a in ("x", "y")]
    trimmed = ", ".join([f"szcg_text_ending(c{i}, e{i}) AS t{i}" for i in used]
                        + (["__x", "__y", "__geom_type", "__wkt"] if ctx.spatial else [])
                        + list(dict.fromkeys([*(c for c in kept if c not in GEO_KEPT),
                                              *(f"c{i}" for i, _ in listed), *numbers])))
    endings = ", ".join(f"ord(c{i}[-1]) AS e{i}" for i in used)
    mapped = (f"SELECT {', '.join(parts)} FROM (SELECT {trimmed} FROM (SELECT *"
              f"{', ' + endings if endings else ''} FROM {relation}))")

    # State words: the mapping's own words first, then the census vocabulary.
    states = ctx.config.states
    vocabulary = {**states, **{v: v for v in set(states.values())}}
    lookup = {**vocabulary, **{w: vocabulary.get(v.lower(), v) for w, v in ctx.mapping.values.get("state", {}).items()}}
    state_case = ("CASE lower(state_text) " + " ".join(f"WHEN {string_literal(w)} THEN {string_literal(s)}"
                                                        for w, s in sorted(lookup.items())) + " END")
    # The words lower() leaves as they are (Chinese, digits, lower-case ASCII) compared as delivered first: lower()
    # of Chinese text is the costly part, and a word equal to one of them is its own lower case.
    exact = sorted((w, s) for w, s in lookup.items() if _own_lower_case(w))
    if exact:
        state_case = ("coalesce(CASE state_text " + " ".join(f"WHEN {string_literal(w)} THEN {string_literal(s)}"
                                                             for w, s in exact) + f" END, {state_case})")
    # exactly id_digits ASCII digits (as the regex [0-9]{n} says; a GLOB of n classes is the cheaper test)
    good_id = f"component_id GLOB '{'[0-9]' * ctx.id_digits}'"
    dates = {}
    for target in ("initial_date", "change_date"):
        tries = [f"try_strptime({target}_text, {string_literal(f)})" for f in ctx.mapping.date_formats]
        dates[target] = tries[0] if len(tries) == 1 else f"coalesce({', '.join(tries)})"
    kind = _kind_sql("x_in", "y_in", ctx.declared_crs)
    # lon/lat straight from the values where no transformation is needed; the rest come from pyproj.
    direct = (f"coord_kind = '{GEOGRAPHIC}'" if ctx.declared_crs is None or _declared_is_target(ctx.declared_crs)
              else "false")
    special = ctx.config.geometry_types.get(ctx.edition, {})
    lines, polygons = special.get("line", frozenset()), special.get("polygon", frozenset())
    allowed = ("CASE WHEN subclass_code IS NULL THEN NULL"
               + (f" WHEN {_one_of('subclass_code', polygons)} THEN 'polygon'" if polygons else "")
               + (f" WHEN {_one_of('subclass_code', lines)} THEN 'line'" if lines else "")
               + " ELSE 'point' END")
    actual = ("CASE WHEN geom_type LIKE '%Point%' THEN 'point' WHEN geom_type LIKE '%Line%' THEN 'line'"
              " WHEN geom_type LIKE '%Polygon%' THEN 'polygon' END" if ctx.spatial else "'point'")
    shown = ("'X=' || coalesce(x_in::VARCHAR, 'nan') || ', Y=' || coalesce(y_in::VARCHAR, 'nan')")
    owner_unknown = "NULL::VARCHAR"
    if ctx.known_departments:
        from quality.census import USCC_PATTERN

        owner_unknown = (f"CASE WHEN owner_department_code IS NULL OR"
                         f" {_one_of('owner_department_code', ctx.known_departments)} OR regexp_full_match("
                         f"owner_department_code, {string_literal(USCC_PATTERN)}) THEN NULL ELSE owner_department_code"
                         " END")
    required = ", ".join(f"req_{t}" for t in _stored_required(ctx))
    return f"""
CREATE OR REPLACE TEMP TABLE stage AS
WITH m AS ({mapped}),
 d AS (SELECT *, {state_case} AS state, {dates['initial_date']} AS initial_date,
  {dates['change_date']} AS change_date, {good_id} AS good_id, {kind} AS coord_kind FROM m),
 i AS (SELECT *, CASE WHEN good_id THEN substr(component_id, 7, {ctx.subclass_digits}) END AS subclass_code,
  {actual} AS geometry FROM d),
 a AS (SELECT *, {allowed} AS allowed FROM i)
SELECT row_number, component_id, subclass_code, name,
 owner_department_code, property_department_code, maintenance_department_code, grid_code,
 state, CASE WHEN state IS NULL AND state_text IS NOT NULL THEN state_text END AS state_unknown,
 initial_date, change_date, coalesce(change_date, initial_date) AS valid_from,
 CASE WHEN initial_date IS NULL THEN initial_date_text END AS initial_date_unparsed,
 CASE WHEN change_date IS NULL THEN change_date_text END AS change_date_unparsed,
 photo, x_in, y_in, coord_kind,
 CASE WHEN {direct} THEN x_in END AS lon, CASE WHEN {direct} THEN y_in END AS lat,
 CASE WHEN coord_kind = 'missing' THEN {shown} END AS coord_missing,
 CASE WHEN coord_kind = 'swapped' THEN {shown} END AS coord_swapped,
 CASE WHEN coord_kind = 'unknown' THEN {shown} END AS coord_unknown,
 NULL::VARCHAR AS coord_mixed,
 CASE WHEN geometry IS NOT NULL AND allowed IS NOT NULL AND geometry <> allowed AND geometry <> 'point'
  THEN geometry || '（该小类应为 ' || allowed || '）' END AS geometry_mismatch,
 CASE WHEN geometry IN ('line', 'polygon') THEN wkt END AS geometry_wkt,
 CASE WHEN geom_type = 'MultiPoint' THEN (length(wkt) - length(replace(wkt, ',', '')) + 1)::VARCHAR END
  AS geometry_multipoint,
 {owner_unknown} AS owner_department_unknown{', ' + required if required else ''},
 {', '.join(['delivered_list', *(f'delivered_{c}' for c in kept)])}
FROM a
"""


# Required fields whose presence as delivered another staged column already shows (same nullness as the text).
_PRESENCE = {target: target for target in ("component_id", "name", "owner_department_code", "property_department_code",
                                            "maintenance_department_code", "grid_code", "photo")}
_PRESENCE |= {"state": "coalesce(state, state_unknown)",  # a state word, or one the vocabulary does not know
              # parsed or not: present (TRUE, not the date as text — only nullness is checked, and cheaper)
              "initial_date": "CASE WHEN initial_date IS NOT NULL OR initial_date_unparsed IS NOT NULL THEN true END",
              "change_date": "CASE WHEN change_date IS NOT NULL OR change_date_unparsed IS NOT NULL THEN true END"}


def _stored_required(ctx: PrepareContext) -> list[str]:
    return [t for t in dict.fromkeys(ctx.mapping.required) if t not in _PRESENCE]


# Staged text fields the load never rewrites once staged (grid_code only where it is NULL: the load may assign the
# grid a point lies in): where trimming left the delivered value as it was, the record as delivered takes it from them.
_KEPT_TRIMMED = ("component_id", "name", "owner_department_code", "property_department_code",
                 "maintenance_department_code", "photo", "grid_code")
GEO_KEPT = ("__x", "__y", "__wkt")  # a spatial row's record: its point and, for a MultiPoint, its WKT


def _delivered_plan(ctx: PrepareContext, source_columns: list[str]) -> tuple[list[str], list[tuple[int, str]]]:
    """How ``stage`` keeps the rows as delivered: the raw columns it keeps as they are (``delivered_<column>``), and
    the source positions whose value is a kept trimmed field (position, field) — listed in ``delivered_list`` only
    on rows where trimming changed one of them (or the grid is missing)."""
    position = {name: i for i, name in enumerate(source_columns)}
    listed: dict[int, str] = {}
    for target in _KEPT_TRIMMED:
        column = ctx.columns.get(target)
        if column is not None and position[column] not in listed:
            listed[position[column]] = target
    # a source column read as the grid is listed under grid_code (its NULL rows keep the list)
    grid = ctx.columns.get("grid_code")
    if grid is not None:
        listed[position[grid]] = "grid_code"
    kept = [f"c{i}" for i in range(len(source_columns)) if i not in listed]
    return kept + (list(GEO_KEPT) if ctx.spatial else []), sorted(listed.items())


def delivered_record_sql(ctx: PrepareContext, source_columns: list[str]) -> list[tuple[str, str]]:
    """(label, SQL over ``stage``) for every column of a row as delivered, in the order of the file's columns then
    the geometry's (``__x``, ``__y``, ``__wkt``): the quarantine's record of a rejected row."""
    kept, listed = _delivered_plan(ctx, source_columns)
    index = {i: k + 1 for k, (i, _) in enumerate(listed)}
    fields = dict(listed)
    out: list[tuple[str, str]] = []
    for i, label in enumerate(source_columns):
        if i in fields:
            out.append((label, f"CASE WHEN delivered_list IS NULL THEN {fields[i]}"
                               f" ELSE delivered_list[{index[i]}] END"))
        else:
            out.append((label, f"delivered_c{i}"))
    return out + [(g, f"delivered_{g}") for g in kept if g in GEO_KEPT]


def create_stage(con: Any, ctx: PrepareContext, source_columns: list[str], relation: str = "raw",
                 params: list[Any] | None = None) -> int:
    """Run :func:`stage_sql` over ``relation`` and number the staged rows; returns their count.

    A row's number is ``rowid + 1`` of ``stage`` (DuckDB's CSV reader has no row number of its own; a window over it
    would serialise the read), so the statement must insert in the relation's order: DuckDB does so with its
    order-keeping parallel insert (``BATCH_CREATE_TABLE_AS``), or on one thread. A statement it would plan otherwise
    (a join, e.g. a long ``IN`` list) is refused rather than numbered wrongly."""
    sql = stage_sql(ctx, source_columns, relation)
    plan = "\n".join(str(row[-1]) for row in con.execute("EXPLAIN " + sql, params or []).fetchall())
    threads = int(con.execute("SELECT current_setting('threads')").fetchone()[0])
    if "BATCH_CREATE_TABLE_AS" not in plan and threads > 1:
        raise RuntimeError("the staging statement would not keep the file's row order (DuckDB plans no order-keeping"
                           " insert for it); row numbers would be wrong")
    con.execute(sql, params or [])
    # the position of each data row in the file
    con.execute("UPDATE stage SET row_number = rowid + 1")
    return int(con.execute("SELECT count(*) FROM stage").fetchone()[0])


def checks_view_sql(ctx: PrepareContext) -> str:
    """The view ``stage_checks``: ``stage`` plus the columns the suite checks that follow from stored ones (so the
    staged table stays narrow): ``admin_prefix``, ``*_day`` (YYYYMMDD numbers: GX checks number ranges
    vectorised) and ``req_<field>`` for required fields."""
    presence = [f"{_PRESENCE[t]} AS req_{t}" for t in dict.fromkeys(ctx.mapping.required) if t in _PRESENCE]
    return ("CREATE OR REPLACE TEMP VIEW stage_checks AS SELECT *,"
            " CASE WHEN subclass_code IS NOT NULL THEN substr(component_id, 1, 6) END AS admin_prefix,"
            " (year(initial_date) * 10000 + month(initial_date) * 100 + day(initial_date))::BIGINT"
            " AS initial_date_day,"
            " (year(change_date) * 10000 + month(change_date) * 100 + day(change_date))::BIGINT AS change_date_day"
            + "".join(", " + p for p in presence) + " FROM stage")


def finish_coordinates(con: Any, ctx: PrepareContext) -> str:
    """Fill lon/lat of the staged rows that need pyproj (Gauss–Krüger metres, or a declared CRS other than
    CGCS2000) and flag rows in another CRS than the batch's dominant one (mixed CRS). Returns what was applied."""
    counts = {str(k): int(n) for k, n in con.execute("SELECT coord_kind, count(*) FROM stage GROUP BY 1").fetchall()}
    if ctx.declared_crs is not None:
        from pyproj import CRS

        if not _declared_is_target(ctx.declared_crs):
            _fill_from(con, "coord_kind NOT IN ('missing', 'swapped')", ctx.declared_crs, ctx.city_bounds)
        return str(CRS.from_user_input(ctx.declared_crs).to_string())
    geographic = counts.get(GEOGRAPHIC, 0)
    projected = counts.get(PROJECTED, 0) + counts.get(PROJECTED_ZONE, 0)
    used = ["EPSG:4490 lon/lat (assumed from values)"] if geographic else []
    if projected:
        used += _fill_from(con, f"coord_kind IN ('{PROJECTED}', '{PROJECTED_ZONE}')", None, ctx.city_bounds,
                           fill=projected > geographic).split("; ")
    if geographic and projected:
        # Mixed CRS: rows of a usable kind other than the batch's dominant one lose their position.
        other = f"'{GEOGRAPHIC}'" if projected > geographic else f"'{PROJECTED}', '{PROJECTED_ZONE}'"
        con.execute("UPDATE stage SET coord_mixed = 'X=' || coalesce(x_in::VARCHAR, 'nan') || ', Y='"
                    f" || coalesce(y_in::VARCHAR, 'nan'), lon = NULL, lat = NULL WHERE coord_kind IN ({other})")
    return "; ".join(used) or "none"


def _fill_from(con: Any, where: str, declared_crs: str | None, bounds: tuple[float, float, float, float],
               fill: bool = True) -> str:
    rows = con.execute(f"SELECT row_number, x_in, y_in FROM stage WHERE {where} ORDER BY row_number").fetchnumpy()
    x = np.asarray(rows["x_in"], dtype=float)
    if not len(x):
        return ""
    lon, lat, _, used = to_cgcs2000(x, np.asarray(rows["y_in"], dtype=float), declared_crs, bounds)
    if fill:
        frame = pd.DataFrame({"row_number": np.asarray(rows["row_number"], dtype=np.int64), "lon": lon, "lat": lat})
        con.register("projected_frame", frame)
        con.execute("UPDATE stage s SET lon = f.lon, lat = f.lat FROM projected_frame f"
                    " WHERE s.row_number = f.row_number AND NOT isnan(f.lon) AND NOT isnan(f.lat)")
        con.unregister("projected_frame")
    return used

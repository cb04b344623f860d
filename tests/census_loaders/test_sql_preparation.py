"""The batch is prepared and checked in DuckDB SQL: each step gives what the former per-row (pandas/GX) rules gave."""

from __future__ import annotations

import random
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from cityfiles import HEADER, census_rows, write_csv

from census_loaders.prepare import WHITESPACE, define_macros
from census_loaders.readers import open_source, stage_raw
from quality.census import census_sql_rules, run_suite_on_table
from quality.gx import Expectation, SuiteRunner


def test_the_trim_macro_removes_exactly_what_str_strip_removes() -> None:
    rng = random.Random(5)
    alphabet = [*WHITESPACE, *"ab1部件é“”、\u3001\u2060\u0084\u00a1\u3000"]
    values = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 4))) for _ in range(20_000)]
    con = duckdb.connect()
    define_macros(con)
    con.register("v", pd.DataFrame({"i": range(len(values)), "v": pd.array(values, dtype=object)}))
    got = dict(con.execute("SELECT i, szcg_text(v) FROM v").fetchall())
    assert [got[i] for i in range(len(values))] == [v.strip() or None for v in values]


def _staged(census, rows: list[dict[str, str]], name: str) -> duckdb.DuckDBPyConnection:
    """A connection whose ``stage`` holds ``rows`` staged by the census's staging statement, from ``raw`` as the
    reader stages it: the source columns as text under positional names, in file order."""
    from census_loaders.mapping import choose_mapping
    from census_loaders.prepare import PrepareContext, create_stage

    con = duckdb.connect()
    define_macros(con)
    con.register("delivered", pd.DataFrame({f"c{i}": pd.array([r[h] for r in rows], dtype=object)
                                            for i, h in enumerate(HEADER)}))
    con.execute("CREATE TEMP TABLE raw AS SELECT * FROM delivered")
    mapping = choose_mapping(list(HEADER), None)
    catalogue = census.ctx.catalogue
    context = PrepareContext(mapping, mapping.resolve(list(HEADER), name), census.config, census.ctx.edition,
                             6 + catalogue.code_digits + 6, catalogue.code_digits, census.ctx.city_bounds, None,
                             False, census.ctx.department_codes)
    create_stage(con, context, list(HEADER))
    return con


def test_the_staged_text_is_trimmed_as_str_strip_trims(census) -> None:
    """The staging statement passes each value's last code point to the trim (computed once per value, beside
    it): the staged text fields are still the delivered ones trimmed by str.strip(), empty → NULL."""
    rng = random.Random(11)
    alphabet = [*WHITESPACE, *"ab1部件é“”、\u3001\u2060\u0084\u00a1\u3000"]
    rows = census_rows(2_000)
    for row in rows:
        for field in ("OBJCODE", "OBJNAME", "DEPTCODE2", "PHOTO"):
            row[field] = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 4))) + (
                row[field] if field == "OBJCODE" else "")
            row[field] += "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 2)))
    con = _staged(census, rows, "spaces.csv")
    staged = con.execute("SELECT component_id, name, property_department_code, photo FROM stage ORDER BY row_number"
                         ).fetchall()
    assert staged == [tuple(r[f].strip() or None for f in ("OBJCODE", "OBJNAME", "DEPTCODE2", "PHOTO"))
                      for r in rows]


@pytest.mark.parametrize("earlier_setting", ["true", "false"])
def test_row_numbers_follow_the_file_when_duckdb_reads_it_in_parallel(tmp_path: Path, earlier_setting: str,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The row number is rowid + 1 of the staged table: it must be the data row's position in the file even when
    DuckDB splits the file between threads (a file of several of its read buffers, made small here)."""
    import census_loaders.readers

    monkeypatch.setattr(census_loaders.readers, "CSV_BUFFER_BYTES", 4 << 20)
    path = tmp_path / "many.csv"
    rows = census_rows(1)[0]
    with path.open("w", encoding="utf-8") as handle:
        handle.write(",".join(rows) + "\n")
        for i in range(300_000):
            handle.write(",".join(rows.values()).replace(rows["PHOTO"], f"row{i + 1}") + "\n")
    assert path.stat().st_size > 6 * (4 << 20)
    con = duckdb.connect()
    con.execute("SET threads = 4")
    # an earlier user of the connection (the evaluation, the cases import) may have switched insertion order off
    con.execute(f"SET preserve_insertion_order = {earlier_setting}")
    assert stage_raw(open_source(path), con, 50_000) == 300_000
    photo = list(rows).index("PHOTO")
    mismatched = con.execute(f"SELECT count(*) FROM raw WHERE c{photo} <> 'row' || (rowid + 1)").fetchone()
    assert mismatched == (0,)


def test_gbk_csv_is_transcoded_and_read_by_duckdb_with_the_same_rows(tmp_path: Path) -> None:
    for encoding, name in (("gbk", "  雨水井盖\u3000"), ("gb18030", "𠀀井盖 ")):  # U+20000 is beyond GBK
        rows = census_rows(5)
        rows[2]["OBJNAME"] = name
        staged = {}
        for used in ("utf-8", encoding):
            source = open_source(write_csv(tmp_path / f"b_{used}.csv", rows, used))
            assert source.encoding == used
            con = duckdb.connect()
            assert stage_raw(source, con, 1_000) == 5
            staged[used] = con.execute("SELECT rowid, * FROM raw ORDER BY rowid").fetchall()
        assert staged["utf-8"] == staged[encoding]
        assert staged[encoding][2][2] == name  # as delivered: trimming is the preparation's job


def test_the_suite_on_value_frames_finds_what_a_row_by_row_run_finds() -> None:
    """run_suite_on_table (distinct values and digit shapes in SQL, GX on small frames, rows found in SQL) against
    SuiteRunner.run (GX on every row) on the same rows."""
    rng = np.random.default_rng(3)
    n = 5_000
    ids = [f"14060201001{i:06d}" for i in range(n)]
    for i in rng.choice(n, 40, replace=False):
        ids[i] = rng.choice(["1406020100100001", "14060201001A00001", "", " 14060201001000001", "１４０６０２"])
    grids: list[str | None] = [f"140602001{rng.integers(0, 999):03d}{rng.integers(0, 999):03d}" for _ in range(n)]
    grids[17], grids[18] = "14060200100100", None
    frame = pd.DataFrame({
        "row_number": np.arange(1, n + 1),
        "component_id": pd.array([v or None for v in ids], dtype=object),
        "grid_code": pd.array(grids, dtype=object),
        "state": pd.array([("intact", "damaged", "broken", None)[k] for k in rng.integers(0, 4, n)], dtype=object),
        "day": pd.array(rng.choice([20260101, 19890101, 20991231], n), dtype="Int64"),
        "flag": pd.array([None] * (n - 3) + ["x", "y", "x"], dtype=object),
    })
    specs = [
        Expectation("component_id.format", "regex", "component_id", "OBJCODE", "标识码“{value}”格式错误",
                    {"regex": r"^[0-9]{17}$"}),
        Expectation("component_id.required", "not_null", "component_id", "OBJCODE", "必填字段为空"),
        Expectation("grid_code.format", "regex", "grid_code", "BGCODE", "网格“{value}”", {"regex": r"^[0-9]{15}$"}),
        Expectation("state.vocabulary", "in_set", "state", "OBJSTATE", "状态“{value}”",
                    {"value_set": {"intact", "damaged"}}),
        Expectation("day.range", "between", "day", "ORDATE", "日期 {value}",
                    {"min_value": 19900101, "max_value": 20301231}),
        Expectation("flag.null", "null", "flag", "X", "应为空：{value}"),
    ]
    runner = SuiteRunner("sql_values", specs)
    con = duckdb.connect()
    con.register("frame", frame)
    con.execute("CREATE TABLE checked AS SELECT * FROM frame")
    by_row = sorted((p.row_number, p.field, p.rule, p.message) for p in runner.run(frame, "b.csv"))
    by_value = sorted((p.row_number, p.field, p.rule, p.message)
                      for p in run_suite_on_table(con, runner, "checked", "b.csv"))
    assert by_value == by_row
    assert {rule for _, _, rule, _ in by_value} == {s.rule for s in specs}
    assert sum(1 for r in by_value if r[2] == "component_id.format") == sum(1 for v in ids if v) - sum(
        1 for v in ids if len(v) == 17 and v.isascii() and v.isdigit())


@pytest.mark.parametrize("shape", ["single", "two", "nulls", "empty"])
def test_the_suite_values_of_one_scan_are_the_distinct_values_of_each_column(shape: str) -> None:
    """suite_values reads one value per column from a single scan where the column holds one (per group, for a
    digits-only format): the frames GX sees are those of a DISTINCT per column — values, order and dtype — whether
    the columns hold one value, two, none or only NULLs."""
    from quality.census import _distinct_values, suite_values

    ids = {"single": ["14060201001000001", "14060201001000002"], "two": ["14060201001000001", "1406020100100001"],
           "nulls": [None, None], "empty": []}[shape]
    rows = len(ids)
    frame = pd.DataFrame({
        "row_number": np.arange(1, rows + 1),
        "component_id": pd.array(ids, dtype=object),
        # digits of one length plus one other value / two other values / one length only
        "grid_code": pd.array({"single": ["140602001001001", "x"], "two": ["x", "y"], "nulls": [None, "1"],
                               "empty": []}[shape], dtype=object),
        "prefix": pd.array({"single": ["140602", "140602"], "two": ["140602", "140603"], "nulls": [None, None],
                            "empty": []}[shape], dtype=object),
        "day": pd.array({"single": [20260801, None], "two": [20260801, 20260802], "nulls": [None, None],
                         "empty": []}[shape], dtype="Int64"),
        "ratio": pd.array({"single": [0.5, 0.5], "two": [0.5, 1.5], "nulls": [None, None], "empty": []}[shape],
                          dtype="Float64"),
        "flag": pd.array({"single": ["x", None], "two": ["x", "y"], "nulls": [None, None], "empty": []}[shape],
                         dtype=object),
    })
    specs = [
        Expectation("component_id.format", "regex", "component_id", "OBJCODE", "{value}", {"regex": r"^[0-9]{17}$"}),
        Expectation("component_id.required", "not_null", "component_id", "OBJCODE", "必填"),
        Expectation("grid_code.format", "regex", "grid_code", "BGCODE", "{value}", {"regex": r"^[0-9]{15}$"}),
        Expectation("grid_code.known", "in_set", "grid_code", "BGCODE", "{value}", {"value_set": {"x"}}),
        Expectation("prefix.known", "in_set", "prefix", "OBJCODE", "{value}", {"value_set": {"140602"}}),
        Expectation("day.range", "between", "day", "ORDATE", "{value}", {"min_value": 1, "max_value": 2}),
        Expectation("ratio.range", "between", "ratio", "X", "{value}", {"min_value": 0, "max_value": 1}),
        Expectation("flag.null", "null", "flag", "X", "{value}"),
    ]
    con = duckdb.connect()
    con.register("frame", frame)
    con.execute("CREATE TABLE checked AS SELECT row_number, component_id::VARCHAR AS component_id, grid_code::VARCHAR"
                " AS grid_code, prefix::VARCHAR AS prefix, day::BIGINT AS day, ratio::DOUBLE AS ratio,"
                " flag::VARCHAR AS flag FROM frame")  # typed as staged, whatever pandas makes of NULL columns
    got = suite_values(con, SuiteRunner("one_scan", specs), "checked")
    assert sorted(got) == list(range(len(specs)))
    for i, spec in enumerate(specs):
        if spec.kind not in ("null", "not_null"):
            pd.testing.assert_series_equal(got[i], _distinct_values(con, "checked", spec))


def test_repeated_identifiers_are_those_a_count_of_every_identifier_finds() -> None:
    """component_id.duplicate_in_batch (repeated hashes first, then the ids among their rows) against a count of
    every identifier: pairs, triples, NULLs repeated (never a duplicate), ids differing in one character or in
    spaces, and a subset forced into a shared 'hash' to show the exact grouping decides."""
    rng = np.random.default_rng(2)
    ids: list[str | None] = [f"14060201001{i:06d}" for i in rng.integers(0, 3_000, 4_000)]
    ids[:6] = [None, None, "14060201001000001 ", "14060201001000001", "1406020100100000１", "14060201001000001"]
    stage = pd.DataFrame({"row_number": np.arange(1, len(ids) + 1), "component_id": pd.array(ids, dtype=object)})
    rule = next(r for r in census_sql_rules(0.5, 50, 85_000.0) if r.rule == "component_id.duplicate_in_batch")
    rows_of: dict[str, list[int]] = {}
    for row, value in enumerate(ids, start=1):
        if value is not None:
            rows_of.setdefault(value, []).append(row)
    want = sorted((row, f"标识码 {v} 在本批中重复出现（第 {', '.join(map(str, rows))} 行）")
                  for v, rows in rows_of.items() if len(rows) > 1 for row in rows)
    con = duckdb.connect()
    con.register("stage", stage)
    assert len(want) > 1_000 and sorted(con.execute(rule.sql).fetchall()) == want
    # every id hashing alike (a macro shadowing hash() for this connection): the same rows, by the exact grouping
    con.execute("CREATE TEMP MACRO hash(v) AS 7")
    assert sorted(con.execute(rule.sql).fetchall()) == want


def _duplicate_positions(stage: pd.DataFrame, d: float, mx: float) -> tuple[dict[int, int], dict[int, int]]:
    """position.duplicate on ``stage`` (later row -> earliest row it repeats), and the same by comparing every pair."""
    con = duckdb.connect()
    con.register("stage", stage)
    rule = next(r for r in census_sql_rules(d, 50, mx) if r.rule == "position.duplicate")
    got = {int(row): int(message.split("第 ")[1].split(" 行")[0]) for row, message in con.execute(rule.sql).fetchall()}
    x, y = stage["lon"].to_numpy() * mx, stage["lat"].to_numpy() * 110_574.0
    subclass, ids = stage["subclass_code"].to_numpy(), stage["component_id"].to_numpy()
    want: dict[int, int] = {}
    for b in range(len(stage)):
        near = np.flatnonzero((np.hypot(x[:b] - x[b], y[:b] - y[b]) < d) & (subclass[:b] == subclass[b])
                              & (ids[:b] != ids[b]))
        if len(near):
            want[b + 1] = int(near.min()) + 1
    return got, want


def test_duplicate_positions_by_cell_hash_join_are_the_pairs_a_full_comparison_finds() -> None:
    """position.duplicate against every pair compared directly, on clustered points of three subclasses (many
    within and across cell borders)."""
    rng = np.random.default_rng(11)
    n = 3_000
    centres = rng.uniform(0, 30, (60, 2))
    xy = centres[rng.integers(0, 60, n)] + rng.normal(0, 0.6, (n, 2))
    mx, my, d = 85_000.0, 110_574.0, 0.5
    stage = pd.DataFrame({
        "row_number": np.arange(1, n + 1), "subclass_code": rng.choice(["01001", "01002", "02017"], n),
        "component_id": [f"14060201001{i:06d}" for i in range(n)],
        "lon": 112.4 + xy[:, 0] / mx, "lat": 39.3 + xy[:, 1] / my})
    # (identifiers are all digits, as staged: a subclass is only derived from a well-formed one)
    stage.loc[5, "component_id"] = stage.loc[4, "component_id"]  # the same component twice is not a duplicate
    stage.loc[5, ["lon", "lat"]] = stage.loc[4, ["lon", "lat"]]
    got, want = _duplicate_positions(stage, d, mx)
    assert len(want) > 50
    assert got == want


@pytest.mark.parametrize("d", [0.5, 1.0, 0.3])
def test_duplicate_positions_across_the_edges_and_corners_of_the_rules_cells(d: float) -> None:
    """Pairs placed around the corners of the rule's cells (8 d wide: a point is looked up beyond an edge only
    when it is within d of it) — apart across an edge in x, in y, or across the corner, at distances just under
    and just over d, of the same or another subclass — give the pairs a full comparison gives."""
    rng = np.random.default_rng(5)
    mx, my, cell = 85_000.0, 110_574.0, 8 * d
    corners = rng.integers(0, 400, (1_500, 2)) * cell + np.array([112.4 * mx, 39.3 * my]) // cell * cell
    a = corners + rng.uniform(-0.7 * d, 0.7 * d, corners.shape)
    angle = rng.uniform(0, 2 * np.pi, len(corners))
    gap = d * rng.choice([0.98, 0.999, 1.001, 1.02, 0.5], len(corners))
    b = a + np.column_stack([np.cos(angle), np.sin(angle)]) * gap[:, None]
    xy = np.concatenate([a, b])
    n = len(xy)
    subclass = np.concatenate([np.full(len(a), "01001"), rng.choice(["01001", "01002"], len(b), p=[0.9, 0.1])])
    stage = pd.DataFrame({"row_number": np.arange(1, n + 1), "subclass_code": subclass,
                          "component_id": [f"14060201001{i:06d}" for i in range(n)],
                          "lon": xy[:, 0] / mx, "lat": xy[:, 1] / my})
    got, want = _duplicate_positions(stage, d, mx)
    x, y = stage["lon"].to_numpy() * mx, stage["lat"].to_numpy() * my
    cx, cy = np.floor(x / cell), np.floor(y / cell)
    pairs = [(r - 1, e - 1) for r, e in want.items()]
    # the pairs found lie across an x edge only, a y edge only, across a corner, and inside one cell
    kinds = {(bool(cx[i] != cx[j]), bool(cy[i] != cy[j])) for i, j in pairs}
    assert kinds == {(True, False), (False, True), (True, True), (False, False)}
    assert len(want) > 300 and got == want


def test_a_row_with_extra_fields_refuses_the_file_naming_it_whatever_the_encoding(census) -> None:
    rows = census_rows(4)
    for encoding in ("utf-8", "gbk"):
        path = write_csv(census.tmp / f"extra_{encoding}.csv", rows, encoding)
        text = path.read_bytes().decode(encoding).splitlines(keepends=True)
        text[3] = text[3].rstrip("\r\n") + ",多余,字段\r\n"
        path.write_bytes("".join(text).encode(encoding))
        result = census.ingest(path)
        assert result.rejected_message and result.rows_quarantined == 1 and result.rows_loaded == 0
        assert [p.rule for p in result.problems] == ["csv.malformed"]
        assert path.name in result.rejected_message and "extra fields" in result.rejected_message


def test_every_rejected_row_keeps_its_record_as_delivered_however_many_there_are(census) -> None:
    rows = census_rows(1_200, state="坏了")  # more rejected rows than a list of row ids is used for
    rows[7]["OBJNAME"] = " 雨水井盖 "
    result = census.ingest(write_csv(census.tmp / "all_bad.csv", rows))
    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (1_200, 0, 1_200)
    stored = census.query("SELECT row_number, raw_record->>'OBJNAME', raw_record->>'OBJSTATE' FROM"
                          " quarantine.rejected_row WHERE batch_id = ? AND rule = 'state.vocabulary'"
                          " ORDER BY row_number", [result.batch_id])
    assert len(stored) == 1_200 and stored[7] == (8, " 雨水井盖 ", "坏了")
    assert {s[2] for s in stored} == {"坏了"}


def test_coordinates_identifiers_and_states_are_staged_as_from_the_trimmed_text(census) -> None:
    """The staging statement casts X/Y as delivered and trims only the values that do not cast, tests identifiers
    with a GLOB and compares state words as delivered before lower-casing them: the staged values are those of
    the trimmed text (str.strip()) cast by DuckDB, matched by the regex [0-9]{17} and looked up lower-cased."""
    rng = random.Random(23)
    spaces = [*WHITESPACE, "", "", "", ""]
    numbers = ["112.4", "39.25", "1e2", "1_000", "+112.5", "nan", "-inf", "0x1F", "112,4", "１１２", "", "x"]
    ids = ["14060201001000001", "1406020100100001", "140602010010000012", "14060201001A00001", "１４０６０２",
           "14060201001000001\u00e9"]
    words = ["完好", "破损", "INTACT", "Intact", "intact", "1", "Normal", "broken", "占用", "ＩＮＴＡＣＴ", ""]
    rows = census_rows(2_000)

    def spaced(value: str) -> str:
        return rng.choice(spaces) + value + rng.choice(spaces)

    for row in rows:
        row["X"], row["Y"] = (spaced(rng.choice(numbers) if rng.random() < 0.3 else row[a]) for a in ("X", "Y"))
        row["OBJCODE"] = spaced(rng.choice(ids) if rng.random() < 0.3 else row["OBJCODE"])
        row["OBJSTATE"] = spaced(rng.choice(words))
    con = _staged(census, rows, "odd.csv")
    staged = con.execute("SELECT x_in, y_in, subclass_code, state FROM stage ORDER BY row_number").fetchall()
    # the former expressions, on the text trimmed by Python
    con.register("trimmed", pd.DataFrame({f: pd.array([r[f].strip() or None for r in rows], dtype=object)
                                          for f in ("X", "Y", "OBJCODE")} | {"i": range(len(rows))}))
    expected = con.execute(
        "SELECT nullif(TRY_CAST(X AS DOUBLE), 'NaN'::DOUBLE), nullif(TRY_CAST(Y AS DOUBLE), 'NaN'::DOUBLE),"
        " CASE WHEN regexp_full_match(OBJCODE, '[0-9]{17}') THEN substr(OBJCODE, 7, 5) END FROM trimmed ORDER BY i"
    ).fetchall()
    states = census.config.states
    vocabulary = {**states, **{v: v for v in set(states.values())}}
    assert [s[:3] for s in staged] == expected
    assert [s[3] for s in staged] == [vocabulary.get(r["OBJSTATE"].strip().lower()) for r in rows]
    assert {s[3] for s in staged} >= {"intact", "damaged", "occupied", None}
    assert sum(1 for s in staged if s[0] is None) > 100 and sum(1 for s in staged if s[2] is None) > 100
